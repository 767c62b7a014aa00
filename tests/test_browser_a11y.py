"""Usable by everyone (issue 22, WCAG 2.2 AA) and every screen fits (issue 21).

One browser session (a 5-minute budget for the whole browser tier): axe-core (``axe-playwright-python``, which bundles
it) scans every page at 1280x800, the share popover and presentation mode, and Explore and Summary again at 1024x768
(sidebar open) and 390x844, with the WCAG 2.0/2.1/2.2 A and AA rules plus axe's best practices (heading order,
landmarks). Every violation fails except the few that come from Streamlit's own markup and cannot be fixed from the
app: :data:`ALLOWED`, by rule id and selector, each explained in ``docs/accessibility.md``. The same session checks
that every chart has an accessible name (its Vega-Lite ``description``), that the keyboard alone reaches a filter,
toggles it and changes the headline, and that presentation mode answers its arrow keys.

Every screen: each page, once loaded at 1280x800, is resized in the same document to 1024x768 (the sidebar stays
open) and 390x844 (Streamlit collapses it), and at each size no metric value is cut (:data:`CUT_METRICS`), nothing
scrolls sideways and every chart's drawing and marks stay in its box and its box in its column, with text of 12 px
at least (:data:`SCREEN_FIT`); the Summary's Certainty column stays among the first four. Resizing rather than
loading each page three times keeps the tier within its budget, and checks that charts lay themselves out again
when their box changes (a projector's resolution switched, a phone turned). Failures in charts other engineers are
changing are listed in :data:`PENDING` (a warning names them) until their fixes merge.

The contrast of chart marks (WCAG 1.4.11, 3:1) and chart text (1.4.3, 4.5:1) is checked on the Vega-Lite specs of
every builder, without a browser: axe does not look inside SVG charts.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from live_app import ROOT

SHOTS = ROOT / "artifacts" / "screenshots"

#: Page url paths (Explore is the root).
PAGES = ["", "subgroups", "sensitivity", "small-study-effects", "risk-of-bias", "multiverse", "reproduce", "data",
         "about", "summary"]
#: axe-core rule tags: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and the best practices (heading order, landmarks).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
#: Violations from Streamlit's own markup that the app cannot change: (rule id, a pattern every offending node's
#: selector or html matches). docs/accessibility.md says why for each; any other violation fails.
ALLOWED = {
    # st.data_editor(num_rows="dynamic") (Multiverse, hypothetical trials): the grid's row-marker column (the
    # checkboxes that select rows to delete) has an empty header cell in the grid's accessible table.
    ("empty-table-header", r'<th role="columnheader"[^>]*aria-colindex="1"[^>]*></th>'),
    # st.popover (the "Share this view" popover) draws its body in a floating-ui portal at the end of <body>, outside
    # every landmark.
    ("region", r"data-floating-ui-portal"),
}

#: Metric values whose text is wider than their box (cut with an ellipsis or spilling over).
CUT_METRICS = """() => Array.from(document.querySelectorAll('[data-testid="stMetric"]')).flatMap(m => {
  const v = m.querySelector('[data-testid="stMetricValue"]');
  if (!v || !v.innerText.trim() || v.getBoundingClientRect().width === 0) return [];
  const cut = [v, ...v.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 1);
  const label = m.querySelector('[data-testid="stMetricLabel"]');
  return cut.length ? [(label ? label.innerText : '?') + ': ' + v.innerText] : [];
})"""
#: Everything that does not fit the screen, as "what: by how many px" lines (issue 21, "every screen"): the document,
#: the main area or any element in it scrolling sideways (``scrollWidth`` over ``clientWidth``), and each chart on screen
#: (not in a closed expander or tab) whose drawn marks and text leave its element's box, whose box leaves its column
#: (or the main block) or the viewport, or whose text is drawn under 12 px. Metric values cut: :data:`CUT_METRICS`.
SCREEN_FIT = """() => {
  const out = [], vw = window.innerWidth, px = x => Math.round(x);
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth + 1) out.push(`the page scrolls sideways by ${doc.scrollWidth - doc.clientWidth} px`);
  // every element of the main area that scrolls sideways (the main area itself included), but a data grid's own
  // scroller and a code block's: a dataframe or code scrolls inside its frame by design
  for (const el of document.querySelectorAll('[data-testid="stMain"], [data-testid="stMain"] *')) {
    if (el.scrollWidth <= el.clientWidth + 1 || el.closest('[data-testid="stDataFrame"], [data-testid="stCode"], pre'))
      continue;
    if (!['auto', 'scroll'].includes(getComputedStyle(el).overflowX)) continue;
    const what = (el.innerText || '').trim().split('\\n')[0].slice(0, 40);
    out.push(`${el.dataset.testid || el.tagName.toLowerCase()} "${what}" scrolls sideways by ${el.scrollWidth - el.clientWidth} px`);
  }
  for (const box of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
    const b = box.getBoundingClientRect();
    if (b.width === 0) continue;
    const svg = box.querySelector('svg');
    const name = (box.getAttribute('aria-label') || '').slice(0, 40);
    const col = (box.closest('[data-testid="stColumn"]') || box.closest('[data-testid="stMainBlockContainer"]')
                 || document.body).getBoundingClientRect();
    if (b.left < col.left - 1 || b.right > col.right + 1)
      out.push(`chart "${name}": its box (${px(b.left)}-${px(b.right)}) leaves its column (${px(col.left)}-${px(col.right)})`);
    if (b.left < -1 || b.right > vw + 1) out.push(`chart "${name}": its box (${px(b.left)}-${px(b.right)}) leaves the ${vw} px screen`);
    // the drawing itself (an SVG, or a canvas for a large chart), blank frame included: wider than the box, the
    // main area scrolls sideways
    const drawing = svg || box.querySelector('canvas');
    const d = drawing ? drawing.getBoundingClientRect() : b;
    if (d.right > b.right + 1) out.push(`chart "${name}": its drawing is ${px(d.right - b.right)} px wider than its box (${px(b.width)} px)`);
    if (!svg) continue;  // a canvas: no marks to measure
    let l = 1e9, r = -1e9, t = 1e9, bo = -1e9, fonts = [];
    for (const el of svg.querySelectorAll('text, path:not(.background), line, rect:not(.background), circle, symbol')) {
      const e = el.getBoundingClientRect();
      if (e.width === 0 && e.height === 0) continue;
      if (el.tagName === 'text' && !el.textContent.trim()) continue;
      l = Math.min(l, e.left); r = Math.max(r, e.right); t = Math.min(t, e.top); bo = Math.max(bo, e.bottom);
      if (el.tagName === 'text') fonts.push(parseFloat(getComputedStyle(el).fontSize || el.getAttribute('font-size')));
    }
    if (l < b.left - 1) out.push(`chart "${name}": marks ${px(b.left - l)} px left of its box`);
    if (r > b.right + 1) out.push(`chart "${name}": marks ${px(r - b.right)} px right of its box (${px(b.width)} px wide)`);
    if (t < b.top - 2 || bo > b.bottom + 2) out.push(`chart "${name}": marks ${px(t)}-${px(bo)} leave its box ${px(b.top)}-${px(b.bottom)} vertically`);
    if (fonts.length && Math.min(...fonts) < 12) out.push(`chart "${name}": text at ${Math.min(...fonts)} px`);
  }
  return out;
}"""
#: Accessible names of the charts on the page (vega-embed's role="graphics-document" element).
CHART_NAMES = """() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'))
  .map(c => c.getAttribute('aria-label') || '')"""


# ---------------------------------------------------------------------------------------------------- browser
def _idle(pg) -> None:
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=90_000)
    pg.wait_for_timeout(400)
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=90_000)


def _open(pg, url: str) -> None:
    pg.goto(url)
    _idle(pg)
    # charts are drawn after the script run ends: wait until every chart on screen (not in a closed expander) has
    # its SVG (or canvas: Streamlit draws a large chart on a canvas)
    pg.wait_for_function("""() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'))
        .every(c => c.querySelector('svg, canvas') || c.getBoundingClientRect().width === 0)""", timeout=60_000)
    pg.wait_for_timeout(300)


#: The smaller screens each page is checked at again, in the same document: a projector with the sidebar open, a phone.
SMALLER = ((1024, 768), (390, 844))


def sidebar_open(pg) -> bool:
    box = pg.locator('[data-testid="stSidebar"]').bounding_box()
    return box is not None and box["width"] > 100 and box["x"] + box["width"] > 100


def _relaid(pg) -> None:
    """After a viewport change: Streamlit lays its columns out again and re-sizes each chart to its new box."""
    pg.wait_for_timeout(900)
    _idle(pg)
    pg.wait_for_function("""() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'))
        .every(c => c.querySelector('svg, canvas') || c.getBoundingClientRect().width === 0)""", timeout=60_000)
    pg.wait_for_timeout(300)


def _axe(pg, axe, where: str) -> list[str]:
    """Violations not in :data:`ALLOWED`, as "where: rule (impact) selector" lines."""
    res = axe.run(pg, options={"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]})
    bad = []
    for v in res.response["violations"]:
        for node in v["nodes"]:
            target = " ".join(map(str, node["target"]))
            if any(v["id"] == rule and (re.search(pat, node["html"]) or re.search(pat, target))
                   for rule, pat in ALLOWED):
                continue
            bad.append(f"{where}: {v['id']} ({v['impact']}) {target} {node['html'][:160]}")
    return bad


def _check_page(pg, axe, where: str, problems: list[str]) -> None:
    problems += _axe(pg, axe, where)
    problems += [f"{where}: metric cut: {m}" for m in pg.evaluate(CUT_METRICS)]
    for name in pg.evaluate(CHART_NAMES):
        if len(name) < 30 or name == "Vega visualization":
            problems.append(f"{where}: a chart without a description (accessible name {name!r})")


def _tab_to(pg, predicate_js: str, limit: int = 120) -> bool:
    """Press Tab until ``predicate_js`` (a JS function of the focused element) is true; False after ``limit``."""
    for _ in range(limit):
        pg.keyboard.press("Tab")
        if pg.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({predicate_js})(el); }}"):
            return True
    return False


def _headline_k(pg) -> str:
    return pg.locator('[data-testid="stMetric"]').filter(has_text="Trials (k)").locator(
        '[data-testid="stMetricValue"]').inner_text()


#: Screen-fit failures in charts other engineers are changing (issue 21), each with where it comes from: tolerated
#: (a warning lists them) until those fixes merge, then removed here. (page path, a regular expression of the line).
PENDING: list[tuple[str, str]] = []  # none left: the forest's fixed width param, the curve's nested vconcat


@pytest.mark.browser
def test_every_page_is_accessible_and_no_number_is_cut(browser, app_url):
    from axe_playwright_python.sync_playwright import Axe

    SHOTS.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    problems: list[str] = []

    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        for path in PAGES:
            pg.set_viewport_size({"width": 1280, "height": 800})
            _open(pg, app_url + path)
            if path in ("", "summary"):  # and what the expanders hold: the sidebar's filters, the GRADE overrides
                pg.evaluate("() => document.querySelectorAll('details:not([open]) > summary').forEach(s => s.click())")
                pg.wait_for_timeout(1500)
            _check_page(pg, axe, f"/{path} 1280", problems)
            problems += [f"/{path} 1280: {p}" for p in pg.evaluate(SCREEN_FIT)]
            # the same document on a projector (the sidebar stays open) and a phone (Streamlit collapses it)
            for width, height in SMALLER:
                pg.set_viewport_size({"width": width, "height": height})
                _relaid(pg)
                where = f"/{path} {width}"
                if width >= 1024 and not sidebar_open(pg):
                    problems.append(f"{where}: the sidebar is not open")
                if path in ("", "summary"):
                    problems += _axe(pg, axe, where)
                problems += [f"{where}: metric cut: {m}" for m in pg.evaluate(CUT_METRICS)]
                problems += [f"{where}: {p}" for p in pg.evaluate(SCREEN_FIT)]
                if path == "summary":  # the certainty column is among the first four, on screen beside the outcome
                    headers = pg.evaluate("""() => Array.from(document.querySelectorAll(
                        '[data-testid="stDataFrame"] thead th')).map(th => th.innerText.trim())""")
                    if "Certainty" not in headers[:4]:
                        problems.append(f"{where}: the Certainty column is not among the first four: {headers}")
                if path in ("", "summary"):
                    pg.screenshot(path=SHOTS / f"a11y_{path or 'explore'}_{width}.png")
        pg.set_viewport_size({"width": 1280, "height": 800})

        # Keyboard only, from the top of Explore: Tab reaches the "Trial data only" checkbox, Space toggles it,
        # and the headline's trial count follows; the focused control shows a focus ring.
        _open(pg, app_url)
        before = _headline_k(pg)
        pg.evaluate("() => document.activeElement && document.activeElement.blur()")  # Tab from the page's start
        assert _tab_to(pg, "el => el.type === 'checkbox' && el.closest('label') && "
                           "el.closest('label').innerText.startsWith('Trial data only')"), "Tab never reached the filter"
        ring = pg.evaluate("""() => { const el = document.activeElement, l = el.closest('label');
            const s = getComputedStyle(l.querySelector('span') || l), t = getComputedStyle(el);
            return [s.boxShadow, s.outlineStyle, t.outlineStyle].join(' | '); }""")
        assert re.search(r"rgb|solid|auto", ring), f"no visible focus on the checkbox: {ring}"
        pg.keyboard.press("Space")
        _idle(pg)
        after = _headline_k(pg)
        assert after != before and int(after) < int(before), (before, after)
        pg.keyboard.press("Space")  # and back
        _idle(pg)
        assert _headline_k(pg) == before

        # "Share this view" opens a dialog from the keyboard; the dialog holds the focus, Tab goes INTO it (the link's
        # box and its copy button, never out to the page behind), it passes axe, and Escape closes it and gives the
        # focus back to the button.
        assert _tab_to(pg, "el => el.tagName === 'BUTTON' && el.innerText.includes('Share this view')"), "no Share"
        pg.keyboard.press("Enter")
        dialog = pg.locator('[data-testid="stDialog"]')
        dialog.get_by_text("Scan to open this view").wait_for()
        pg.wait_for_timeout(300)
        in_dialog = "el.closest('[data-testid=\"stDialog\"]') !== null"
        assert pg.evaluate(f"() => {{ const el = document.activeElement; return !!el && {in_dialog}; }}"), \
            "the dialog did not take the focus"
        focused = []  # (aria-label or testid) of each element Tab reaches; the copy button appears on the box's focus
        for _ in range(10):  # Tab cycles inside the dialog: the page behind is never reached
            pg.keyboard.press("Tab")
            pg.wait_for_timeout(200)
            el = pg.evaluate(f"""() => {{ const el = document.activeElement;
                return [!!el && {in_dialog}, el.getAttribute('aria-label') || el.dataset.testid || el.tagName,
                        el.innerText || '']; }}""")
            assert el[0], f"Tab left the dialog: {focused + [el[1]]}"
            focused.append(el[1])
            if el[1] == "stCode":
                assert "http" in el[2], el[2]
        assert "stCode" in focused, f"Tab did not reach the link in the dialog: {focused}"
        assert "Copy to clipboard" in focused, f"Tab did not reach the copy button: {focused}"
        assert dialog.locator("img[alt='QR code of the link above']").count() == 1
        small = pg.evaluate("""() => Array.from(document.querySelectorAll(
            '[data-testid="stDialog"] button, [data-testid="stDialog"] a')).filter(e => e.tabIndex >= 0)
            .map(e => { const r = e.getBoundingClientRect();
                        return [e.getAttribute('aria-label') || e.innerText.trim(), r.width, r.height]; })
            .filter(([name, w, h]) => w < 24 || h < 24)""")
        assert not small, f"targets under 24x24 px in the share dialog (WCAG 2.5.8): {small}"
        problems += _axe(pg, axe, "share dialog 1280")
        pg.keyboard.press("Escape")
        dialog.wait_for(state="detached")
        assert pg.evaluate("() => document.activeElement.innerText.includes('Share this view')"), \
            "Escape did not give the focus back to the Share button"

        # Presentation mode: the arrow keys reveal trials (right/left) and change the view (down).
        _open(pg, app_url + "?present=1")
        _check_page(pg, axe, "presentation 1280", problems)
        shown = pg.get_by_text(re.compile(r"Trial \d+ of \d+ shown"))
        first = shown.inner_text()
        pg.evaluate("() => document.activeElement && document.activeElement.blur()")  # keys go to the page
        pg.keyboard.press("ArrowRight")
        _idle(pg)
        second = shown.inner_text()
        assert int(re.search(r"Trial (\d+)", second)[1]) == int(re.search(r"Trial (\d+)", first)[1]) + 1
        title = pg.locator("h2").first.inner_text()
        pg.keyboard.press("ArrowDown")
        _idle(pg)
        assert pg.locator("h2").first.inner_text() != title
        pg.screenshot(path=SHOTS / "a11y_presentation.png")
    finally:
        ctx.close()

    pending = [p for p in problems if any(re.match(rf"/{page} \d+: {pat}", p) for page, pat in PENDING)]
    if pending:
        warnings.warn("known screen-fit failures (PENDING):\n" + "\n".join(pending), stacklevel=1)
    problems = [p for p in problems if p not in pending]
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------------- chart specs
_NAMED = {"black": "#000000", "white": "#FFFFFF"}
#: Builders whose low-contrast fills have a text twin: the risk-of-bias cells carry "+", "?", "-" (and "not reported"
#: is named in the legend and the table); a cell's fill is not what tells the judgement.
_SYMBOL_TWIN = {"rob_traffic_light", "rob_summary"}


def _hex(colour) -> str | None:
    if not isinstance(colour, str):
        return None
    c = _NAMED.get(colour.lower(), colour)
    if re.fullmatch(r"#[0-9a-fA-F]{3}", c):
        c = "#" + "".join(ch * 2 for ch in c[1:])
    return c.upper() if re.fullmatch(r"#[0-9a-fA-F]{6}", c) else None


def _blend(colour: str, alpha: float) -> str:
    """``colour`` drawn at opacity ``alpha`` over white."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(alpha * c + (1 - alpha) * 255):02X}" for c in rgb)


def _ratio(colour: str) -> float:
    """WCAG contrast against white, computed here from the definition (not with the code under test)."""
    def lin(c):
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(int(colour[i:i + 2], 16)) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def _channel_colours(enc: dict, channel: str) -> list[str]:
    ch = enc.get(channel) or {}
    out = [ch.get("value")]
    scale = ch.get("scale") or {}
    if isinstance(scale.get("range"), list):
        out += scale["range"]
    if isinstance(ch.get("condition"), dict):
        out.append(ch["condition"].get("value"))
    return [h for h in map(_hex, out) if h]


def _mark_problems(name: str, spec: dict) -> list[str]:
    """Marks (not text) none of whose colours reach 3:1 on white, and chart text under 4.5:1."""
    datasets = spec.get("datasets", {})
    problems = []
    from test_charts import _layers

    for unit in _layers(spec):
        data = unit.get("data")
        mark = unit["mark"] if isinstance(unit["mark"], dict) else {"type": unit["mark"]}
        kind, enc = mark["type"], unit.get("encoding", {})
        if mark.get("opacity") == 0:
            continue
        if kind == "text":
            colours = _channel_colours(enc, "color") + [h for h in [_hex(mark.get("color"))] if h]
            field = (enc.get("color") or {}).get("field")
            if field and (enc.get("color") or {}).get("scale", "x") is None and isinstance(data, dict):
                rows = datasets.get(data.get("name"), data.get("values", []))
                colours += [h for h in (_hex(r.get(field)) for r in rows) if h]
            if field == "ink":  # risk-of-bias symbols: their ink is chosen for the cell's fill, not the page's white
                continue
            problems += [f"{name}: text {c} {_ratio(c):.2f}:1" for c in set(colours) if _ratio(c) < 4.5]
            continue
        filled = mark.get("filled", kind in ("area", "bar", "rect", "square", "circle", "arc", "trail"))
        alpha = float(mark.get("opacity", 1))
        strokes = [_hex(mark.get("stroke"))] + _channel_colours(enc, "stroke")
        fills = [_hex(mark.get("fill"))] + _channel_colours(enc, "fill")
        base = [_hex(mark.get("color"))] + _channel_colours(enc, "color")
        (fills if filled else strokes).extend(base)
        # a white edge separates neighbours (stacked bars): it is no edge against the page
        strokes, fills = [c for c in strokes if c and c != "#FFFFFF"], [c for c in fills if c]
        s_alpha = alpha * float(mark.get("strokeOpacity", 1))
        f_alpha = alpha * float(mark.get("fillOpacity", 1))
        edge_ok = bool(strokes) and all(_ratio(_blend(c, s_alpha)) >= 3 for c in strokes)
        for c in strokes:
            if _ratio(_blend(c, s_alpha)) < 3:
                problems.append(f"{name}: {kind} stroke {c} at opacity {s_alpha:g}: {_ratio(_blend(c, s_alpha)):.2f}:1")
        for c in fills:
            if c == "#FFFFFF" or edge_ok or name in _SYMBOL_TWIN:
                continue  # hollow (its edge carries it), or outlined at 3:1, or a symbol says it
            if _ratio(_blend(c, f_alpha)) < 3:
                problems.append(f"{name}: {kind} fill {c} at opacity {f_alpha:g}: {_ratio(_blend(c, f_alpha)):.2f}:1")
    return problems


def _every_builder() -> dict:
    from test_charts import VI, YI, _stretched_builders, _studies

    from dashboard import charts
    from peerstats import meta

    pooled = meta.pool(YI, VI)
    specs = pd.DataFrame({"estimate": [0.1, 0.3, -0.05], "ci_low": [-0.1, 0.1, -0.3], "ci_high": [0.3, 0.5, 0.2],
                          "k": [6, 4, 3], "method": ["DL", "REML", "DL"], "test": ["z", "z", "knha"]})
    return {
        **_stretched_builders(),
        "forest": lambda: charts.forest(_studies(), pooled, "Hope"),
        "subgroup_forest": lambda: charts.subgroup_forest(
            meta.subgroup_test(YI, VI, list("aabbbc")).table(), pooled),
        "specification_curve": lambda: charts.specification_curve(specs, current=0.2),
        "line_chart": lambda: charts.line_chart(pd.DataFrame({"n": [10, 40, 160], "power": [0.1, 0.4, 0.9]}),
                                                "n", "power", x_title="Participants per arm", y_title="Power",
                                                title="Power by trial size"),
    }


@pytest.mark.parametrize("name", list(_every_builder()))
def test_chart_has_a_description_and_marks_and_text_with_enough_contrast(name):
    chart = _every_builder()[name]()
    spec = chart.to_dict()
    title = spec.get("title")
    title_text = title if isinstance(title, str) else (title or {}).get("text", "")
    description = spec.get("description", "")
    # the accessible name states the chart's title and says where its numbers are as text
    assert isinstance(description, str) and len(description) > 40, description
    assert str(title_text).rstrip(".") in description
    assert "table or CSV" in description
    assert spec["config"]["mark"]["aria"] is False  # one name for the chart, not one "x: ..; y: .." per mark
    assert _mark_problems(name, spec) == []


def test_the_contrast_check_sees_a_faint_mark():
    """The checker above flags what it should: a light line, a faint fill with no edge, pale text."""
    spec = {"layer": [
        {"mark": {"type": "rule", "color": "#BBBBBB"}},
        {"mark": {"type": "area", "color": "#56B4E9", "opacity": 0.3}},
        {"mark": {"type": "area", "color": "#56B4E9", "fillOpacity": 0.3, "stroke": "#0072B2"}},
        {"mark": {"type": "point", "filled": True, "color": "#0072B2", "opacity": 0.5}},
        {"mark": {"type": "text", "color": "#D55E00"}, "encoding": {"text": {"field": "t"}}},
    ]}
    got = _mark_problems("probe", spec)
    assert len(got) == 4, got  # the outlined area passes
    assert np.isclose(_ratio("#767676"), 4.54, atol=0.01)  # WebAIM's value for #767676 on white
