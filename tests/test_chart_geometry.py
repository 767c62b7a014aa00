"""Chart geometry without a browser: the app's charts drawn by vl-convert for the box a screen gives them, as SVG.

Issue 20 (the browser tier on a budget): a layout check that needs only where Vega places each text and how wide the
text is moves here from the real-browser tests. Where Vega puts every mark is the same in vl-convert as in the
browser (the spec's ``containerSize()`` is answered with the box's width, as Streamlit's container does); the width
of a text is measured with the font Chromium draws Vega's ``sans-serif`` in (Liberation Sans, Debian's
``fonts-liberation``, which the ``chromium`` package depends on). Checked against Chromium for the home page's forest
plot at 390, 480, 600, 800 and 1024 px screens: every table cell's left edge agrees to 0.3 px and its right edge to
1 px (3 px for a label Vega cut short: vl-convert measures text for truncation in its own font and may cut one
character earlier); legend labels come out up to 6 px narrower than Chromium draws them. Where the plot's place
depends on how wide Vega measures axis labels (the traffic light's trial names in a wide box), vl-convert lays the
chart out a few pixels differently from the browser; in a phone's box they agree to 1 px.

The browser keeps what needs a page: no sideways scroll, the sidebar, and one spacing check per chart at a phone's
width in its own fonts (``test_browser_responsive.py``); the sweep over widths is here.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from functools import cache, lru_cache

import pytest

#: Widths (px) of the box the app gives a full-width chart on a screen, measured in Chromium (the chart element's
#: bounding box): 17 px of padding each side, and from 800 px the sidebar open beside it. "360" is a small phone,
#: "800-no-sidebar" a tablet whose user closed the sidebar (the same padding as a phone).
BOXES = {"360": 326, "390": 356, "480": 446, "600": 566, "800": 447, "800-no-sidebar": 766, "1024": 535}
#: Two texts on one row (centres less than ROW_PX apart) must be at least GAP_PX apart (as the browser check).
ROW_PX, GAP_PX = 3.0, 4.0
SVG_NS = "{http://www.w3.org/2000/svg}"
TRANSLATE = re.compile(r"translate\(([-\d.e]+),\s*([-\d.e]+)\)")


@cache
def _font(size: float, bold: bool):
    from PIL import ImageFont

    name = "LiberationSans-Bold.ttf" if bold else "LiberationSans-Regular.ttf"
    try:
        return ImageFont.truetype(name, size)
    except OSError:
        pytest.fail(f"{name} is missing: the chart geometry tests measure text in the font Chromium draws Vega's "
                    "sans-serif in (apt-get install fonts-liberation; Debian's chromium depends on it)")


def text_boxes(svg: str) -> list[dict]:
    """Every non-blank text of a vl-convert SVG outside its axes (Vega lays out, and may rotate, axis labels and
    titles itself): ``t`` (as drawn, truncated), ``l``/``r`` (left and right edge, px, from the text's anchor and its
    width in Liberation Sans) and ``y`` (vertical centre of its glyph box). Group translations are accumulated; any
    other transform (a rotation) is refused rather than measured wrong."""
    out: list[dict] = []

    def walk(el, dx: float, dy: float) -> None:
        if "role-axis" in (el.get("class") or ""):
            return  # Vega lays out (and rotates) axis labels and titles itself
        transform = el.get("transform")
        if transform:
            m = TRANSLATE.fullmatch(transform.strip())
            if m is None:
                raise AssertionError(f"transform {transform!r} is not a translation: measure it in a browser")
            dx, dy = dx + float(m.group(1)), dy + float(m.group(2))
        if el.tag == SVG_NS + "text":
            text = "".join(el.itertext())
            if text.strip():
                font = _font(float(el.get("font-size", "10px").removesuffix("px")), el.get("font-weight") == "bold")
                width = font.getlength(text)
                anchor = el.get("text-anchor", "start")
                left = dx - (width if anchor == "end" else width / 2 if anchor == "middle" else 0.0)
                ascent, descent = font.getmetrics()
                out.append({"t": text, "l": left, "r": left + width, "y": dy - (ascent - descent) / 2})
            return
        for child in el:
            walk(child, dx, dy)

    walk(ET.fromstring(svg), 0.0, 0.0)
    return out


def crowded(svg: str) -> tuple[int, list[tuple[str, str]]]:
    """The number of texts outside axes, and the pairs of them on one row closer than GAP_PX (touching or
    overlapping): the browser check of test_browser_responsive (OVERLAPS) on SVG."""
    cells = text_boxes(svg)
    out = []
    for i, a in enumerate(cells):
        for b in cells[i + 1:]:
            if abs(a["y"] - b["y"]) < ROW_PX and a["l"] < b["r"] + GAP_PX and b["l"] < a["r"] + GAP_PX:
                out.append((a["t"], b["t"]))
    return len(cells), out


def in_box(spec: dict, width: float, set_width: bool) -> str:
    """The SVG of ``spec`` as Streamlit draws a ``width="stretch"`` chart in a box ``width`` px wide: the container
    size answered with the box's width, and (``set_width``) the spec's width set to it, as Streamlit does for a
    chart without a ``fit`` signal of its own."""
    import vl_convert as vlc

    boxed = json.loads(json.dumps(spec).replace("containerSize()[0]", repr(float(width))))
    if set_width:  # Streamlit 1.67's frontend: the top level's width, and that of every plain view of a vconcat
        boxed["width"] = width
        for view in boxed.get("vconcat", []):
            if not any(k in view for k in ("hconcat", "vconcat", "concat", "facet", "repeat")):
                view["width"] = width
    return vlc.vegalite_to_svg(boxed)


@lru_cache(maxsize=1)
def home_forest() -> dict:
    """The home page's forest plot with the bundled data, built as ``pages/explore.py`` builds it: personal recovery,
    the paper's main analysis (DL, z), favours by the outcome's beneficial direction."""
    from dashboard import charts
    from dashboard.components import chart_frame
    from peerstats.data import load_evidence
    from peerstats.meta import pool
    from peerstats.select import Filters, outcome_labels, select

    evidence = load_evidence()
    sel = select(evidence, Filters(), "personal_recovery")
    _, label, beneficial = outcome_labels(evidence.effects)["personal_recovery"]
    favours = ("control", "peer support") if beneficial >= 0 else ("peer support", "control")
    return charts.forest(chart_frame(sel.effects), pool(sel.yi, sel.vi, method="DL", test="z"), label,
                         favours=favours, method_label="Pooled (DL)").to_dict()


@lru_cache(maxsize=1)
def rob_traffic_light() -> dict:
    """The Risk of bias page's traffic light with the bundled data: every trial passing the default filters, by
    label (one page: 49 trials)."""
    from dashboard import charts
    from peerstats.data import load_evidence
    from peerstats.select import Filters, select

    trials = select(load_evidence(), Filters(), "personal_recovery").trials.sort_values("label", kind="stable")
    return charts.rob_traffic_light(trials).to_dict()


@pytest.mark.parametrize("screen", list(BOXES))
def test_forest_plot_texts_never_overlap(screen):
    """Laid out for any width, no two texts of the forest plot (trial, CI, weight, pooled row, favours labels) touch
    or overlap (at least 4 px apart on a row): fonts stop shrinking at a readable size while positions keep
    shrinking, so a column that would collide is dropped instead (charts.forest.WEIGHT_HIDDEN_BELOW). On the layout
    before it, this fails at the 390 px screen ('−0.08 [−0.56, 0.40]' ran into '3.0%'), as the browser check did."""
    n, out = crowded(in_box(home_forest(), BOXES[screen], set_width=False))
    assert n > 40, n
    assert out == [], out[:10]


@pytest.mark.parametrize("screen", ["360", "390", "480", "1024"])
def test_traffic_light_quality_words_keep_clear_of_the_circles(screen):
    """On each row of the traffic light the symbols of the seven domains and the AHRQ quality word are at least 4 px
    apart. On the layout before the quality word was left-aligned, this fails at the 390 px screen ('+' ran into
    'good'; in the browser '?' into 'poor')."""
    n, out = crowded(in_box(rob_traffic_light(), BOXES[screen], set_width=True))
    assert n > 49 * 7, n  # every trial's symbols and quality word
    assert out == [], out[:10]


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
    assert {p["name"] for p in spec["params"]} == {"fit", "narrow", "width", "height"}  # width: fixed view; height: the layout dataset's


def _svg_width(svg: str) -> float:
    return float(ET.fromstring(svg).get("width"))


def _font_sizes(svg: str) -> list[float]:
    return [float(el.get("font-size", "10px").removesuffix("px")) for el in ET.fromstring(svg).iter(SVG_NS + "text")
            if "".join(el.itertext()).strip()]


@lru_cache(maxsize=1)
def spec_curve_frame():
    """A multiverse of 400 specifications shaped like the bundled one: estimates from -0.02 to 0.5, CIs of +-0.15,
    and every 10th specification pools two trials with a CI from about -3.5 to 4 (as k = 2 does with the
    Knapp-Hartung test)."""
    import numpy as np
    import pandas as pd

    n = 400
    est = np.linspace(-0.02, 0.5, n)
    half = np.where(np.arange(n) % 10 == 0, 3.6, 0.15)
    return pd.DataFrame({"estimate": est, "ci_low": est - half, "ci_high": est + half,
                         "k": np.where(half > 1, 2, 8), "method": np.resize(["DL", "REML", "PM", "FE"], n),
                         "test": np.resize(["z", "knha"], n),
                         "quality": np.resize(["all", "good + fair"], n), "rows": np.resize(["all rows", "real rows"], n),
                         "leadership": np.resize(["all", "peer-led", "peer-led or co-led", "co-led"], n),
                         "control": np.resize(["all", "TAU", "not TAU", "active"], n),
                         "categories": np.resize(["all", "hospital_added + established_roles + independent"], n)})


@pytest.mark.parametrize("screen", ["360", "390", "800", "1024", "800-no-sidebar"])
def test_specification_curve_fits_its_box_with_readable_text(screen):
    """Issue 21: the specification curve was a fixed ~950 px canvas (half hidden at 1024, most of it on a phone).
    Laid out for each box it is no wider than the box (1 px for rounding), its plot takes the room the box leaves
    (more than half of the box beside the choice labels), and no text is under 12 px."""
    from dashboard import charts

    spec = charts.specification_curve(spec_curve_frame(), current=0.2).to_dict()
    assert any(p["name"] == "fit" for p in spec["params"])  # drawn width="stretch" by components.chart
    box = BOXES[screen]
    svg = in_box(spec, box, set_width=True)  # as Streamlit draws it (before the nested vconcat: 118-146 px wider)
    assert _svg_width(svg) <= box + 1, (_svg_width(svg), box)
    assert min(_font_sizes(svg)) >= 12
    # the plot: the extent of the black zero line drawn across it
    lines = re.findall(r'<line[^>]*x2="([\d.]+)"[^>]*stroke="#000"', svg) or re.findall(
        r'<path[^>]*d="M0,[\d.]+h([\d.]+)"[^>]*stroke="#000"', svg)
    assert lines and max(float(v) for v in lines) >= 0.3 * box, lines


def test_specification_curve_keeps_the_estimates_range_and_marks_cut_intervals():
    """The y axis spans the estimates (and 0 and the current view) padded by half their spread, not the k = 2
    intervals' -3.6 to 4.1; every interval reaching past it ends in a triangle at the edge, and the subtitle counts
    them."""
    import numpy as np

    from dashboard import charts

    frame = spec_curve_frame()
    spec = charts.specification_curve(frame, current=0.2).to_dict()
    top = spec["vconcat"][0]["vconcat"][0]  # nested once (see the builder)
    domains = [lay["encoding"]["y"]["scale"]["domain"] for lay in top["layer"]
               if "scale" in lay["encoding"].get("y", {})]
    lo, hi = domains[0]
    assert all(d == [lo, hi] for d in domains)
    spread = 0.5 - (-0.02)  # the estimates' range, written out
    assert lo <= -0.02 - 0.5 * spread and lo > -0.02 - 0.5 * spread - 0.1  # -0.28 out to the next 0.1
    assert hi >= 0.5 + 0.5 * spread and hi < 0.5 + 0.5 * spread + 0.1  # 0.76 likewise
    assert np.isclose(lo, -0.3) and np.isclose(hi, 0.8)
    cut_rows = [lay for lay in top["layer"] if lay["encoding"].get("shape", {}).get("field") == "end"]
    assert len(cut_rows) == 1
    marks = spec["datasets"][cut_rows[0]["data"]["name"]]
    above = int((frame["ci_high"] > hi).sum())
    below = int((frame["ci_low"] < lo).sum())
    assert above == below == 40
    assert sorted(m["end"] for m in marks) == ["triangle-down"] * below + ["triangle-up"] * above
    assert {m["y"] for m in marks} == {lo, hi}
    assert spec["title"]["subtitle"].startswith("80 intervals reach past the axis")
    # a multiverse whose intervals all fit keeps them whole, with no marks or subtitle
    calm = frame.assign(ci_low=frame["estimate"] - 0.1, ci_high=frame["estimate"] + 0.1)
    spec = charts.specification_curve(calm).to_dict()
    assert "subtitle" not in spec["title"]
    assert not [lay for lay in spec["vconcat"][0]["vconcat"][0]["layer"] if "shape" in lay["encoding"]]


@lru_cache(maxsize=1)
def fitted_charts() -> dict:
    """The app's forest-type charts with the bundled data (personal recovery, DL, z): the home page's forest plot,
    the Subgroups page's forest by organisational category, and the presentation slide's forest (scale 1.5)."""
    from dashboard import charts
    from dashboard.components import chart_frame
    from peerstats.data import load_evidence
    from peerstats.meta import pool, subgroup_test
    from peerstats.select import Filters, select, subgroup_inputs

    sel = select(load_evidence(), Filters(), "personal_recovery")
    pooled = pool(sel.yi, sel.vi, method="DL", test="z")
    res = subgroup_test(*subgroup_inputs(sel, "category"), method="DL", test="z")
    return {
        "forest": home_forest(),
        "subgroup_forest": charts.subgroup_forest(res.table(), pooled, title="Personal recovery by category").to_dict(),
        "presentation": charts.forest(chart_frame(sel.effects), pooled, "Personal recovery",
                                      method_label="Pooled (DL)", scale=1.5).to_dict(),
    }


@pytest.mark.parametrize("screen", list(BOXES))
@pytest.mark.parametrize("name", ["forest", "subgroup_forest", "presentation"])
def test_fitted_charts_stay_in_their_box_with_text_of_12_px(name, screen):
    """Issue 21: no chart wider than its column, chart text at least 12 px (it was 10 px: 72% of 14), and no two
    texts of a row touching. Before: the subgroup forest stuck out 22 px of a 360 px phone's box and its I2 ran into
    the CI ("0.34]48%") on a phone and at 1024 px; the slide's forest (scale 1.5) stuck out 70 px on a phone, its
    smallest layout being 1.5 times the normal one."""
    box = BOXES[screen]
    # drawn as Streamlit draws width="stretch": the spec's width set to the box (before the fixed "width" param the
    # forest's table text then came on top of it: 79-297 px wider than the box in Chromium)
    svg = in_box(fitted_charts()[name], box, set_width=True)
    assert _svg_width(svg) <= box, (_svg_width(svg), box)
    assert min(_font_sizes(svg)) >= 12
    n, out = crowded(svg)
    assert n > 10 and out == [], out[:10]


def test_subgroup_forest_keeps_its_i2_column_on_a_projector():
    """The I2 column leaves the subgroup forest only on a phone (its tooltip keeps it): at 1024 px (sidebar open)
    it is drawn, at 390 px it is not."""
    spec = fitted_charts()["subgroup_forest"]
    texts = lambda box: [c["t"] for c in text_boxes(in_box(spec, box, set_width=False))]  # noqa: E731
    assert "I\u00b2" in texts(BOXES["1024"]) and "I\u00b2" not in texts(BOXES["390"])


@pytest.mark.parametrize("k", [5, 17, 26])
def test_slide_keeps_its_pooled_row_within_the_projector_budget(k):
    """Issue 21: with 17 trials the slide's pooled diamond was below the fold of a 1024x768 projector (rows of 36 px:
    the pooled row ~700 px below the chart's title). Laid out by presentation.slide_layout for the slide's box
    (990 px: the sidebar is collapsed), the pooled row lies within SLIDE_ROWS_PX of the plot's top (the title above it within 60 px), for up to
    26 trials, with text of 12 px at least and no two texts of a row touching."""
    import pandas as pd

    from dashboard import charts
    from dashboard.presentation import SLIDE_ROWS_PX, slide_layout
    from peerstats.meta import pool

    studies = pd.DataFrame({"label": [f"Trial {i} et al., 20{i:02d}" for i in range(k)],
                            "yi": [0.05 * (i % 7) - 0.1 for i in range(k)], "vi": [0.02 + 0.01 * (i % 3) for i in range(k)]})
    scale, row_px = slide_layout(k)
    pooled = pool(studies["yi"].to_numpy(), studies["vi"].to_numpy(), method="DL")
    svg = in_box(charts.forest(studies, pooled, "Hope", method_label="Pooled (DL)", scale=scale,
                               row_px=row_px).to_dict(), 990, set_width=False)
    cells = text_boxes(svg)
    (pooled_row,) = [c for c in cells if c["t"].startswith("Pooled (DL)")]  # the pooled row's label
    (header,) = [c for c in cells if c["t"] == "Trial"]  # the column header: row -1, 0.3 rows below the plot's top
    (title,) = [c for c in cells if c["t"].startswith("Hope: ")]
    plot_top = header["y"] - 0.3 * row_px
    assert plot_top - (title["y"] - 10) <= 60  # the title and subtitle: the ~60 px the budget leaves them
    assert pooled_row["y"] + 0.5 * row_px - plot_top <= SLIDE_ROWS_PX, (pooled_row, plot_top)  # diamond's bottom
    assert min(_font_sizes(svg)) >= 12 and _svg_width(svg) <= 990
    assert crowded(svg)[1] == []


# ------------------------------------------------------------------------ every text of a stretched chart in its box
#: Boxes from a small phone's (326 px) to a wide window's with the sidebar closed (1280 px), as in the browser check
#: of every page (test_browser_a11y.SCREEN_FIT).
STRETCH_BOXES = (326, 356, 446, 535, 766, 791, 1024, 1280)
_AFFINE = re.compile(r"(translate|rotate)\(([^)]*)\)")


def _affine(transform: str | None):
    """The 2x3 matrix ``(a, b, c, d, e, f)`` of an SVG transform list of translations and rotations."""
    import math

    m = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    for kind, args in _AFFINE.findall(transform or ""):
        v = [float(x) for x in re.split(r"[\s,]+", args.strip()) if x]
        if kind == "translate":
            t = (1.0, 0.0, 0.0, 1.0, v[0], v[1] if len(v) > 1 else 0.0)
        else:
            r = math.radians(v[0])
            t = (math.cos(r), math.sin(r), -math.sin(r), math.cos(r), 0.0, 0.0)
        a, b, c, d, e, f = m
        m = (a * t[0] + c * t[1], b * t[0] + d * t[1], a * t[2] + c * t[3], b * t[2] + d * t[3],
             a * t[4] + c * t[5] + e, b * t[4] + d * t[5] + f)
    return m


def text_extents(svg: str) -> list[tuple[str, float, float]]:
    """Every non-blank text of a vl-convert SVG, axis labels and titles included, as ``(text, left, right)``: the
    horizontal extent of its glyph box (its width in Liberation Sans from its anchor, ascent to descent) after every
    translation and rotation of it and its groups."""
    out = []

    def walk(el, m) -> None:
        t = _affine(el.get("transform"))
        a, b, c, d, e, f = m
        m = (a * t[0] + c * t[1], b * t[0] + d * t[1], a * t[2] + c * t[3], b * t[2] + d * t[3],
             a * t[4] + c * t[5] + e, b * t[4] + d * t[5] + f)
        if el.tag == SVG_NS + "text":
            text = "".join(el.itertext())
            if text.strip():
                x0, y0 = float(el.get("x", 0)), float(el.get("y", 0))
                font = _font(float(el.get("font-size", "10px").removesuffix("px")), el.get("font-weight") == "bold")
                width = font.getlength(text)
                anchor = el.get("text-anchor", "start")
                left = x0 - (width if anchor == "end" else width / 2 if anchor == "middle" else 0.0)
                ascent, descent = font.getmetrics()
                xs = [m[0] * x + m[2] * y + m[4] for x in (left, left + width) for y in (y0 - ascent, y0 + descent)]
                out.append((text, min(xs), max(xs)))
            return
        for child in el:
            walk(child, m)

    walk(ET.fromstring(svg), (1.0, 0.0, 0.0, 1.0, 0.0, 0.0))
    return out


def test_text_extents_follow_rotations():
    """The measure above, on a hand-made SVG: a text rotated -90 degrees about its anchor (it reads upwards, the top
    of its glyphs to the left) spans its glyph height horizontally, one at 0 degrees its width."""
    svg = ('<svg xmlns="http://www.w3.org/2000/svg"><g transform="translate(100,50)">'
           '<text transform="translate(10,0) rotate(-90)" font-size="20px">Wide label</text>'
           '<text x="5" font-size="20px" text-anchor="end">Wide label</text></g></svg>')
    (_, l1, r1), (_, l2, r2) = text_extents(svg)
    ascent, descent = _font(20.0, False).getmetrics()
    assert l1 == pytest.approx(110 - ascent) and r1 == pytest.approx(110 + descent)
    width = _font(20.0, False).getlength("Wide label")
    assert l2 == pytest.approx(105 - width) and r2 == pytest.approx(105)


@lru_cache(maxsize=1)
def stretched_charts() -> dict:
    """The charts that take their box's width (funnel, contour funnel, leave-one-out, cumulative, risk of bias,
    Baujat, bubble) from ``test_charts`` (long trial labels), and the Risk of bias page's traffic light."""
    from test_charts import _stretched_builders

    return {**{name: build().to_dict() for name, build in _stretched_builders().items()},
            "rob_traffic_light_app": rob_traffic_light()}


@pytest.mark.parametrize("name", ["funnel", "contour_funnel", "leave_one_out_plot", "cumulative_plot",
                                  "rob_traffic_light", "rob_summary", "baujat_plot", "bubble", "rob_traffic_light_app"])
def test_stretched_charts_keep_every_text_in_their_box(name):
    """Issue 21, every screen: drawn as Streamlit draws a ``width="stretch"`` chart (its width set to the box), in
    boxes of 326 to 1280 px, no text (axis labels and titles included, rotated as drawn) leaves the box, 2 px allowed
    for the font measure, and none is under 12 px. Before: the traffic light's angled domain names ended outside a
    535 px box (1024 px screen): "Intention to treat" 6 px, "Quality (AHRQ)" 37 px here; in Chromium 30 px once the
    window had been 1280 px wide (its grid was sized from Vega's fit-x ``width``, which lags a layout behind)."""
    spec = stretched_charts()[name]
    for box in STRETCH_BOXES:
        svg = in_box(spec, box, set_width=True)
        assert _svg_width(svg) == box
        out = [(t, round(left), round(right)) for t, left, right in text_extents(svg) if left < -2 or right > box + 2]
        assert out == [], (box, out[:5])
        assert min(_font_sizes(svg)) >= 12, box
