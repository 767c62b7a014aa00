"""The chart kit: the shared pieces every chart builder (``dashboard/charts/*.py``) imports, all public.

See the package docstring (``dashboard.charts``) for the conventions every builder follows. The kit, by use:

- **Colours and labels**: :data:`PALETTE` (Okabe-Ito), :data:`TRIAL_DATA_LABEL` / :data:`RECONSTRUCTED_LABEL` and
  :data:`KIND_DOMAIN` (the provenance legend), :func:`provenance_kinds`; risk of bias: :data:`ROB_LEVEL_ORDER`,
  :data:`ROB_TEXT`, :data:`ROB_SYMBOL`, :data:`ROB_COLOUR`.
- **Composing and configuring**: :func:`layer_charts` (layers without Altair's deep copy), :class:`LayerChart`,
  :class:`HConcatChart`, :func:`configure_chart` (projector-size fonts), :func:`font_px`, :func:`check_scale`.
- **Fitting the box**: the ``fit`` signal (:data:`FIT`, :data:`NARROW`, :data:`MIN_FIT`, :data:`NARROW_BELOW`,
  :func:`fit_params`, :func:`fit_range`, :func:`fitted_chart` for forest-type charts; :func:`stretch_param`,
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
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

__all__ = [
    "PALETTE", "TRIAL_DATA_LABEL", "RECONSTRUCTED_LABEL", "KIND_DOMAIN", "ROB_LEVEL_ORDER", "ROB_TEXT", "ROB_SYMBOL",
    "ROB_COLOUR", "FONT_SIZE", "ROW_PX", "PLOT_WIDTH", "Z95", "TOOLTIP_COLUMNS", "LayerChart", "HConcatChart",
    "layer_charts", "configure_chart", "font_px", "check_scale", "BOX", "stretch_param", "stretch_chart", "fit_px",
    "fit_title", "fit_legend", "result_attr", "is_finite", "fmt_number", "fmt_estimate_ci", "require_columns",
    "provenance_kinds", "tooltip_fields", "padded_domain", "FIT", "NARROW", "MIN_FIT", "NARROW_BELOW", "fit_params",
    "fit_range", "fitted_chart", "text_layers", "text_cells", "favours_cells", "diamond_frame", "LABEL_PX", "PROV_PX",
    "CI_PX", "WEIGHT_PX",
]

PALETTE = {
    "black": "#000000",
    "orange": "#E69F00",
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
    chart.config = alt.Config(
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


def stretch_param(natural_width: float) -> alt.VariableParameter:
    """The ``fit`` signal of a chart that takes its box's width (:func:`stretch_chart`): ``clamp(box / natural_width,
    MIN_FIT, 1)`` in a box, 1 without one (exports)."""
    return alt.VariableParameter(
        name=FIT, expr=f"{BOX} > 0 ? clamp({BOX} / {float(natural_width):g}, {MIN_FIT}, 1) : 1")


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
    props: dict = dict(limit={"expr": f"{BOX} > 0 ? max(160, {BOX} - 10) : 0"},
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
#: Smallest geometry scale of a fitted chart: below it the chart stays at this scale (and scrolls in its own box).
MIN_FIT = 0.34
#: Below this share of its natural width a chart switches to its narrow layout (columns marked narrow-hidden drop).
NARROW_BELOW = 0.8


def fit_params(natural_width: float, narrow_width: float | None = None,
               scale: float = 1.0) -> list[alt.VariableParameter]:
    """The ``narrow`` and ``fit`` signals of a forest-type chart: its layout and geometry scale for its box's width.

    With ``w = containerSize()[0]`` (the page element the chart is drawn in; 0 in vl-convert exports, which have no
    container) and ``s`` the font ``scale`` (1.5 in presentation mode): ``narrow = 0 < w < NARROW_BELOW * s *
    natural_width``; ``fit = s * clamp(w / (s * (narrow ? narrow_width : natural_width)), MIN_FIT, 1)``, ``s``
    without a container. Every pixel position, text limit, font size and the plot's x range are multiplied by
    ``fit``: the chart is laid out again for the width (text stays text, no image scaling), at ``scale`` times its
    size where the box has room for it.
    """
    n = float(natural_width)
    m = float(narrow_width or natural_width)
    s = float(scale)
    return [
        alt.VariableParameter(name=NARROW,
                              expr=f"containerSize()[0] > 0 && containerSize()[0] < {NARROW_BELOW * s * n:g}"),
        alt.VariableParameter(
            name=FIT, expr=f"containerSize()[0] > 0 ? {s:g} * clamp(containerSize()[0] / ({NARROW} ? {s * m:g} : "
                           f"{s * n:g}), {MIN_FIT}, 1) : {s:g}"),
    ]


def fit_range(width: float | None = None) -> list:
    """x-scale range ``[0, width * fit]`` (pixels) for a fitted chart; ``width`` defaults to the plot width."""
    return [0, {"expr": f"{float(width or PLOT_WIDTH):g} * {FIT}"}]


def fitted_chart(chart: alt.TopLevelMixin, natural_width: float, narrow_width: float | None = None,
            scale: float = 1.0) -> alt.TopLevelMixin:
    """Declare the ``narrow``/``fit`` signals on a built chart (:func:`fit_params`) and shrink the view's own width
    to the smallest fitted plot, so only the marks (laid out by ``fit``) decide the chart's width (autosize "pad")."""
    chart.params = fit_params(natural_width, narrow_width, scale)
    chart.width = int(round(PLOT_WIDTH * MIN_FIT))
    return chart


def text_layers(texts: pd.DataFrame, y_scale: alt.Scale) -> list[alt.Chart]:
    """Table text beside a forest-type plot, as layers of the plot itself.

    ``texts`` has one row per cell: ``row`` (plot row, data units of ``y_scale``), ``px`` (x in pixels from the
    plot's left edge at full size, negative = left of it), ``align`` (left/right), ``bold`` (bool), ``text``,
    ``text_colour``, optionally ``limit`` (max pixel width, truncated with an ellipsis), ``tip`` (tooltip: the
    full text of a truncated label), ``pxn`` (x in the narrow layout; NaN = the cell is not drawn there) and
    ``hide_below`` (the cell is not drawn while ``fit`` is below it; NaN = always drawn). Positions and limits are multiplied by the chart's ``fit`` signal, font sizes
    by ``max(fit, 0.72)`` (:func:`fit_param`), so the table shrinks with the plot on a narrow screen.
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
    font = {"expr": f"round({FONT_SIZE} * max({FIT}, 0.72))"}
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


def text_cells(rows: Sequence[float], texts: Sequence[str], px: float, align: str = "left", bold: bool = False,
           colour: str | Sequence[str] = "#222222", limit: int = 0) -> pd.DataFrame:
    """Cells of one table column for :func:`text_layers` (``limit``: max pixel width, 0 = none)."""
    n = len(rows)
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
