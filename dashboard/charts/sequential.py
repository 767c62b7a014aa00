"""Interval plots of re-analyses: leave-one-out and cumulative meta-analysis.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from .base import (
    ROW_PX,
    FIT,
    FONT_SIZE,
    PALETTE,
    configure_chart,
    is_finite,
    fit_px,
    fit_title,
    font_px,
    check_scale,
    stretch_chart,
    fmt_number,
    fmt_estimate_ci,
    layer_charts,
    require_columns,
    padded_domain,
)

__all__ = ['leave_one_out_plot', 'cumulative_plot']

#: Natural width (row labels, plot, estimate text), pixels: the width in exports; below it the labels are cut
#: shorter, and below 60% of it the estimate text right of the plot is left out (it is in every row's tooltip).
SEQUENTIAL_WIDTH = 800
_LABEL_LIMIT = 320
_TEXT_ROOM = 135  # pixels right of the plot for "0.20 [0.11, 0.29]" at 13 px
_NARROW_FIT = 0.6


def _interval_rows(frame: pd.DataFrame, labels: list[str], reference: float | None, title: str,
                   y_title: str, tooltip_extra: list[alt.Tooltip], scale: float = 1.0) -> alt.LayerChart:
    scale = check_scale(scale)
    room = f"({FIT} < {_NARROW_FIT} ? 0 : {_TEXT_ROOM * scale:g})"  # the estimate text's room right of the plot
    d = frame.copy()
    seen: dict[str, int] = {}
    unique = []
    for lab in labels:  # an ordinal axis merges equal labels: number repeats
        seen[lab] = seen.get(lab, 0) + 1
        unique.append(lab if seen[lab] == 1 else f"{lab} ({seen[lab]})")
    labels = unique
    d["row_label"] = labels
    d["ci_text"] = [fmt_estimate_ci(e, lo, hi) for e, lo, hi in zip(d["estimate"], d["ci_low"], d["ci_high"])]
    order = list(dict.fromkeys(labels))
    x_domain = padded_domain(d["ci_low"], d["ci_high"], [reference] if reference is not None else [])
    x_scale = alt.Scale(domain=x_domain, nice=False, zero=False, range=[0, {"expr": f"width - {room}"}])
    y = alt.Y("row_label:N", sort=order, title=None,
              axis=alt.Axis(labelLimit=fit_px(_LABEL_LIMIT, 110), labelFontSize=font_px(FONT_SIZE, scale), ticks=False,
                            domain=False))
    x_axis = alt.Axis(title="SMD (Hedges' g)", grid=False, tickCount={"expr": f"{FIT} < {_NARROW_FIT} ? 4 : 6"})
    tips = [alt.Tooltip("row_label:N", title=y_title), alt.Tooltip("estimate:Q", title="SMD (g)", format=".3f"),
            alt.Tooltip("ci_low:Q", title="95% CI low", format=".3f"),
            alt.Tooltip("ci_high:Q", title="95% CI high", format=".3f")] + tooltip_extra
    base = alt.Chart(d)
    layers: list[alt.Chart] = [
        alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#444", strokeWidth=1.2).encode(
            x=alt.X("x:Q", scale=x_scale, axis=x_axis)),
    ]
    if reference is not None and is_finite(reference):
        layers.append(alt.Chart(pd.DataFrame({"x": [float(reference)], "what": ["all studies"]})).mark_rule(
            color=PALETTE["orange"], strokeWidth=2, strokeDash=[6, 4]).encode(
            x=alt.X("x:Q", scale=x_scale), tooltip=[alt.Tooltip("what:N", title="Pooled over"),
                                                    alt.Tooltip("x:Q", title="SMD", format=".3f")]))
    layers += [
        base.mark_rule(color=PALETTE["blue"], strokeWidth=2).encode(
            x=alt.X("ci_low:Q", scale=x_scale), x2=alt.X2("ci_high"), y=y, tooltip=tips),
        base.mark_point(shape="diamond", filled=True, size=110, color=PALETTE["blue"], opacity=1).encode(
            x=alt.X("estimate:Q", scale=x_scale), y=y, tooltip=tips),
        base.transform_calculate(shown=f"{FIT} < {_NARROW_FIT} ? '' : datum.ci_text")
        .mark_text(align="left", baseline="middle", dx=6, fontSize=font_px(FONT_SIZE - 1, scale), color="#333")
        .encode(x=alt.XValue({"expr": f"width - {room}"}), y=y, text=alt.Text("shown", type="nominal")),
    ]
    height = max(int(round(ROW_PX * scale)) * len(d), 60)
    subtitle = (f"Dashed orange line: all studies pooled, SMD {fmt_number(reference)}"
                if reference is not None and is_finite(reference) else "Each row: pooled SMD with its 95% CI")
    chart = layer_charts(layers, height=height, title=fit_title(title, subtitle, scale))
    return stretch_chart(configure_chart(chart, scale), SEQUENTIAL_WIDTH)


def leave_one_out_plot(frame: pd.DataFrame, *, overall: float | None = None,
                       title: str = "Leave-one-out: the pooled SMD without each trial",
                       scale: float = 1.0) -> alt.LayerChart:
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
    scale : float
        Font scale (1.5 in presentation mode).

    Returns
    -------
    alt.LayerChart
        Takes its box's width (``fit``; 800 px in exports). One row per omission ("without <label>"), a diamond at the estimate, its CI, the estimate as text.
    """
    require_columns(frame, ["label", "estimate", "ci_low", "ci_high"], "leave_one_out_plot")
    labels = [f"without {lab}" for lab in frame["label"].astype(str)]
    extra = [alt.Tooltip(f"{c}:Q", title=t, format=f) for c, t, f in
             (("i2", "I\u00b2 (%)", ".0f"), ("tau2", "\u03c4\u00b2", ".3f"), ("pval", "p", ".3g")) if c in frame]
    return _interval_rows(frame[[c for c in frame.columns if c != "label"]], labels, overall, title, "Omitted", extra,
                          scale)


def cumulative_plot(frame: pd.DataFrame, *, title: str = "Cumulative meta-analysis by year",
                    scale: float = 1.0) -> alt.LayerChart:
    """Pooled estimate and 95% CI as the studies are added one at a time.

    Parameters
    ----------
    frame : DataFrame
        ``peerstats.meta.cumulative`` output plus ``label`` (the study added at that step) and optionally ``year``.
        Columns: ``label``, ``k``, ``estimate``, ``ci_low``, ``ci_high`` required; ``i2`` and ``pval`` shown in
        tooltips when present. Drawn in frame order (the cumulative order).
    title : str
        Chart title.
    scale : float
        Font scale (1.5 in presentation mode).

    Returns
    -------
    alt.LayerChart
        Takes its box's width (``fit``; 800 px in exports). One row per step ("+ <label>"), a diamond at the estimate, its CI, the estimate as text.
    """
    require_columns(frame, ["label", "k", "estimate", "ci_low", "ci_high"], "cumulative_plot")
    labels = [f"+ {lab}  (k = {int(kk)})" for lab, kk in zip(frame["label"].astype(str), frame["k"])]
    extra = [alt.Tooltip("k:Q", title="k")]
    extra += [alt.Tooltip(f"{c}:Q", title=t, format=f) for c, t, f in
              (("year", "Year", "d"), ("i2", "I\u00b2 (%)", ".0f"), ("pval", "p", ".3g")) if c in frame]
    return _interval_rows(frame[[c for c in frame.columns if c != "label"]], labels, None, title, "Added", extra,
                          scale)


# --------------------------------------------------------------------------------------------------------------
# risk of bias
# --------------------------------------------------------------------------------------------------------------
