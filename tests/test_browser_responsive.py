"""Real browser, issue 12 "fits every screen": a projector (1024x768, sidebar open) and a phone (390x844).

Nothing scrolls sideways, the forest plot's every visible mark and text (trial labels, CI and weight columns, axis,
legend) lies inside the viewport and its own box, the chart is laid out for the width (its SVG text is drawn at a
smaller size, not a scaled image), long labels are cut with the full name in a tooltip, and on a phone the sidebar
starts collapsed.
"""

from __future__ import annotations

import pytest
from live_app import ROOT

pytestmark = pytest.mark.browser

SHOTS = ROOT / "artifacts" / "screenshots"

# Every visible element of the forest plot's SVG: its marks and text, not the invisible frame and background
# rectangles of Vega's groups (they span the view's width, which Streamlit sets to the page's width).
#: The extent of one chart's visible marks and text, from its ``svg`` (sets left, right, n, fonts).
MARKS_EXTENT = """  let right = -1e9, left = 1e9, n = 0, fonts = [];
  for (const el of svg.querySelectorAll('text, path:not(.background), line, rect:not(.background)')) {
    const b = el.getBoundingClientRect();
    if (b.width === 0 && b.height === 0) continue;
    if (el.tagName === 'text' && !el.textContent.trim()) continue;
    right = Math.max(right, b.right); left = Math.min(left, b.left); n++;
    if (el.tagName === 'text') fonts.push(parseFloat(getComputedStyle(el).fontSize || el.getAttribute('font-size')));
  }
"""
VISIBLE_EXTENT = """() => {
  const box = document.querySelector('[data-testid="stVegaLiteChart"]');
  const svg = box.querySelector('svg');
""" + MARKS_EXTENT + """  const texts = Array.from(svg.querySelectorAll('text')).map(t => t.textContent);
  const b = box.getBoundingClientRect();
  return {left, right, n, boxLeft: b.left, boxRight: b.right, texts, fonts,
          docScroll: document.documentElement.scrollWidth, docClient: document.documentElement.clientWidth,
          bodyScroll: document.body.scrollWidth, vw: window.innerWidth};
}"""


def open_page(browser, url, width, height):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": width, "height": height})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(url)
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    pg.locator('[data-testid="stVegaLiteChart"] svg').first.wait_for()
    pg.wait_for_timeout(800)
    return ctx, pg


def sidebar_expanded(pg) -> bool:
    """The sidebar is on screen (a collapsed one is moved off to the left or has no width)."""
    box = pg.locator('[data-testid="stSidebar"]').bounding_box()
    return box is not None and box["width"] > 100 and box["x"] + box["width"] > 100


@pytest.mark.parametrize("width, height, sidebar", [(1024, 768, True), (390, 844, False)], ids=["projector", "phone"])
def test_forest_plot_fits_without_sideways_scroll(browser, app_url, width, height, sidebar):
    from peerstats.data import load_evidence
    from peerstats.select import Filters, select

    ctx, pg = open_page(browser, app_url, width, height)
    try:
        assert sidebar_expanded(pg) is sidebar  # open on a projector, collapsed on a phone
        pg.locator('[data-testid="stVegaLiteChart"]').first.scroll_into_view_if_needed()
        pg.wait_for_timeout(300)
        ext = pg.evaluate(VISIBLE_EXTENT)
        pg.screenshot(path=SHOTS / f"responsive_{width}x{height}.png", full_page=False)
    finally:
        ctx.close()
    assert ext["docScroll"] <= ext["docClient"] and ext["bodyScroll"] <= ext["vw"], ext  # no sideways scroll
    assert ext["n"] > 50  # the plot is drawn
    assert ext["left"] >= ext["boxLeft"] - 1 and ext["right"] <= ext["boxRight"] + 1, ext  # inside its box
    assert ext["right"] <= width, ext  # and inside the viewport
    # The CI column right of the plot is there; the weight column too, except on a phone, where there is no room for
    # it beside the CIs at a readable font (charts.forest.WEIGHT_HIDDEN_BELOW: the squares' sizes give the weights).
    sel = select(load_evidence(), Filters(), "personal_recovery")
    assert "SMD [95% CI]" in ext["texts"]
    weights = [t for t in ext["texts"] if t.endswith("%") and t[0].isdigit()]
    if width >= 1024:
        assert "Weight" in ext["texts"] and "100%" in ext["texts"] and len(weights) >= sel.k
    else:
        assert "Weight" not in ext["texts"] and weights == []
    # Laid out again for the width: the text is drawn smaller (never below 10 px), not a scaled bitmap.
    assert min(ext["fonts"]) >= 10 and max(ext["fonts"]) < 17


def test_long_trial_labels_are_cut_with_the_full_name_in_a_tooltip():
    """The builder side of it (no browser): the trial column has a pixel limit that shrinks with the layout, and its
    tooltip field is the untruncated label."""
    import pandas as pd

    from dashboard import charts

    long = "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa et al., 2020"
    studies = pd.DataFrame({"label": [long, "B, 2001"], "yi": [0.1, 0.3], "vi": [0.02, 0.03]})
    spec = charts.forest(studies, None, "Hope").to_dict()
    def tip_field(lay):
        tip = lay.get("encoding", {}).get("tooltip", {})
        return tip.get("field") if isinstance(tip, dict) else None

    label_layers = [lay for lay in spec["layer"] if tip_field(lay) == "tip"]
    assert label_layers, "no text layer carries the full label as its tooltip"
    lay = label_layers[0]
    assert "narrow" in lay["mark"]["limit"]["expr"] and "fit" in lay["mark"]["limit"]["expr"]
    rows = spec["datasets"][lay["data"]["name"]]
    assert {r["tip"] for r in rows} == {long, "B, 2001"}
    assert {p["name"] for p in spec["params"]} == {"fit", "narrow"}


def test_presentation_mode_hides_the_sidebar_and_steps_through_the_deck(browser, app_url):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    idle = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    try:
        pg.goto(app_url + "?present=1")
        pg.wait_for_selector(idle)
        pg.get_by_text("Trial 1 of", exact=False).first.wait_for()
        assert not sidebar_expanded(pg)  # no sidebar on screen
        assert pg.locator('[data-testid="stSidebarNav"]').count() == 0  # and no page links
        pg.wait_for_selector(idle)
        # the next trial, by keyboard. Streamlit binds a button's shortcut once the button has rendered; on a loaded
        # machine the first press can come before that, so the key is pressed again (at most three times): a
        # keyboard that never works still fails.
        for attempt in range(3):
            pg.keyboard.press("ArrowRight")
            try:
                pg.get_by_text("Trial 2 of", exact=False).first.wait_for(timeout=15_000)
                break
            except Exception:  # noqa: BLE001 - retried, then the final wait below fails loudly
                pg.wait_for_selector(idle)
        pg.get_by_text("Trial 2 of", exact=False).first.wait_for()
        pg.get_by_role("button", name="Next view").click()
        pg.get_by_text("The paper's main analysis · slide 1 of 3").wait_for()
        pg.keyboard.press("ArrowDown")  # the next slide, by keyboard
        pg.get_by_text("Fair/good quality only · slide 2 of 3").wait_for()
        pg.wait_for_selector(idle)
        assert "present=1" in pg.url
        pg.screenshot(path=SHOTS / "presentation.png")
    finally:
        ctx.close()


# Every chart on the page: the extent of its visible marks and text (as VISIBLE_EXTENT) and its box.
ALL_EXTENTS = """() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]')).map(box => {
  const svg = box.querySelector('svg');
""" + MARKS_EXTENT + """  const b = box.getBoundingClientRect();
  const title = Array.from(svg.querySelectorAll('text')).map(t => t.textContent).find(t => t.trim()) || '';
  return {title, left, right, n, boxLeft: b.left, boxRight: b.right, minFont: Math.min(...fonts)};
})"""
SCROLL = """() => ({docScroll: document.documentElement.scrollWidth, docClient: document.documentElement.clientWidth,
                   bodyScroll: document.body.scrollWidth, vw: window.innerWidth})"""

# page, query, charts drawn on it (the bundled data): leave-one-out, cumulative and Baujat; funnel and contour funnel
# (overall symptoms: trim-and-fill imputes trials, so the funnel's legend has all three kinds); RoB summary and
# traffic light.
CHART_PAGES = [("sensitivity", "", 3), ("small-study-effects", "&outcome=overall_symptoms", 2),
               ("risk-of-bias", "", 2)]


@pytest.mark.parametrize("width, height", [(1024, 768), (390, 844)], ids=["projector", "phone"])
@pytest.mark.parametrize("page, query, n_charts", CHART_PAGES, ids=[p for p, _, _ in CHART_PAGES])
def test_every_chart_of_the_analysis_pages_fits(browser, app_url, width, height, page, query, n_charts):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    try:
        pg.goto(f"{app_url.rstrip('/')}/{page}?page={page}{query}")
        pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
        charts = pg.locator('[data-testid="stVegaLiteChart"] svg')
        charts.nth(n_charts - 1).wait_for()
        assert sidebar_expanded(pg) is (width >= 1024)
        for i in range(n_charts):  # drawn and laid out in its box, whatever the scroll position
            charts.nth(i).scroll_into_view_if_needed()
        pg.wait_for_timeout(800)
        extents, scroll = pg.evaluate(ALL_EXTENTS), pg.evaluate(SCROLL)
        pg.screenshot(path=SHOTS / f"responsive_{page}_{width}x{height}.png", full_page=True)
    finally:
        ctx.close()
    assert scroll["docScroll"] <= scroll["docClient"] and scroll["bodyScroll"] <= scroll["vw"], scroll
    assert len(extents) == n_charts, [e["title"] for e in extents]
    for ext in extents:
        assert ext["n"] > 10, ext  # the chart is drawn
        assert ext["left"] >= ext["boxLeft"] - 1 and ext["right"] <= ext["boxRight"] + 1, ext  # inside its box
        assert ext["left"] >= 0 and ext["right"] <= width, ext  # and inside the viewport
        assert ext["minFont"] >= 11, ext  # laid out again, not a scaled-down picture


#: Texts of chart ``i`` drawn on one row (centres within 3 px) closer than 4 px apart, touching or overlapping:
#: pairs of strings ("0.40]3.0%" reads as one token). Axis labels are left to Vega.
OVERLAPS = """(i) => {
  const svg = document.querySelectorAll('[data-testid="stVegaLiteChart"] svg')[i];
  const cells = [];
  for (const el of svg.querySelectorAll('text')) {
    if (!el.textContent.trim() || el.closest('.role-axis')) continue;  // axes: Vega lays out (and rotates) their labels
    const b = el.getBoundingClientRect();
    if (b.width === 0) continue;
    cells.push({t: el.textContent, l: b.left, r: b.right, y: (b.top + b.bottom) / 2});
  }
  const out = [];
  for (let i = 0; i < cells.length; i++)
    for (let j = i + 1; j < cells.length; j++) {
      const a = cells[i], b = cells[j];
      if (Math.abs(a.y - b.y) < 3 && a.l < b.r + 4 && b.l < a.r + 4) out.push([a.t, b.t]);
    }
  return {n: cells.length, out};
}"""


@pytest.mark.parametrize("width", [390, 480, 600, 800], ids=["phone", "large-phone", "small-tablet", "tablet"])
def test_forest_plot_texts_never_overlap(browser, app_url, width):
    """Laid out for any width, no two texts of the forest plot (trial, CI, weight, pooled row, favours labels) touch
    or overlap (at least 4 px apart on a row): fonts stop shrinking at a readable size while positions keep shrinking, so a column that
    would collide is dropped instead."""
    ctx, pg = open_page(browser, app_url, width, 844)
    try:
        pg.locator('[data-testid="stVegaLiteChart"]').first.scroll_into_view_if_needed()
        pg.wait_for_timeout(300)
        got = pg.evaluate(OVERLAPS, 0)
    finally:
        ctx.close()
    assert got["n"] > 40, got
    assert got["out"] == [], got["out"][:10]


@pytest.mark.parametrize("width", [390, 1024], ids=["phone", "projector"])
def test_traffic_light_quality_words_keep_clear_of_the_circles(browser, app_url, width):
    """The Risk of bias page's traffic light (its second chart): on each row the symbols of the seven domains and
    the AHRQ quality word are at least 4 px apart ("?poor" ran together on a phone)."""
    ctx, pg = open_page(browser, app_url + "risk-of-bias", width, 844)
    try:
        pg.wait_for_function("() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] svg').length >= 2")
        pg.locator('[data-testid="stVegaLiteChart"]').nth(1).scroll_into_view_if_needed()
        pg.wait_for_timeout(500)
        got = pg.evaluate(OVERLAPS, 1)
    finally:
        ctx.close()
    assert got["n"] > 49 * 7, got["n"]  # every trial's symbols and quality word
    assert got["out"] == [], got["out"][:10]
