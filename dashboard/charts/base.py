"""The chart kit: the shared pieces every chart builder (``dashboard/charts/*.py``) imports, all public.

See the package docstring (``dashboard.charts``) for the conventions every builder follows. The kit, by use:

- **Colours and labels**: :data:`PALETTE` (Okabe-Ito), :data:`TRIAL_DATA_LABEL` / :data:`RECONSTRUCTED_LABEL` and
  :data:`KIND_DOMAIN` (the provenance legend), :func:`provenance_kinds`; risk of bias: :data:`ROB_LEVEL_ORDER`,
  :data:`ROB_TEXT`, :data:`ROB_SYMBOL`, :data:`ROB_COLOUR`.
- **Composing and configuring**: :func:`layer_charts` (layers without Altair's deep copy), :class:`LayerChart`,
  :class:`HConcatChart`, :func:`configure_chart` (projector-size fonts), :func:`font_px`, :func:`check_scale`.
- **Fitting the box**: the ``fit`` signal (:data:`FIT`, :data:`NARROW`, :data:`MIN_FIT`, :data:`NARROW_BELOW`,
  :func:`fit_params`, :func:`fit_range`, :data:`MIN_FONT_PX` and :func:`fit_font` (the font floor), :func:`fitted_chart` for forest-type charts; :func:`stretch_param`,
  :func:`stretch_chart` for the others), :func:`fit_px`, :func:`fit_title`, :func:`fit_legend`.
- **Table text beside a plot**: :func:`text_cells` -> :func:`text_layers`, :func:`favours_cells`,
  :func:`diamond_frame`; geometry of the forest table: :data:`ROW_PX`, :data:`PLOT_WIDTH`, :data:`LABEL_PX`,
  :data:`PROV_PX`, :data:`CI_PX`, :data:`WEIGHT_PX`.
- **Data and numbers**: :func:`require_columns` (a builder's input check), :func:`tooltip_fields` over
  :data:`TOOLTIP_COLUMNS`, :func:`padded_domain`, :func:`fmt_number`, :func:`fmt_estimate_ci`, :func:`is_finite`,
  :func:`result_attr`, :data:`Z95`, :data:`FONT_SIZE`.

Names starting with an underscore are private to this file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

__all__ = [
    "PALETTE", "TRIAL_DATA_LABEL", "RECONSTRUCTED_LABEL", "KIND_DOMAIN", "ROB_LEVEL_ORDER", "ROB_TEXT", "ROB_SYMBOL",
    "ROB_COLOUR", "FONT_SIZE", "ROW_PX", "PLOT_WIDTH", "Z95", "TOOLTIP_COLUMNS", "LayerChart", "HConcatChart",
    "layer_charts", "configure_chart", "font_px", "check_scale", "BOX", "BOX_LIVE", "stretch_param", "stretch_chart", "fit_px",
    "fit_title", "fit_legend", "result_attr", "is_finite", "fmt_number", "fmt_estimate_ci", "require_columns",
    "provenance_kinds", "tooltip_fields", "padded_domain", "FIT", "NARROW", "MIN_FIT", "MIN_FONT_PX", "fit_font", "NARROW_BELOW", "fit_params",
    "fit_range", "fitted_chart", "text_layers", "text_cells", "favours_cells", "diamond_frame", "LABEL_PX", "PROV_PX",
    "CI_PX", "WEIGHT_PX", "describe", "line_chart", "contrast", "text_ink",
]

#: The Okabe & Ito (2008) colour-blind-safe palette, with one change: "orange" is darkened from #E69F00 (2.3:1 against
#: white) to #B87F00 (3.5:1, the same hue), because it draws lines and points that carry meaning (the overall estimate
#: in the leave-one-out plot, influential trials in the Baujat plot) and WCAG 2.2 1.4.11 asks 3:1 of such marks.
#: "sky_blue", "yellow" and "light_grey" (below 3:1) only fill areas or cells whose meaning has another carrier: a
#: darker edge, a "+ ? -" symbol, a legend and the geometry (tests/test_browser_a11y.py checks every builder).
PALETTE = {
    "black": "#000000",
    "orange": "#B87F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#6E6E6E",
    "light_grey": "#BBBBBB",
}

TRIAL_DATA_LABEL = "trial data (reported or derived)"
RECONSTRUCTED_LABEL = "reconstructed (not trial data)"
KIND_DOMAIN = [TRIAL_DATA_LABEL, RECONSTRUCTED_LABEL]

ROB_LEVEL_ORDER = ["low", "unclear", "high", "not reported"]
ROB_TEXT = {"low": "Low risk (+)", "unclear": "Unclear (?)", "high": "High risk (-)", "not reported": "Not reported"}
ROB_SYMBOL = {"low": "+", "unclear": "?", "high": "-", "not reported": " "}
ROB_COLOUR = {
    "low": PALETTE["green"],
    "unclear": PALETTE["yellow"],
    "high": PALETTE["vermillion"],
    "not reported": PALETTE["light_grey"],
}

FONT_SIZE = 14
ROW_PX = 24  # height of one forest-plot row, pixels at scale 1
PLOT_WIDTH = 330  # forest-type plots: with their table text the chart is ~890 px, Streamlit's page width
Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)

TOOLTIP_COLUMNS = [  # (column, title) shown when present in a study frame
    ("label", "Trial"),
    ("category", "Category"),
    ("quality", "Quality (AHRQ)"),
    ("control", "Control"),
    ("leadership", "Leadership"),
    ("format", "Format"),
    ("n", "N"),
    ("provenance", "Provenance"),
    ("instrument", "Instrument"),
    ("doubt", "Doubt"),
]


# --------------------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------------------
class _Unvalidated:
    """Serialise without re-validating against the Vega-Lite JSON schema unless asked (``to_dict(validate=True)``).

    Altair validates the whole spec on every ``to_dict()``, which Streamlit calls on every rerun: ~30-45 ms for a
    forest plot, a third of the page's time budget. The builders are deterministic and ``tests/test_charts.py``
    validates every builder's output explicitly, so the app skips the repeat. Exports (``to_json``) still validate.
    """

    def to_dict(self, validate: bool = False, **kwargs: Any) -> dict:  # noqa: D102
        return super().to_dict(validate=validate, **kwargs)


class LayerChart(_Unvalidated, alt.LayerChart):
    """An :class:`altair.LayerChart` that skips schema re-validation on ``to_dict()`` by default."""


class HConcatChart(_Unvalidated, alt.HConcatChart):
    """An :class:`altair.HConcatChart` that skips schema re-validation on ``to_dict()`` by default."""


def layer_charts(layers: Sequence[alt.Chart], **props: Any) -> LayerChart:
    """Layer charts and set top-level properties without the deep copy ``.properties()`` makes."""
    chart = LayerChart(layer=list(layers))
    for name, value in props.items():
        setattr(chart, name, value)
    return chart


def configure_chart(chart: alt.TopLevelMixin, scale: float = 1.0) -> alt.TopLevelMixin:
    """Apply the shared look: projector-size fonts, no frame around views, left-aligned titles.

    ``scale`` multiplies every font size of the config (axis labels and titles, legends, titles): 1.5 in presentation
    mode, so a room can read the chart from the back.

    Sets ``chart.config`` in place: the ``configure_*`` methods deep-copy the whole chart once each, which costs
    tens of milliseconds per rerun for a composed forest plot.

    Autosize is "pad": the plot keeps its width and height and the view grows to hold the table text drawn beside
    it. Under Streamlit's default "fit" the whole chart, text included, would be squeezed into the plot's size; show
    these charts with ``st.altair_chart(chart, width="content", theme=None)``. Charts made to take their box's width
    (:func:`stretch_chart`) switch to "fit-x" afterwards.
    """
    chart.autosize = alt.AutoSizeParams(type="pad")
    if not isinstance(getattr(chart, "description", None), str):
        chart.description = describe(chart)
    chart.config = alt.Config(
        # Marks leave the accessibility tree (aria-hidden): a screen reader reads the chart's description (its accessible
        # name, set above) and the axes and legends, not one "x: 0.31; y: 4" label per mark, and an empty layer (no
        # selected point yet) is no unnamed graphics-symbol either (axe: svg-img-alt). The numbers are in the table
        # or CSV beside every chart (docs/accessibility.md).
        mark=alt.MarkConfig(aria=False),
        axis=alt.AxisConfig(labelFontSize=font_px(FONT_SIZE, scale), titleFontSize=font_px(FONT_SIZE + 1, scale),
                            labelColor="#222", titleColor="#222", grid=False),
        legend=alt.LegendConfig(labelFontSize=font_px(FONT_SIZE, scale), titleFontSize=font_px(FONT_SIZE, scale),
                                orient="bottom", labelLimit=400),
        title=alt.TitleConfig(fontSize=font_px(FONT_SIZE + 3, scale), anchor="start",
                              subtitleFontSize=font_px(FONT_SIZE, scale), subtitleColor="#444"),
        view=alt.ViewConfig(stroke=None),
        concat=alt.CompositionConfig(spacing=6),
    )
    return chart


def _title_parts(title: Any) -> list[str]:
    """The text lines of a chart title (a string, a list of lines or :class:`altair.TitleParams`) and subtitle."""
    if title is None or title is alt.Undefined:
        return []
    if isinstance(title, str):
        return [title]
    if isinstance(title, (list, tuple)):
        return [str(t) for t in title]
    out = []
    for name in ("text", "subtitle"):
        value = getattr(title, name, None) if not isinstance(title, dict) else title.get(name)
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, (list, tuple)):
            out.extend(str(v) for v in value)
    return out


def _prop(obj: Any, name: str) -> Any:
    """A property of an Altair schema object or a dict as set (None when unset): Altair's attribute access returns a
    setter for channel properties such as ``X.title``."""
    if obj is None or obj is alt.Undefined:
        return None
    value = obj.get(name) if isinstance(obj, dict) else getattr(obj, "_kwds", {}).get(name)
    return None if value is alt.Undefined else value


def _axis_titles(chart: Any) -> list[str]:
    """Titles of the x and y encodings of a chart and its layers or concatenated parts, in drawing order, once each."""
    found: list[str] = []
    stack = [chart]
    while stack:
        part = stack.pop(0)
        for attr in ("layer", "vconcat", "hconcat", "concat"):
            children = getattr(part, attr, None)
            if isinstance(children, (list, tuple)):
                stack.extend(children)
        enc = _prop(part, "encoding")
        for channel in ("x", "y"):
            value = _prop(enc, channel)
            title = _prop(value, "title")
            if not isinstance(title, str):
                title = _prop(_prop(value, "axis"), "title")
            if isinstance(title, str) and title.strip() and title not in found:
                found.append(title)
    return found


def describe(chart: Any) -> str:
    """The text alternative of a chart: its title and subtitle (the numbers a forest plot's subtitle states), what
    its axes show, and where its numbers are as text.

    Set as the Vega-Lite ``description`` by :func:`_configure` (a builder may set its own first): vega-embed makes it
    the ``aria-label`` of the chart's ``role="graphics-document"`` element, its accessible name.
    """
    lines = [t.strip().rstrip(".") for t in _title_parts(getattr(chart, "title", None)) if t and t.strip()]
    axes = _axis_titles(chart)
    text = ". ".join(lines) if lines else "Chart"
    if axes:
        text += f". Axes: {'; '.join(axes)}"
    return " ".join((text + ". The numbers it shows are in the table or CSV download with it on the page.").split())


def line_chart(frame: pd.DataFrame, x: str, y: str, *, x_title: str, y_title: str, title: str,
               y_format: str = ".2f") -> LayerChart:
    """A line with a point per row (``frame[x]`` against ``frame[y]``), for a small curve such as power by sample
    size: unlike ``st.line_chart`` it carries a title and a description (its accessible name), and takes its box's
    width (:func:`_stretch`)."""
    require_columns(frame, [x, y], "line_chart")
    d = frame[[x, y]].astype(float).reset_index(drop=True)
    base = alt.Chart(d).encode(
        x=alt.X(f"{x}:Q", title=x_title), y=alt.Y(f"{y}:Q", title=y_title),
        tooltip=[alt.Tooltip(f"{x}:Q", title=x_title), alt.Tooltip(f"{y}:Q", title=y_title, format=y_format)])
    chart = layer_charts([base.mark_line(color=PALETTE["blue"], strokeWidth=2),
                    base.mark_point(color=PALETTE["blue"], filled=True, size=50)],
                   height=260, title=fit_title(title))
    return stretch_chart(configure_chart(chart), 560)


def font_px(size: float, scale: float = 1.0) -> int:
    """A font size ``size`` (pixels at scale 1) at ``scale``, rounded to whole pixels."""
    return int(round(float(size) * float(scale)))


def check_scale(scale: float) -> float:
    """A builder's ``scale`` argument checked: a finite number from 0.5 to 3 (1 = the normal size)."""
    try:
        value = float(scale)
    except (TypeError, ValueError):
        raise ValueError(f"scale must be a number, not {scale!r}") from None
    if not (math.isfinite(value) and 0.5 <= value <= 3.0):
        raise ValueError(f"scale must be from 0.5 to 3, not {scale!r}")
    return value


# ------------------------------------------------------------------------------------- charts that take their width
#: ``containerSize()[0]``: the width of the page element a chart is drawn in (0 in vl-convert exports).
BOX = "containerSize()[0]"
#: :data:`BOX` read again whenever the chart's ``width`` signal changes: Vega evaluates a signal's expression when a
#: signal it names changes, and ``containerSize()`` is no signal, so a ``fit`` of :data:`BOX` alone keeps the layout
#: of the first box when the window is resized (a projector's resolution switched, a phone turned); Streamlit sets the
#: view's width on every resize of a ``width="stretch"`` chart's box, and this reads the box again then.
BOX_LIVE = f"(width >= 0 ? {BOX} : 0)"


def stretch_param(natural_width: float) -> alt.VariableParameter:
    """The ``fit`` signal of a chart that takes its box's width (:func:`stretch_chart`): ``clamp(box / natural_width,
    MIN_FIT, 1)`` in a box, 1 without one (exports)."""
    return alt.VariableParameter(
        name=FIT, expr=f"{BOX_LIVE} > 0 ? clamp({BOX_LIVE} / {float(natural_width):g}, {MIN_FIT}, 1) : 1")


def stretch_chart(chart: alt.TopLevelMixin, natural_width: float) -> alt.TopLevelMixin:
    """Make a configured single or layered chart take its box's width, laid out again for it (not scaled).

    Autosize "fit-x" (padding included): the plot's width is whatever is left of the chart's width once axes,
    legends and text beside the plot have their room. ``width`` is the natural width (exports, which have no box,
    keep it); Streamlit sets it to the box's width for charts drawn ``width="stretch"``, which ``components.chart``
    does for every chart with a ``fit`` signal. ``fit`` (:func:`stretch_param`) shrinks what would not leave the plot
    room on a narrow box: label limits (:func:`fit_px`), the legend's columns; fonts keep their size.
    """
    chart.params = [stretch_param(natural_width)]
    chart.autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
    # Vega's bounds of rotated text (an upright axis title, angled labels) fall a few pixels short of what a browser
    # draws: 10 px at the sides keep it inside the box.
    chart.padding = {"left": 10, "right": 10, "top": 5, "bottom": 5}
    chart.width = int(round(natural_width))
    return chart


def fit_px(px: float, floor: float = 0.0) -> dict:
    """A pixel length (a label limit) multiplied by the ``fit`` signal, never below ``floor``."""
    return {"expr": f"round(max({float(px):g} * {FIT}, {float(floor):g}))"}


def fit_title(text: str, subtitle: str | None = None, scale: float = 1.0) -> alt.TitleParams:
    """A title cut with an ellipsis to the box's width (the page's heading says it in full)."""
    props: dict = dict(limit={"expr": f"{BOX} > 0 ? max(160, {BOX} - 12) : 0"},
                       fontSize=font_px(FONT_SIZE + 3, scale), subtitleFontSize=font_px(FONT_SIZE, scale))
    if subtitle:
        props["subtitle"] = subtitle
    return alt.TitleParams(text, **props)


def fit_legend(**props: Any) -> alt.Legend:
    """A legend under the plot whose entries stack in one column in a box narrower than the chart's natural width
    (side by side otherwise: fit-x gives the plot what the legend leaves, and a row of entries can be wider than
    the box)."""
    props.setdefault("orient", "bottom")
    return alt.Legend(columns={"expr": f"{FIT} < 1 ? 1 : 0"}, labelLimit=fit_px(400, 150), **props)


def result_attr(obj: Any, name: str, default: float = math.nan) -> Any:
    """``obj.name``, or ``default`` when the result has no such field or it is None (optional result fields)."""
    value = getattr(obj, name, default)
    return default if value is None else value


def is_finite(x: Any) -> bool:
    """True for a finite number; False for nan, inf, None or anything that is not a number."""
    try:
        return bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False


def fmt_number(x: Any, digits: int = 2) -> str:
    """Format a number for a chart label; '-' for missing. Uses a true minus sign."""
    if not is_finite(x):
        return "-"
    return f"{float(x):.{digits}f}".replace("-", "\u2212")


def fmt_estimate_ci(est: Any, lo: Any, hi: Any) -> str:
    """``"0.21 [0.08, 0.34]"``: an estimate and its interval as chart text (:func:`fmt_number`)."""
    return f"{fmt_number(est)} [{fmt_number(lo)}, {fmt_number(hi)}]"


def require_columns(frame: pd.DataFrame, columns: Sequence[str], builder: str) -> None:
    """Raise ``ValueError`` naming the builder and the missing columns unless ``frame`` has all of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{builder}: the frame lacks column(s) {', '.join(missing)}")


def provenance_kinds(provenance: pd.Series | None, n: int) -> list[str]:
    """The legend label of each row: :data:`RECONSTRUCTED_LABEL` for reconstructed rows, else
    :data:`TRIAL_DATA_LABEL` (all of the ``n`` rows when there is no provenance column)."""
    if provenance is None:
        return [TRIAL_DATA_LABEL] * n
    return [RECONSTRUCTED_LABEL if str(p) == "reconstructed" else TRIAL_DATA_LABEL for p in provenance]


def tooltip_fields(frame: pd.DataFrame, extra: Sequence[alt.Tooltip] = ()) -> list[alt.Tooltip]:
    """Tooltips for the :data:`TOOLTIP_COLUMNS` present in ``frame`` (``n`` as a whole number), then ``extra``."""
    tips = [alt.Tooltip(f"{c}:N", title=t) for c, t in TOOLTIP_COLUMNS if c in frame.columns and c != "n"]
    if "n" in frame.columns:
        tips.insert(min(len(tips), 5), alt.Tooltip("n:Q", title="N", format="d"))
    return tips + list(extra)


def padded_domain(*values: Any, pad: float = 0.08) -> list[float]:
    """A symmetric-enough x domain that always contains 0 and every finite value given."""
    flat = np.concatenate([np.atleast_1d(np.asarray(v, dtype=float)).ravel() for v in values] + [np.zeros(1)])
    flat = flat[np.isfinite(flat)]
    lo, hi = float(flat.min()), float(flat.max())
    span = max(hi - lo, 0.2)
    return [math.floor((lo - pad * span) * 10) / 10, math.ceil((hi + pad * span) * 10) / 10]


FIT = "fit"
NARROW = "narrow"
#: The smallest font (px) of any chart text: text laid out for a narrow box shrinks with ``fit`` down to it, no further
#: (issue 21: 12 px, readable on a projector at 1024 px and on a phone; it was 72% of 14 = 10 px).
MIN_FONT_PX = 12


def fit_font(size: float) -> dict:
    """A font size ``size`` (px at full size) multiplied by the ``fit`` signal, never below :data:`MIN_FONT_PX`."""
    return {"expr": f"round(max({float(size):g} * {FIT}, {MIN_FONT_PX}))"}
#: Smallest geometry scale of a fitted chart: below it the chart stays at this scale (and scrolls in its own box).
MIN_FIT = 0.34
#: Pixels of the box a fitted chart leaves free when it lays itself out: fonts stop shrinking at :data:`MIN_FONT_PX`
#: while positions keep shrinking, so the text at the chart's edges (the CI column) is wider than its share of the
#: natural width on a phone; this keeps it inside the box (issue 21: the forest stuck out 4 px of a 360 px phone's box,
#: the subgroup forest 11 px).
FIT_SLACK_PX = 16
#: Below this share of its natural width a chart switches to its narrow layout (columns marked narrow-hidden drop).
NARROW_BELOW = 0.8


def fit_params(natural_width: float, narrow_width: float | None = None,
               scale: float = 1.0) -> list[alt.VariableParameter]:
    """The ``narrow`` and ``fit`` signals of a forest-type chart: its layout and geometry scale for its box's width.

    With ``w = containerSize()[0]`` (the page element the chart is drawn in; 0 in vl-convert exports, which have no
    container) and ``s`` the font ``scale`` (1.5 in presentation mode): ``narrow = 0 < w < NARROW_BELOW * s *
    natural_width``; ``fit = s * clamp((w - FIT_SLACK_PX) / (s * (narrow ? narrow_width : natural_width)), MIN_FIT / s, 1)``, ``s``
    without a container. Every pixel position, text limit, font size and the plot's x range are multiplied by
    ``fit``: the chart is laid out again for the width (text stays text, no image scaling), at ``scale`` times its
    size where the box has room for it.
    """
    n = float(natural_width)
    m = float(narrow_width or natural_width)
    s = float(scale)
    return [
        alt.VariableParameter(name=NARROW,
                              expr=f"{BOX_LIVE} > 0 && {BOX_LIVE} < {NARROW_BELOW * s * n:g}"),
        alt.VariableParameter(
            name=FIT, expr=f"{BOX_LIVE} > 0 ? {s:g} * clamp(({BOX_LIVE} - {FIT_SLACK_PX}) / "
                           f"({NARROW} ? {s * m:g} : {s * n:g}), {MIN_FIT / s:g}, 1) : {s:g}"),
    ]


def fit_range(width: float | None = None) -> list:
    """x-scale range ``[0, width * fit]`` (pixels) for a fitted chart; ``width`` defaults to the plot width."""
    return [0, {"expr": f"{float(width or PLOT_WIDTH):g} * {FIT}"}]


def fitted_chart(chart: alt.TopLevelMixin, natural_width: float, narrow_width: float | None = None,
            scale: float = 1.0) -> alt.TopLevelMixin:
    """Declare the ``narrow``/``fit`` signals on a built chart (:func:`fit_params`) and shrink the view's own width
    to the smallest fitted plot, so only the marks (laid out by ``fit``) decide the chart's width (autosize "pad")."""
    width = int(round(PLOT_WIDTH * MIN_FIT))
    # A top-level param named "width" overrides Vega's width signal: Streamlit writes the box's width into the spec
    # of a width="stretch" chart, and under autosize "pad" the table text beside the plot then came on top of it (a
    # blank frame 79-297 px wider than the box, sideways scroll on Explore and Subgroups). The view keeps its own
    # small width whatever the spec's ``width`` says; ``fit`` (from the box) lays the marks out.
    chart.params = [*fit_params(natural_width, narrow_width, scale), alt.VariableParameter(name="width", expr=str(width))]
    chart.width = width
    return chart


def text_layers(texts: pd.DataFrame, y_scale: alt.Scale) -> list[alt.Chart]:
    """Table text beside a forest-type plot, as layers of the plot itself.

    ``texts`` has one row per cell: ``row`` (plot row, data units of ``y_scale``), ``px`` (x in pixels from the
    plot's left edge at full size, negative = left of it), ``align`` (left/right), ``bold`` (bool), ``text``,
    ``text_colour``, optionally ``limit`` (max pixel width, truncated with an ellipsis), ``tip`` (tooltip: the
    full text of a truncated label), ``pxn`` (x in the narrow layout; NaN = the cell is not drawn there) and
    ``hide_below`` (the cell is not drawn while ``fit`` is below it; NaN = always drawn). Positions and limits are multiplied by the chart's ``fit`` signal, font sizes
    by ``fit`` down to :data:`MIN_FONT_PX` (:func:`fit_font`), so the table shrinks with the plot on a narrow screen.
    Drawing the table inside one layer chart, rather than concatenating text charts, keeps the chart a single
    view (cheap to build: Altair deep-copies every sub-chart at every level of composition).
    """
    layers = []
    if "limit" not in texts.columns:
        texts = texts.assign(limit=0)
    if "tip" not in texts.columns:
        texts = texts.assign(tip=None)
    if "pxn" not in texts.columns:
        texts = texts.assign(pxn=texts["px"])
    if "limitn" not in texts.columns:
        texts = texts.assign(limitn=texts["limit"])
    if "hide_below" not in texts.columns:
        texts = texts.assign(hide_below=np.nan)
    font = fit_font(FONT_SIZE)
    for (align, bold, limit, limitn), part in texts.groupby(["align", "bold", "limit", "limitn"], sort=True):
        tip = part["tip"].notna().any()
        enc = dict(
            x=alt.X("xfit:Q", scale=None),
            y=alt.Y("row:Q", scale=y_scale, axis=None),
            text=alt.Text("text", type="nominal"),
            color=alt.Color("text_colour:N", scale=None),
        )
        if tip:
            enc["tooltip"] = alt.Tooltip("tip:N", title="Trial")
        layers.append(
            alt.Chart(part.drop(columns=["align", "bold", "limit", "limitn"] + ([] if tip else ["tip"]))
                      .reset_index(drop=True))
            .transform_calculate(xfit=f"({NARROW} && isValid(datum.pxn) ? datum.pxn : datum.px) * {FIT}",
                                 text=f"({NARROW} && !isValid(datum.pxn)) || "
                                      f"(isValid(datum.hide_below) && {FIT} < datum.hide_below) ? '' : datum.text")
            .mark_text(align=align, baseline="middle", fontSize=font, fontWeight="bold" if bold else "normal",
                       limit={"expr": f"({NARROW} ? {int(limitn)} : {int(limit)}) * {FIT}"} if limit else 0)
            .encode(**enc)
        )
    return layers


def contrast(colour: str, background: str = "#FFFFFF") -> float:
    """WCAG 2.2 contrast ratio of two ``#rrggbb`` colours: ``(L1 + 0.05) / (L2 + 0.05)``, L the relative luminance
    of the lighter and the darker (sRGB channels linearised: ``c / 12.92`` up to 0.04045, else
    ``((c + 0.055) / 1.055) ** 2.4``; ``L = 0.2126 R + 0.7152 G + 0.0722 B``)."""
    def lum(hex_colour: str) -> float:
        h = hex_colour.lstrip("#")
        r, g, b = (int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((lum(colour), lum(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@lru_cache(maxsize=256)
def text_ink(colour: str, minimum: float = 4.5) -> str:
    """``colour`` darkened in its own hue (every channel scaled down in 2% steps) until text in it reaches
    ``minimum`` contrast on white (WCAG 2.2 1.4.3: 4.5:1 for text under 18 pt); unchanged if it already does.
    Vermillion #D55E00 (3.9:1), the reconstructed rows' colour, becomes #C35600 for their labels."""
    if not (isinstance(colour, str) and len(colour) == 7 and colour.startswith("#")):
        return colour
    h = colour.lstrip("#")
    rgb = [int(h[i:i + 2], 16) for i in (0, 2, 4)]
    out, factor = colour, 1.0
    while contrast(out) < minimum and factor > 0:
        factor -= 0.02
        out = "#" + "".join(f"{int(c * factor):02X}" for c in rgb)
    return out.upper() if out != colour else colour


def text_cells(rows: Sequence[float], texts: Sequence[str], px: float, align: str = "left", bold: bool = False,
           colour: str | Sequence[str] = "#222222", limit: int = 0) -> pd.DataFrame:
    """Cells of one table column for :func:`text_layers` (``limit``: max pixel width, 0 = none). Text colours are
    made readable on white (:func:`text_ink`)."""
    n = len(rows)
    colour = text_ink(colour) if isinstance(colour, str) else [text_ink(c) for c in colour]
    return pd.DataFrame({
        "limit": int(limit),
        "row": np.asarray(rows, dtype=float),
        "text": list(texts),
        "px": float(px),
        "pxn": float(px),  # the same place in the narrow layout unless a builder says otherwise
        "limitn": int(limit),
        "align": align,
        "bold": bool(bold),
        "text_colour": [colour] * n if isinstance(colour, str) else list(colour),
    })


def favours_cells(x_domain: Sequence[float], y_domain: Sequence[float], height: int,
                   favours: tuple[str, str], below_px: float = 52.0, scale: float = 1.0,
                   words: tuple[str, str] | None = None) -> pd.DataFrame:
    """'<- favours A' left of zero and 'favours B ->' right of it, ``below_px`` under the top of the x axis.

    Returned as table cells for :func:`text_layers` (no extra layers): x is the pixel of SMD = 0 on the plot's linear
    x scale (``nice=False``, so the domain is exact), and the row is the y-scale value that maps to that pixel. On a
    log axis pass the domain's logs (no effect, 1, is at log 1 = 0). ``words``: the two texts in full instead of
    "favours A" / "favours B".
    """
    x0, x1 = float(x_domain[0]), float(x_domain[1])
    zero_px = (0.0 - x0) / (x1 - x0) * PLOT_WIDTH
    y0, y1 = float(y_domain[0]), float(y_domain[1])
    row = y0 + (height + below_px * scale) / height * (y1 - y0)  # reversed y scale: y0 at the top, y1 at `height`
    lw, rw = words or (f"favours {favours[0]}", f"favours {favours[1]}")
    left = text_cells([row], [f"\u2190 {lw}"], zero_px - 6, align="right", colour="#333333")
    right = text_cells([row], [f"{rw} \u2192"], zero_px + 6, align="left", colour="#333333")
    return pd.concat([left, right], ignore_index=True)


def diamond_frame(rows: Sequence[tuple[float, float, float, float]], half_height: float = 0.38) -> pd.DataFrame:
    """Vertices of pooled-effect diamonds for an area mark.

    Each (row, estimate, ci_low, ci_high) becomes three points along x -- ci_low, estimate, ci_high -- whose band
    y..y2 is zero wide at the CI limits and ``2 * half_height`` rows tall at the estimate: linear interpolation
    between them draws exactly a diamond spanning the CI.
    """
    out = []
    for i, (row, est, lo, hi) in enumerate(rows):
        for x, h in ((lo, 0.0), (est, half_height), (hi, 0.0)):
            out.append({"diamond": i, "row": row, "x": x, "y": row - h, "y2": row + h})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------------------------------------------
# forest plot
# --------------------------------------------------------------------------------------------------------------
# Column positions of the forest table, pixels from the plot's left edge.
LABEL_PX, PROV_PX = -350.0, -102.0
CI_PX, WEIGHT_PX = PLOT_WIDTH + 12.0, PLOT_WIDTH + 212.0
