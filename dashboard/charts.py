"""Pure Altair chart builders of the dashboard.

Every builder takes tidy pandas frames (and, where natural, a ``peerstats`` result object) and returns a top-level
Altair chart. Nothing here imports streamlit, reads files or computes a statistic beyond what a picture needs
(a study's 95% CI from ``yi`` and ``vi``, its standard error, percentages of risk-of-bias judgements).

Conventions shared by all builders

* Colours are the Okabe-Ito colour-blind-safe palette, and every colour cue has a text or shape twin: reconstructed
  rows are hollow, dashed and labelled "reconstructed (not trial data)"; risk-of-bias cells carry "+", "?" or "-".
* Fonts are sized for a projector (13-16 px at scale 1).
* Frames are not modified; a builder copies what it needs.
* Rows are drawn in the order of the frame given: the caller sorts.

The peerstats result objects are used by duck typing (attributes ``estimate``, ``ci_low``, ``ci_high``, ``pi_low``,
``pi_high``, ``weights``, ``k``, ``i2``, ``tau2``, ``method``), so a builder does not import ``peerstats``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from peerstats.vocabulary import ROB_DOMAINS

__all__ = [
    "PALETTE",
    "ROB_DOMAINS",
    "RECONSTRUCTED_LABEL",
    "TRIAL_DATA_LABEL",
    "forest",
    "subgroup_forest",
    "funnel",
    "leave_one_out_plot",
    "cumulative_plot",
    "rob_traffic_light",
    "rob_summary",
]

# Okabe & Ito (2008), "Color universal design" palette.
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
_KIND_DOMAIN = [TRIAL_DATA_LABEL, RECONSTRUCTED_LABEL]

_ROB_LEVELS = ["low", "unclear", "high", "not reported"]
_ROB_TEXT = {"low": "Low risk (+)", "unclear": "Unclear (?)", "high": "High risk (-)", "not reported": "Not reported"}
_ROB_SYMBOL = {"low": "+", "unclear": "?", "high": "-", "not reported": " "}
_ROB_COLOUR = {
    "low": PALETTE["green"],
    "unclear": PALETTE["yellow"],
    "high": PALETTE["vermillion"],
    "not reported": PALETTE["light_grey"],
}

FONT_SIZE = 14
_ROW_PX = 24  # height of one forest-plot row, pixels at scale 1
_PLOT_WIDTH = 330  # forest-type plots: with their table text the chart is ~890 px, Streamlit's page width
_Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)

_TOOLTIP_COLUMNS = [  # (column, title) shown when present in a study frame
    ("label", "Trial"),
    ("category", "Category"),
    ("quality", "Quality (AHRQ)"),
    ("control", "Control"),
    ("leadership", "Leadership"),
    ("format", "Format"),
    ("n", "N"),
    ("provenance", "Provenance"),
    ("instrument", "Instrument"),
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


def _layer(layers: Sequence[alt.Chart], **props: Any) -> LayerChart:
    """Layer charts and set top-level properties without the deep copy ``.properties()`` makes."""
    chart = LayerChart(layer=list(layers))
    for name, value in props.items():
        setattr(chart, name, value)
    return chart


def _configure(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Apply the shared look: projector-size fonts, no frame around views, left-aligned titles.

    Sets ``chart.config`` in place: the ``configure_*`` methods deep-copy the whole chart once each, which costs
    tens of milliseconds per rerun for a composed forest plot.

    Autosize is "pad": the plot keeps its width and height and the view grows to hold the table text drawn beside
    it. Under Streamlit's default "fit" the whole chart, text included, would be squeezed into the plot's size; show
    these charts with ``st.altair_chart(chart, width="content", theme=None)``.
    """
    chart.autosize = alt.AutoSizeParams(type="pad")
    chart.config = alt.Config(
        axis=alt.AxisConfig(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE + 1, labelColor="#222",
                            titleColor="#222", grid=False),
        legend=alt.LegendConfig(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, orient="bottom", labelLimit=400),
        title=alt.TitleConfig(fontSize=FONT_SIZE + 3, anchor="start", subtitleFontSize=FONT_SIZE,
                              subtitleColor="#444"),
        view=alt.ViewConfig(stroke=None),
        concat=alt.CompositionConfig(spacing=6),
    )
    return chart


def _attr(obj: Any, name: str, default: float = math.nan) -> Any:
    value = getattr(obj, name, default)
    return default if value is None else value


def _finite(x: Any) -> bool:
    try:
        return bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False


def _fmt(x: Any, digits: int = 2) -> str:
    """Format a number for a chart label; '-' for missing. Uses a true minus sign."""
    if not _finite(x):
        return "-"
    return f"{float(x):.{digits}f}".replace("-", "\u2212")


def _fmt_ci(est: Any, lo: Any, hi: Any) -> str:
    return f"{_fmt(est)} [{_fmt(lo)}, {_fmt(hi)}]"


def _require(frame: pd.DataFrame, columns: Sequence[str], builder: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{builder}: the frame lacks column(s) {', '.join(missing)}")


def _kind(provenance: pd.Series | None, n: int) -> list[str]:
    if provenance is None:
        return [TRIAL_DATA_LABEL] * n
    return [RECONSTRUCTED_LABEL if str(p) == "reconstructed" else TRIAL_DATA_LABEL for p in provenance]


def _tooltips(frame: pd.DataFrame, extra: Sequence[alt.Tooltip] = ()) -> list[alt.Tooltip]:
    tips = [alt.Tooltip(f"{c}:N", title=t) for c, t in _TOOLTIP_COLUMNS if c in frame.columns and c != "n"]
    if "n" in frame.columns:
        tips.insert(min(len(tips), 5), alt.Tooltip("n:Q", title="N", format="d"))
    return tips + list(extra)


def _x_domain(*values: Any, pad: float = 0.08) -> list[float]:
    """A symmetric-enough x domain that always contains 0 and every finite value given."""
    flat = np.concatenate([np.atleast_1d(np.asarray(v, dtype=float)).ravel() for v in values] + [np.zeros(1)])
    flat = flat[np.isfinite(flat)]
    lo, hi = float(flat.min()), float(flat.max())
    span = max(hi - lo, 0.2)
    return [math.floor((lo - pad * span) * 10) / 10, math.ceil((hi + pad * span) * 10) / 10]


def _text_layers(texts: pd.DataFrame, y_scale: alt.Scale) -> list[alt.Chart]:
    """Table text beside a forest-type plot, as layers of the plot itself.

    ``texts`` has one row per cell: ``row`` (plot row, data units of ``y_scale``), ``px`` (x in pixels from the
    plot's left edge, negative = left of it), ``align`` (left/right), ``bold`` (bool), ``text``, ``text_colour``.
    Drawing the table inside one layer chart, rather than concatenating text charts, keeps the chart a single
    view (cheap to build: Altair deep-copies every sub-chart at every level of composition).
    """
    layers = []
    if "limit" not in texts.columns:
        texts = texts.assign(limit=0)
    for (align, bold, limit), part in texts.groupby(["align", "bold", "limit"], sort=True):
        layers.append(
            alt.Chart(part.drop(columns=["align", "bold", "limit"]).reset_index(drop=True))
            .mark_text(align=align, baseline="middle", fontSize=FONT_SIZE, fontWeight="bold" if bold else "normal",
                       limit=int(limit))
            .encode(
                x=alt.X("px:Q", scale=None),
                y=alt.Y("row:Q", scale=y_scale, axis=None),
                text=alt.Text("text", type="nominal"),
                color=alt.Color("text_colour:N", scale=None),
            )
        )
    return layers


def _cells(rows: Sequence[float], texts: Sequence[str], px: float, align: str = "left", bold: bool = False,
           colour: str | Sequence[str] = "#222222", limit: int = 0) -> pd.DataFrame:
    """Cells of one table column for :func:`_text_layers` (``limit``: max pixel width, 0 = none)."""
    n = len(rows)
    return pd.DataFrame({
        "limit": int(limit),
        "row": np.asarray(rows, dtype=float),
        "text": list(texts),
        "px": float(px),
        "align": align,
        "bold": bool(bold),
        "text_colour": [colour] * n if isinstance(colour, str) else list(colour),
    })


def _favours_cells(x_domain: Sequence[float], y_domain: Sequence[float], height: int,
                   favours: tuple[str, str], below_px: float = 52.0) -> pd.DataFrame:
    """'<- favours A' left of zero and 'favours B ->' right of it, ``below_px`` under the top of the x axis.

    Returned as table cells for :func:`_text_layers` (no extra layers): x is the pixel of SMD = 0 on the plot's linear
    x scale (``nice=False``, so the domain is exact), and the row is the y-scale value that maps to that pixel.
    """
    x0, x1 = float(x_domain[0]), float(x_domain[1])
    zero_px = (0.0 - x0) / (x1 - x0) * _PLOT_WIDTH
    y0, y1 = float(y_domain[0]), float(y_domain[1])
    row = y0 + (height + below_px) / height * (y1 - y0)  # reversed y scale: y0 at the top, y1 at `height`
    left = _cells([row], [f"\u2190 favours {favours[0]}"], zero_px - 6, align="right", colour="#333333")
    right = _cells([row], [f"favours {favours[1]} \u2192"], zero_px + 6, align="left", colour="#333333")
    return pd.concat([left, right], ignore_index=True)


def _diamond_frame(rows: Sequence[tuple[float, float, float, float]], half_height: float = 0.38) -> pd.DataFrame:
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
_LABEL_PX, _PROV_PX = -350.0, -102.0
_CI_PX, _WEIGHT_PX = _PLOT_WIDTH + 12.0, _PLOT_WIDTH + 212.0


def forest(
    studies: pd.DataFrame,
    pooled: Any,
    outcome_label: str,
    favours: tuple[str, str] = ("control", "peer support"),
    *,
    method_label: str | None = None,
) -> alt.LayerChart:
    """Forest plot of one outcome: studies, the pooled diamond and the prediction interval.

    Parameters
    ----------
    studies : DataFrame
        One row per study, drawn top to bottom in frame order (the caller sorts). Columns:

        - ``label`` (str, required): the trial's display name, e.g. "Barbic et al., 2009".
        - ``yi`` (float, required): SMD (Hedges' g), peer support minus control.
        - ``vi`` (float, required unless ``ci_low``/``ci_high`` given): sampling variance of ``yi``.
        - ``ci_low``, ``ci_high`` (optional): the study's CI; default ``yi -/+ z_{0.975} sqrt(vi)``.
        - ``weight`` (optional, percent): default ``pooled.weights`` in frame order, else equal sizes.
        - ``provenance`` (optional): reported / derived / reconstructed. Reconstructed rows are drawn hollow,
          in vermillion with a dashed CI, labelled "reconstructed (not trial data)" in the legend and the table.
        - tooltip columns when present: ``category``, ``quality``, ``control``, ``leadership``, ``format``,
          ``n`` (participants), ``instrument``.
    pooled : PoolResult or None
        ``peerstats.meta.pool`` result for exactly these rows (uses ``estimate``, ``ci_low``, ``ci_high``,
        ``pi_low``, ``pi_high``, ``weights``, ``method``, ``i2``, ``tau2``). ``None`` draws the studies only, and
        so does a single study (k = 1 is not a pooled result: no diamond, no prediction interval).
    outcome_label : str
        Human name of the outcome, used in the title.
    favours : (str, str)
        Who a negative and a positive SMD favour, as (left, right), written under the x axis. For an outcome whose
        beneficial direction is "lower" (e.g. anxiety) the caller passes ``("peer support", "control")``.
    method_label : str, optional
        Text of the pooled row, default "Pooled (<method>)".

    Returns
    -------
    alt.LayerChart
        One view: the table text (trial, provenance | SMD [95% CI], weight) drawn beside the plot as text layers,
        a zero line, study CIs (rules) and squares sized by weight, the pooled diamond, the prediction-interval
        bar, the favours labels under the axis.

    Notes
    -----
    The diamond is an area whose band is zero wide at ``pooled.ci_low`` and ``pooled.ci_high`` and widest at
    ``pooled.estimate``; the prediction interval is a separate row with a bar from ``pi_low`` to ``pi_high``.
    """
    _require(studies, ["label", "yi"], "forest")
    k = len(studies)
    d = pd.DataFrame({"label": studies["label"].astype(str).to_numpy(), "yi": studies["yi"].astype(float).to_numpy()})
    if "ci_low" in studies.columns and "ci_high" in studies.columns:
        d["ci_low"] = studies["ci_low"].astype(float).to_numpy()
        d["ci_high"] = studies["ci_high"].astype(float).to_numpy()
    else:
        _require(studies, ["vi"], "forest")
        se = np.sqrt(studies["vi"].astype(float).to_numpy())
        d["ci_low"], d["ci_high"] = d["yi"] - _Z95 * se, d["yi"] + _Z95 * se
    for col, _ in _TOOLTIP_COLUMNS:
        if col in studies.columns and col not in d.columns:
            d[col] = studies[col].to_numpy()
    if "weight" in studies.columns:
        d["weight"] = studies["weight"].astype(float).to_numpy()
    else:
        w = None if pooled is None else getattr(pooled, "weights", None)
        d["weight"] = np.asarray(w, dtype=float) if w is not None and len(w) == k else np.full(k, 100.0 / max(k, 1))
    d["kind"] = _kind(studies["provenance"] if "provenance" in studies.columns else None, k)
    d["row"] = np.arange(k, dtype=float)
    recon = (d["kind"] == RECONSTRUCTED_LABEL).to_numpy()
    colours = np.where(recon, PALETTE["vermillion"], "#222222").tolist()

    # One study is not a pooled result: no diamond, no prediction interval (the study row says it all).
    has_pool = pooled is not None and _finite(_attr(pooled, "estimate")) and k >= 2
    est, lo, hi = (_attr(pooled, a) for a in ("estimate", "ci_low", "ci_high")) if has_pool else (math.nan,) * 3
    pi_lo, pi_hi = (_attr(pooled, "pi_low"), _attr(pooled, "pi_high")) if has_pool else (math.nan, math.nan)
    has_pi = has_pool and _finite(pi_lo) and _finite(pi_hi)
    method = method_label or (f"Pooled ({_attr(pooled, 'method', 'random effects')})" if has_pool else "")
    pool_row, pi_row = k + 0.6, k + 1.6
    last_row = pi_row if has_pi else (pool_row if has_pool else k - 1)
    y_domain = [-1.3, last_row + 0.8]
    height = int(_ROW_PX * (y_domain[1] - y_domain[0]))

    x_domain = _x_domain(d["ci_low"], d["ci_high"], [lo, hi], [pi_lo, pi_hi] if has_pi else [])
    x_scale = alt.Scale(domain=x_domain, nice=False, zero=False, clamp=True)
    y_scale = alt.Scale(domain=y_domain, reverse=True, nice=False, zero=False)
    y = alt.Y("row:Q", scale=y_scale, axis=None)
    x_axis = alt.Axis(title="SMD (Hedges' g)", tickCount=6, grid=False, labelFlush=False)

    kind_title = "Effect sizes"
    legend = alt.Legend(symbolType="square", symbolSize=180, symbolStrokeWidth=2, orient="bottom", offset=34)
    stroke = alt.Stroke("kind:N", title=kind_title, legend=legend,
                        scale=alt.Scale(domain=_KIND_DOMAIN, range=[PALETTE["blue"], PALETTE["vermillion"]]))
    fill = alt.Fill("kind:N", title=kind_title, legend=legend,
                    scale=alt.Scale(domain=_KIND_DOMAIN, range=[PALETTE["blue"], "#FFFFFF"]))
    dash = alt.StrokeDash("kind:N", title=kind_title, legend=legend,
                          scale=alt.Scale(domain=_KIND_DOMAIN, range=[[1, 0], [4, 2]]))
    tips = _tooltips(d, [
        alt.Tooltip("yi:Q", title="SMD (g)", format=".2f"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".2f"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".2f"),
        alt.Tooltip("weight:Q", title="Weight (%)", format=".1f"),
    ])
    base = alt.Chart(d)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#444444", strokeWidth=1.2).encode(
        x=alt.X("x:Q", scale=x_scale, axis=x_axis)
    )
    ci = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", scale=x_scale), x2=alt.X2("ci_high"), y=y, stroke=stroke, strokeDash=dash, tooltip=tips,
    )
    squares = base.mark_square(strokeWidth=2, opacity=1).encode(
        x=alt.X("yi:Q", scale=x_scale),
        y=y,
        size=alt.Size("weight:Q", scale=alt.Scale(domain=[0, max(float(np.nanmax(d["weight"])) if k else 1.0, 1e-9)],
                                                  range=[25, 420]), legend=None),
        stroke=stroke,
        fill=fill,
        tooltip=tips,
    )
    layers: list[alt.Chart] = [zero, ci, squares]
    texts = [
        _cells([-1.0, -1.0], ["Trial", "Provenance"], 0, bold=True).assign(px=[_LABEL_PX, _PROV_PX]),
        _cells([-1.0], ["SMD [95% CI]"], _CI_PX, bold=True),
        _cells([-1.0], ["Weight"], _WEIGHT_PX, align="right", bold=True),
        _cells(d["row"], d["label"], _LABEL_PX, colour=colours, limit=int(_PROV_PX - _LABEL_PX) - 8),
        _cells(d["row"], studies["provenance"].astype(str) if "provenance" in studies.columns else [""] * k,
               _PROV_PX, colour=colours),
        _cells(d["row"], [_fmt_ci(a, b, c) for a, b, c in zip(d["yi"], d["ci_low"], d["ci_high"])], _CI_PX,
               colour=colours),
        _cells(d["row"], [f"{w:.1f}%" if _finite(w) else "" for w in d["weight"]], _WEIGHT_PX, align="right",
               colour=colours),
    ]
    if has_pool:
        dia = _diamond_frame([(pool_row, est, lo, hi)])
        dia["label"] = method
        dia["estimate"], dia["ci_low"], dia["ci_high"] = est, lo, hi
        dia_tips = [
            alt.Tooltip("label:N", title="Pooled"),
            alt.Tooltip("estimate:Q", title="SMD (g)", format=".3f"),
            alt.Tooltip("ci_low:Q", title="95% CI low", format=".3f"),
            alt.Tooltip("ci_high:Q", title="95% CI high", format=".3f"),
        ]
        layers.append(
            alt.Chart(dia).mark_area(color=PALETTE["black"], opacity=0.9, stroke="black", strokeWidth=1).encode(
                x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale, axis=None), y2=alt.Y2("y2"),
                detail=alt.Detail("diamond", type="nominal"), tooltip=dia_tips,
            )
        )
        layers.append(
            alt.Chart(pd.DataFrame({"x": [est], "y": [-0.6], "y2": [pool_row]}))
            .mark_rule(color=PALETTE["grey"], strokeDash=[3, 3])
            .encode(x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale, axis=None), y2=alt.Y2("y2"))
        )
        i2 = _attr(pooled, "i2")
        k_text = f"k = {k}" + (f", I\u00b2 = {i2:.0f}%" if _finite(i2) else "")
        texts += [
            _cells([pool_row], [f"{method}  ({k_text})"], _LABEL_PX, bold=True, colour="#000000",
                   limit=int(-_LABEL_PX) - 8),
            _cells([pool_row], [_fmt_ci(est, lo, hi)], _CI_PX, bold=True, colour="#000000"),
            _cells([pool_row], ["100%"], _WEIGHT_PX, align="right", bold=True, colour="#000000"),
        ]
        if has_pi:
            pi = pd.DataFrame({"row": [pi_row], "pi_low": [pi_lo], "pi_high": [pi_hi],
                               "label": ["95% prediction interval"]})
            pi_tips = [alt.Tooltip("label:N", title="Interval"), alt.Tooltip("pi_low:Q", title="low", format=".2f"),
                       alt.Tooltip("pi_high:Q", title="high", format=".2f")]
            ends = pd.DataFrame({"row": [pi_row, pi_row], "x": [pi_lo, pi_hi]})
            layers += [
                alt.Chart(pi).mark_rule(color=PALETTE["purple"], strokeWidth=5).encode(
                    x=alt.X("pi_low:Q", scale=x_scale), x2=alt.X2("pi_high"), y=y, tooltip=pi_tips),
                alt.Chart(ends).mark_tick(color=PALETTE["purple"], thickness=2, size=14).encode(
                    x=alt.X("x:Q", scale=x_scale), y=y),
            ]
            texts += [
                _cells([pi_row], ["95% prediction interval"], _LABEL_PX, colour="#6B3A5B"),
                _cells([pi_row], [f"[{_fmt(pi_lo)}, {_fmt(pi_hi)}]"], _CI_PX, colour="#6B3A5B"),
            ]
    texts.append(_favours_cells(x_domain, y_domain, height, favours))
    layers += _text_layers(pd.concat(texts, ignore_index=True), y_scale)
    subtitle = (_pooled_subtitle(pooled, k) if has_pool
                else "One trial: nothing to pool" if k == 1 else f"k = {k}, not pooled")
    chart = _layer(layers, width=_PLOT_WIDTH, height=height,
                   title=alt.TitleParams(f"{outcome_label}: standardised mean difference by trial", subtitle=subtitle))
    return _configure(chart)


def _pooled_subtitle(pooled: Any, k: int) -> str:
    parts = [f"Pooled SMD {_fmt_ci(pooled.estimate, pooled.ci_low, pooled.ci_high)}", f"k = {k}"]
    if _finite(_attr(pooled, "i2")):
        parts.append(f"I\u00b2 = {_attr(pooled, 'i2'):.0f}%")
    if _finite(_attr(pooled, "tau2")):
        parts.append(f"\u03c4\u00b2 = {_attr(pooled, 'tau2'):.3f}")
    if _finite(_attr(pooled, "pi_low")) and _finite(_attr(pooled, "pi_high")):
        parts.append(f"95% PI [{_fmt(pooled.pi_low)}, {_fmt(pooled.pi_high)}]")
    return "   \u00b7   ".join(parts)


# --------------------------------------------------------------------------------------------------------------
# subgroup forest plot
# --------------------------------------------------------------------------------------------------------------
def subgroup_forest(
    table: pd.DataFrame,
    overall: Any,
    *,
    title: str = "Pooled SMD by subgroup",
    favours: tuple[str, str] = ("control", "peer support"),
    group_labels: dict[str, str] | None = None,
) -> alt.LayerChart:
    """Forest plot of per-subgroup pooled effects, one diamond per subgroup plus the overall one.

    Parameters
    ----------
    table : DataFrame
        ``peerstats.meta.SubgroupResult.table()``: one row per subgroup, drawn in frame order. Columns ``group``,
        ``k``, ``estimate``, ``ci_low``, ``ci_high`` are required; ``i2``, ``pval``, ``tau2`` are shown in tooltips
        when present. Rows with a non-finite ``estimate`` are listed as "not estimable".
    overall : PoolResult or None
        The pool over all studies of the selection (``estimate``, ``ci_low``, ``ci_high``, ``k``, ``i2``).
    title : str
        Chart title, e.g. "Personal recovery by organisational category".
    favours : (str, str)
        Left and right favours labels, as in :func:`forest`.
    group_labels : dict, optional
        Display names of the group codes (e.g. ``{"hospital_added": "Added to hospital care"}``).

    Returns
    -------
    alt.LayerChart
        Subgroup label with k | diamonds (a single-study subgroup is drawn as a square with its CI) |
        "SMD [95% CI]" and I2, the overall diamond in black at the bottom.
    """
    _require(table, ["group", "k", "estimate", "ci_low", "ci_high"], "subgroup_forest")
    names = group_labels or {}
    t = table.reset_index(drop=True)
    n = len(t)
    has_overall = overall is not None and _finite(_attr(overall, "estimate"))
    overall_row = n + 0.6
    y_domain = [-1.3, (overall_row if has_overall else n - 1) + 0.8]
    height = int(_ROW_PX * 1.25 * (y_domain[1] - y_domain[0]))
    finite = t["estimate"].map(_finite).to_numpy(dtype=bool)
    info = pd.DataFrame({
        "row": np.arange(n, dtype=float),
        "group": [names.get(str(g), str(g)) for g in t["group"]],
        "k": t["k"].astype(int).to_numpy(),
        "estimate": t["estimate"].astype(float).to_numpy(),
        "ci_low": t["ci_low"].astype(float).to_numpy(),
        "ci_high": t["ci_high"].astype(float).to_numpy(),
    })
    for col in ("i2", "pval", "tau2"):
        if col in t.columns:
            info[col] = t[col].astype(float).to_numpy()
    ov = (_attr(overall, "estimate"), _attr(overall, "ci_low"), _attr(overall, "ci_high")) if has_overall else ()
    x_domain = _x_domain(info.loc[finite, "ci_low"], info.loc[finite, "ci_high"], list(ov))
    x_scale = alt.Scale(domain=x_domain, nice=False, zero=False, clamp=True)
    y_scale = alt.Scale(domain=y_domain, reverse=True, nice=False, zero=False)
    x_axis = alt.Axis(title="SMD (Hedges' g)", tickCount=6, grid=False)
    tips = [alt.Tooltip("group:N", title="Subgroup"), alt.Tooltip("k:Q", title="k"),
            alt.Tooltip("estimate:Q", title="SMD (g)", format=".3f"),
            alt.Tooltip("ci_low:Q", title="95% CI low", format=".3f"),
            alt.Tooltip("ci_high:Q", title="95% CI high", format=".3f")]
    tips += [alt.Tooltip(f"{c}:Q", title=tt, format=f) for c, tt, f in
             (("i2", "I\u00b2 (%)", ".0f"), ("tau2", "\u03c4\u00b2", ".3f"), ("pval", "p", ".3g")) if c in info]

    multi = info[finite & (info["k"].to_numpy() > 1)]
    single = info[finite & (info["k"].to_numpy() <= 1)]
    layers: list[alt.Chart] = [
        alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#444444", strokeWidth=1.2).encode(
            x=alt.X("x:Q", scale=x_scale, axis=x_axis))
    ]
    if len(multi):
        dia = _diamond_frame([(r.row, r.estimate, r.ci_low, r.ci_high) for r in multi.itertuples()],
                             half_height=0.34)
        dia = dia.merge(multi.drop(columns=["row"]).assign(diamond=np.arange(len(multi))), on="diamond")
        layers.append(alt.Chart(dia).mark_area(color=PALETTE["blue"], opacity=0.9, stroke="#00467A",
                                               strokeWidth=1).encode(
            x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale, axis=None), y2=alt.Y2("y2"),
            detail=alt.Detail("diamond", type="nominal"), tooltip=tips))
    if len(single):
        sb = alt.Chart(single)
        layers += [
            sb.mark_rule(color=PALETTE["blue"], strokeWidth=2).encode(
                x=alt.X("ci_low:Q", scale=x_scale), x2=alt.X2("ci_high"), y=alt.Y("row:Q", scale=y_scale, axis=None),
                tooltip=tips),
            sb.mark_square(color=PALETTE["blue"], size=140, opacity=1).encode(
                x=alt.X("estimate:Q", scale=x_scale), y=alt.Y("row:Q", scale=y_scale, axis=None), tooltip=tips),
        ]
    ci_px, i2_px = _PLOT_WIDTH + 12.0, _PLOT_WIDTH + 205.0
    i2_values = info["i2"] if "i2" in info else pd.Series([math.nan] * n)
    texts = [
        _cells([-1.0], ["Subgroup"], -290, bold=True),
        _cells([-1.0], ["SMD [95% CI]"], ci_px, bold=True),
        _cells([-1.0], ["I\u00b2"], i2_px, align="right", bold=True),
        _cells(info["row"], [f"{g}  (k = {kk})" for g, kk in zip(info["group"], info["k"])], -290, limit=280),
        _cells(info["row"], [_fmt_ci(e, lo, hi) if ok else "not estimable"
                             for e, lo, hi, ok in zip(info["estimate"], info["ci_low"], info["ci_high"], finite)],
               ci_px),
        _cells(info["row"], [f"{v:.0f}%" if _finite(v) else "-" for v in i2_values], i2_px, align="right"),
    ]
    if has_overall:
        ov_est, ov_lo, ov_hi = ov
        odia = _diamond_frame([(overall_row, ov_est, ov_lo, ov_hi)], half_height=0.38)
        odia["estimate"], odia["ci_low"], odia["ci_high"], odia["group"] = ov_est, ov_lo, ov_hi, "Overall"
        layers.append(alt.Chart(odia).mark_area(color=PALETTE["black"], opacity=0.9, stroke="black",
                                                strokeWidth=1).encode(
            x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale, axis=None), y2=alt.Y2("y2"),
            tooltip=[alt.Tooltip("group:N", title="Subgroup"),
                     alt.Tooltip("estimate:Q", title="SMD (g)", format=".3f"),
                     alt.Tooltip("ci_low:Q", title="95% CI low", format=".3f"),
                     alt.Tooltip("ci_high:Q", title="95% CI high", format=".3f")]))
        layers.append(alt.Chart(pd.DataFrame({"x": [ov_est], "y": [-0.6], "y2": [overall_row]})).mark_rule(
            color=PALETTE["grey"], strokeDash=[3, 3]).encode(
            x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale, axis=None), y2=alt.Y2("y2")))
        i2o = _attr(overall, "i2")
        texts += [
            _cells([overall_row], [f"Overall  (k = {_attr(overall, 'k', '?')})"], -290, bold=True, colour="#000000"),
            _cells([overall_row], [_fmt_ci(ov_est, ov_lo, ov_hi)], ci_px, bold=True, colour="#000000"),
            _cells([overall_row], [f"{i2o:.0f}%" if _finite(i2o) else "-"], i2_px, align="right", bold=True,
                   colour="#000000"),
        ]
    texts.append(_favours_cells(x_domain, y_domain, height, favours))
    layers += _text_layers(pd.concat(texts, ignore_index=True), y_scale)
    chart = _layer(layers, width=_PLOT_WIDTH, height=height, title=title)
    return _configure(chart)


# --------------------------------------------------------------------------------------------------------------
# funnel plot
# --------------------------------------------------------------------------------------------------------------
def funnel(
    studies: pd.DataFrame,
    estimate: float,
    limits: pd.DataFrame,
    filled: pd.DataFrame | None = None,
    *,
    adjusted_estimate: float | None = None,
    title: str = "Funnel plot",
) -> alt.LayerChart:
    """Funnel plot: effect size against standard error (0 at the top) with pseudo-95% confidence limits.

    Parameters
    ----------
    studies : DataFrame
        Observed studies. Columns ``yi`` and ``vi`` (required), ``label`` and ``provenance`` (optional;
        reconstructed rows drawn in vermillion with a different symbol), tooltip columns as in :func:`forest`.
    estimate : float
        The pooled estimate the funnel is centred on (a vertical line).
    limits : DataFrame
        ``peerstats.meta.funnel_limits(estimate, se_max)``: columns ``se``, ``ci_low``, ``ci_high``.
    filled : DataFrame, optional
        ``TrimFillResult.filled``: columns ``yi``, ``vi`` of the studies imputed by trim-and-fill; drawn as hollow
        grey circles labelled "imputed (trim-and-fill)".
    adjusted_estimate : float, optional
        The trim-and-fill estimate, drawn as a dashed vertical line.
    title : str
        Chart title.

    Returns
    -------
    alt.LayerChart
    """
    _require(studies, ["yi", "vi"], "funnel")
    _require(limits, ["se", "ci_low", "ci_high"], "funnel limits")
    obs = studies.copy()
    obs["se"] = np.sqrt(obs["vi"].astype(float))
    obs["kind"] = _kind(obs["provenance"] if "provenance" in obs.columns else None, len(obs))
    if "label" not in obs.columns:
        obs["label"] = [f"study {i + 1}" for i in range(len(obs))]
    imputed_label = "imputed (trim-and-fill)"
    pts = obs[["label", "yi", "se", "kind"] + [c for c, _ in _TOOLTIP_COLUMNS if c in obs and c != "label"]]
    if filled is not None and len(filled):
        f = pd.DataFrame({"yi": filled["yi"].astype(float).to_numpy(),
                          "se": np.sqrt(filled["vi"].astype(float).to_numpy())})
        f["label"] = [f"imputed study {i + 1}" for i in range(len(f))]
        f["kind"] = imputed_label
        pts = pd.concat([pts, f], ignore_index=True)
    se_max = float(max(np.nanmax(limits["se"]), np.nanmax(pts["se"]) if len(pts) else 0.0))
    y_scale = alt.Scale(domain=[0, se_max * 1.04], reverse=True, nice=False, zero=True)
    x_domain = _x_domain(pts["yi"], limits["ci_low"], limits["ci_high"], [estimate], pad=0.04)
    x_scale = alt.Scale(domain=x_domain, nice=False, zero=False)
    lim = pd.concat([
        pd.DataFrame({"x": limits["ci_low"].astype(float), "se": limits["se"].astype(float), "side": "lower"}),
        pd.DataFrame({"x": limits["ci_high"].astype(float), "se": limits["se"].astype(float), "side": "upper"}),
    ], ignore_index=True)
    kinds = [TRIAL_DATA_LABEL, RECONSTRUCTED_LABEL, imputed_label]
    colours = [PALETTE["blue"], PALETTE["vermillion"], PALETTE["grey"]]
    shape = alt.Shape("kind:N", title="Study",
                      scale=alt.Scale(domain=kinds, range=["circle", "diamond", "circle"]))
    stroke = alt.Stroke("kind:N", title="Study", scale=alt.Scale(domain=kinds, range=colours))
    fill = alt.Fill("kind:N", title="Study", scale=alt.Scale(domain=kinds, range=[colours[0], "#FFFFFF", "#FFFFFF"]))
    x_axis = alt.Axis(title="SMD (Hedges' g)", grid=False, tickCount=6)
    y_axis = alt.Axis(title="Standard error", grid=True, gridColor="#EEEEEE", tickCount=5)
    layers: list[alt.Chart] = [
        alt.Chart(lim).mark_line(color=PALETTE["grey"], strokeDash=[6, 4], strokeWidth=1.5).encode(
            x=alt.X("x:Q", scale=x_scale, axis=x_axis), y=alt.Y("se:Q", scale=y_scale, axis=y_axis),
            detail=alt.Detail("side", type="nominal"), order=alt.Order("se", type="quantitative")),
        alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#BBBBBB", strokeWidth=1).encode(
            x=alt.X("x:Q", scale=x_scale)),
        alt.Chart(pd.DataFrame({"x": [float(estimate)], "what": ["pooled estimate"]})).mark_rule(
            color=PALETTE["black"], strokeWidth=1.5).encode(
            x=alt.X("x:Q", scale=x_scale), tooltip=[alt.Tooltip("what:N", title=" "),
                                                   alt.Tooltip("x:Q", title="SMD", format=".3f")]),
    ]
    if adjusted_estimate is not None and _finite(adjusted_estimate):
        layers.append(alt.Chart(pd.DataFrame({"x": [float(adjusted_estimate)], "what": ["trim-and-fill estimate"]}))
                      .mark_rule(color=PALETTE["grey"], strokeDash=[4, 3], strokeWidth=1.5)
                      .encode(x=alt.X("x:Q", scale=x_scale),
                              tooltip=[alt.Tooltip("what:N", title=" "),
                                       alt.Tooltip("x:Q", title="SMD", format=".3f")]))
    tips = _tooltips(pts, [alt.Tooltip("yi:Q", title="SMD (g)", format=".2f"),
                           alt.Tooltip("se:Q", title="SE", format=".3f"), alt.Tooltip("kind:N", title="Kind")])
    layers.append(alt.Chart(pts).mark_point(size=110, strokeWidth=2, opacity=1).encode(
        x=alt.X("yi:Q", scale=x_scale), y=alt.Y("se:Q", scale=y_scale), shape=shape, stroke=stroke, fill=fill,
        tooltip=tips))
    label = pd.DataFrame({"x": [float(limits["ci_high"].iloc[-1])], "se": [float(limits["se"].iloc[-1])],
                          "text": ["pseudo 95% limits"]})
    layers.append(alt.Chart(label).mark_text(align="left", dx=4, dy=-6, fontSize=FONT_SIZE - 1,
                                             color=PALETTE["grey"]).encode(
        x=alt.X("x:Q", scale=x_scale), y=alt.Y("se:Q", scale=y_scale), text=alt.Text("text", type="nominal")))
    chart = _layer(layers, width=520, height=380, title=title)
    return _configure(chart)


# --------------------------------------------------------------------------------------------------------------
# leave-one-out and cumulative
# --------------------------------------------------------------------------------------------------------------
def _interval_rows(frame: pd.DataFrame, labels: list[str], reference: float | None, title: str,
                   y_title: str, tooltip_extra: list[alt.Tooltip]) -> alt.LayerChart:
    d = frame.copy()
    seen: dict[str, int] = {}
    unique = []
    for lab in labels:  # an ordinal axis merges equal labels: number repeats
        seen[lab] = seen.get(lab, 0) + 1
        unique.append(lab if seen[lab] == 1 else f"{lab} ({seen[lab]})")
    labels = unique
    d["row_label"] = labels
    d["ci_text"] = [_fmt_ci(e, lo, hi) for e, lo, hi in zip(d["estimate"], d["ci_low"], d["ci_high"])]
    order = list(dict.fromkeys(labels))
    x_domain = _x_domain(d["ci_low"], d["ci_high"], [reference] if reference is not None else [])
    x_scale = alt.Scale(domain=x_domain, nice=False, zero=False)
    y = alt.Y("row_label:N", sort=order, title=None,
              axis=alt.Axis(labelLimit=320, labelFontSize=FONT_SIZE, ticks=False, domain=False))
    x_axis = alt.Axis(title="SMD (Hedges' g)", grid=False, tickCount=6)
    tips = [alt.Tooltip("row_label:N", title=y_title), alt.Tooltip("estimate:Q", title="SMD (g)", format=".3f"),
            alt.Tooltip("ci_low:Q", title="95% CI low", format=".3f"),
            alt.Tooltip("ci_high:Q", title="95% CI high", format=".3f")] + tooltip_extra
    base = alt.Chart(d)
    layers: list[alt.Chart] = [
        alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#444", strokeWidth=1.2).encode(
            x=alt.X("x:Q", scale=x_scale, axis=x_axis)),
    ]
    if reference is not None and _finite(reference):
        layers.append(alt.Chart(pd.DataFrame({"x": [float(reference)], "what": ["all studies"]})).mark_rule(
            color=PALETTE["orange"], strokeWidth=2, strokeDash=[6, 4]).encode(
            x=alt.X("x:Q", scale=x_scale), tooltip=[alt.Tooltip("what:N", title="Pooled over"),
                                                    alt.Tooltip("x:Q", title="SMD", format=".3f")]))
    layers += [
        base.mark_rule(color=PALETTE["blue"], strokeWidth=2).encode(
            x=alt.X("ci_low:Q", scale=x_scale), x2=alt.X2("ci_high"), y=y, tooltip=tips),
        base.mark_point(shape="diamond", filled=True, size=110, color=PALETTE["blue"], opacity=1).encode(
            x=alt.X("estimate:Q", scale=x_scale), y=y, tooltip=tips),
        base.mark_text(align="left", baseline="middle", dx=6, fontSize=FONT_SIZE - 1, color="#333").encode(
            x=alt.XValue(_PLOT_WIDTH + 10), y=y, text=alt.Text("ci_text", type="nominal")),
    ]
    height = max(_ROW_PX * len(d), 60)
    subtitle = (f"Dashed orange line: all studies pooled, SMD {_fmt(reference)}"
                if reference is not None and _finite(reference) else "Each row: pooled SMD with its 95% CI")
    chart = _layer(layers, width=_PLOT_WIDTH, height=height, title=alt.TitleParams(title, subtitle=subtitle),
                   padding={"right": 150, "left": 5, "top": 5, "bottom": 5})
    return _configure(chart)


def leave_one_out_plot(frame: pd.DataFrame, *, overall: float | None = None,
                       title: str = "Leave-one-out: the pooled SMD without each trial") -> alt.LayerChart:
    """Pooled estimate and 95% CI with each study left out in turn.

    Parameters
    ----------
    frame : DataFrame
        ``peerstats.meta.leave_one_out`` output plus a ``label`` column naming the omitted study (the app adds it
        from the selection's ``label`` by the ``omitted`` index). Columns: ``label``, ``estimate``, ``ci_low``,
        ``ci_high`` required; ``i2``, ``tau2``, ``pval`` shown in tooltips when present. Drawn in frame order.
    overall : float, optional
        The pooled estimate over all studies, drawn as a dashed orange reference line.
    title : str
        Chart title.

    Returns
    -------
    alt.LayerChart
        One row per omission ("without <label>"), a diamond at the estimate, its CI, the estimate as text.
    """
    _require(frame, ["label", "estimate", "ci_low", "ci_high"], "leave_one_out_plot")
    labels = [f"without {lab}" for lab in frame["label"].astype(str)]
    extra = [alt.Tooltip(f"{c}:Q", title=t, format=f) for c, t, f in
             (("i2", "I\u00b2 (%)", ".0f"), ("tau2", "\u03c4\u00b2", ".3f"), ("pval", "p", ".3g")) if c in frame]
    return _interval_rows(frame[[c for c in frame.columns if c != "label"]], labels, overall, title, "Omitted", extra)


def cumulative_plot(frame: pd.DataFrame, *, title: str = "Cumulative meta-analysis by year") -> alt.LayerChart:
    """Pooled estimate and 95% CI as the studies are added one at a time.

    Parameters
    ----------
    frame : DataFrame
        ``peerstats.meta.cumulative`` output plus ``label`` (the study added at that step) and optionally ``year``.
        Columns: ``label``, ``k``, ``estimate``, ``ci_low``, ``ci_high`` required; ``i2`` and ``pval`` shown in
        tooltips when present. Drawn in frame order (the cumulative order).
    title : str
        Chart title.

    Returns
    -------
    alt.LayerChart
        One row per step ("+ <label>"), a diamond at the estimate, its CI, the estimate as text.
    """
    _require(frame, ["label", "k", "estimate", "ci_low", "ci_high"], "cumulative_plot")
    labels = [f"+ {lab}  (k = {int(kk)})" for lab, kk in zip(frame["label"].astype(str), frame["k"])]
    extra = [alt.Tooltip("k:Q", title="k")]
    extra += [alt.Tooltip(f"{c}:Q", title=t, format=f) for c, t, f in
              (("year", "Year", "d"), ("i2", "I\u00b2 (%)", ".0f"), ("pval", "p", ".3g")) if c in frame]
    return _interval_rows(frame[[c for c in frame.columns if c != "label"]], labels, None, title, "Added", extra)


# --------------------------------------------------------------------------------------------------------------
# risk of bias
# --------------------------------------------------------------------------------------------------------------
def _rob_long(trials: pd.DataFrame, builder: str) -> pd.DataFrame:
    _require(trials, ["label", *ROB_DOMAINS], builder)
    long = trials[["label", *ROB_DOMAINS]].melt(id_vars="label", var_name="column", value_name="level")
    level = long["level"].astype("string").str.strip().str.lower()
    long["level"] = level.where(level.isin(["low", "unclear", "high"]), "not reported").astype(str)
    long["domain"] = long["column"].map(ROB_DOMAINS)
    long["judgement"] = long["level"].map(_ROB_TEXT)
    long["symbol"] = long["level"].map(_ROB_SYMBOL)
    long["ink"] = _ink(long["level"])
    return long


def _ink(levels: pd.Series) -> list[str]:
    """Text colour readable on each judgement's fill: black on yellow and grey, white on green and vermillion."""
    return ["#000000" if lv in ("unclear", "not reported") else "#FFFFFF" for lv in levels]


def _rob_colour(present: Sequence[str], title: str | None = "Judgement") -> alt.Color:
    levels = [v for v in _ROB_LEVELS if v != "not reported" or v in set(present)]
    return alt.Color("judgement:N", title=title,
                     scale=alt.Scale(domain=[_ROB_TEXT[v] for v in levels], range=[_ROB_COLOUR[v] for v in levels]),
                     legend=alt.Legend(orient="bottom", symbolType="circle", symbolSize=220))


def rob_traffic_light(trials: pd.DataFrame, *, title: str = "Risk of bias by trial") -> alt.LayerChart:
    """robvis-style traffic-light grid: trials (rows) x the seven risk-of-bias domains (columns).

    Parameters
    ----------
    trials : DataFrame
        One row per trial, in display order. Columns: ``label`` and the seven ``rob_*`` columns of
        :data:`ROB_DOMAINS` (values low / unclear / high; anything else is drawn as "not reported"). When a
        ``quality`` column (AHRQ good / fair / poor) is present it is written beside each row.
    title : str
        Chart title.

    Returns
    -------
    alt.LayerChart
        A coloured circle per cell (green low, yellow unclear, vermillion high) carrying "+", "?" or "-",
        so the judgement reads without colour too.
    """
    long = _rob_long(trials, "rob_traffic_light")
    order_y = list(dict.fromkeys(trials["label"].astype(str)))
    long["label"] = long["label"].astype(str)
    if "quality" in trials.columns:
        qual = dict(zip(trials["label"].astype(str), trials["quality"].astype(str)))
        long["quality"] = long["label"].map(qual)
    x = alt.X("domain:N", sort=list(ROB_DOMAINS.values()), title=None,
              axis=alt.Axis(orient="top", labelAngle=-35, labelLimit=220, ticks=False, domain=False,
                            labelFontSize=FONT_SIZE))
    y = alt.Y("label:N", sort=order_y, title=None,
              axis=alt.Axis(labelLimit=260, ticks=False, domain=False, labelFontSize=FONT_SIZE))
    tips = [alt.Tooltip("label:N", title="Trial"), alt.Tooltip("domain:N", title="Domain"),
            alt.Tooltip("judgement:N", title="Judgement")]
    if "quality" in long:
        tips.append(alt.Tooltip("quality:N", title="Quality (AHRQ)"))
    base = alt.Chart(long)
    cells = base.mark_circle(size=330, opacity=1, stroke="#555", strokeWidth=0.6).encode(
        x=x, y=y, color=_rob_colour(long["level"].unique()), tooltip=tips)
    text = base.mark_text(fontSize=FONT_SIZE + 2, fontWeight="bold", baseline="middle").encode(
        x=x, y=y, text=alt.Text("symbol", type="nominal"), tooltip=tips,
        color=alt.Color("ink", type="nominal", scale=None))
    layers: list[alt.Chart] = [cells, text]
    height = 24 * len(order_y)
    width = 34 * len(ROB_DOMAINS)
    if "quality" in trials.columns:
        grid = alt.layer(*layers).properties(width=width, height=height)
        q = pd.DataFrame({"label": trials["label"].astype(str), "quality": trials["quality"].astype(str)})
        qchart = alt.Chart(q).mark_text(align="left", fontSize=FONT_SIZE, color="#333").encode(
            y=alt.Y("label:N", sort=order_y, axis=None), text=alt.Text("quality", type="nominal"), x=alt.XValue(4),
        ).properties(width=60, height=height, title=alt.TitleParams("Quality", fontSize=FONT_SIZE, anchor="start",
                                                                     orient="top"))
        chart = HConcatChart(hconcat=[grid, qchart], spacing=4)
        chart.title = title
        return _configure(chart)
    return _configure(_layer(layers, width=width, height=height, title=title))


def rob_summary(trials: pd.DataFrame, *, title: str = "Risk of bias: share of trials per judgement") -> alt.LayerChart:
    """robvis-style summary: one horizontal 100% stacked bar per risk-of-bias domain.

    Parameters
    ----------
    trials : DataFrame
        As :func:`rob_traffic_light`: ``label`` and the seven ``rob_*`` columns.
    title : str
        Chart title.

    Returns
    -------
    alt.LayerChart
        Bars coloured by judgement (legend "Low risk (+)", "Unclear (?)", "High risk (-)"), with the percentage
        and the symbol written inside each segment wide enough to hold it.
    """
    long = _rob_long(trials, "rob_summary")
    counts = long.groupby(["domain", "level"], sort=False).size().rename("n").reset_index()
    total = long.groupby("domain").size()
    counts["percent"] = 100.0 * counts["n"] / counts["domain"].map(total)
    counts["judgement"] = counts["level"].map(_ROB_TEXT)
    counts["order"] = counts["level"].map({v: i for i, v in enumerate(_ROB_LEVELS)})
    counts["text"] = [f"{_ROB_SYMBOL[lv]} {p:.0f}%" if p >= 9 else (_ROB_SYMBOL[lv] if p >= 3.5 else "")
                      for lv, p in zip(counts["level"], counts["percent"])]
    counts = counts.sort_values(["domain", "order"]).reset_index(drop=True)
    counts["end"] = counts.groupby("domain")["percent"].cumsum()
    counts["start"] = counts["end"] - counts["percent"]
    counts["mid"] = (counts["start"] + counts["end"]) / 2
    counts["ink"] = _ink(counts["level"])
    y = alt.Y("domain:N", sort=list(ROB_DOMAINS.values()), title=None,
              axis=alt.Axis(labelLimit=260, ticks=False, domain=False, labelFontSize=FONT_SIZE))
    x = alt.X("start:Q", title="Share of trials (%)", scale=alt.Scale(domain=[0, 100]),
              axis=alt.Axis(values=[0, 25, 50, 75, 100], grid=False))
    tips = [alt.Tooltip("domain:N", title="Domain"), alt.Tooltip("judgement:N", title="Judgement"),
            alt.Tooltip("n:Q", title="Trials"), alt.Tooltip("percent:Q", title="%", format=".0f")]
    base = alt.Chart(counts)
    bars = base.mark_bar(stroke="#FFFFFF", strokeWidth=1, height=24).encode(
        x=x, x2=alt.X2("end"), y=y, color=_rob_colour(counts["level"].unique()), tooltip=tips)
    text = base.mark_text(fontSize=FONT_SIZE - 1, fontWeight="bold", baseline="middle").encode(
        x=alt.X("mid:Q"), y=y, text=alt.Text("text", type="nominal"), tooltip=tips,
        color=alt.Color("ink", type="nominal", scale=None))
    chart = _layer([bars, text], width=460, height=34 * len(ROB_DOMAINS),
                   title=alt.TitleParams(title, subtitle=f"{len(trials)} trials"))
    return _configure(chart)
