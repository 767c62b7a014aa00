"""The meta-regression bubble plot: each trial's effect against a continuous moderator, bubble area proportional to
its random-effects weight, with the fitted line and its confidence band (``peerstats.meta_regression`` +
``RegressionResult.predict``).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .base import (
    PALETTE,
    RECONSTRUCTED_LABEL,
    TRIAL_DATA_LABEL,
    configure_chart,
    fit_legend,
    fit_title,
    provenance_kinds,
    layer_charts,
    require_columns,
    check_scale,
    stretch_chart,
    tooltip_fields,
)

__all__ = ["bubble"]

_KINDS = [TRIAL_DATA_LABEL, RECONSTRUCTED_LABEL]
#: Natural width (plot, axes, padding), pixels: the width in exports.
BUBBLE_WIDTH = 640


def bubble(studies: pd.DataFrame, fit: pd.DataFrame, *, x_title: str, y_title: str = "SMD (peer support − control)",
           title: str = "", scale: float = 1.0) -> alt.LayerChart:
    """Bubble plot of a meta-regression on one continuous moderator.

    Parameters
    ----------
    studies : DataFrame
        One row per trial: ``x`` (the moderator), ``yi``, ``weight`` (percent, the model's weights), optional
        ``label``, ``provenance`` (reconstructed rows hollow and vermillion) and tooltip columns.
    fit : DataFrame
        The fitted line on a grid: ``x``, ``pred``, ``ci_low``, ``ci_high`` (``RegressionResult.predict``).
    x_title, y_title, title : str
        Axis titles and chart title.
    scale : float
        Font scale (1.5 in presentation mode).

    Returns
    -------
    alt.LayerChart
        Takes its box's width (``fit``; :func:`dashboard.charts.base.stretch_chart`), 640 px in exports.
    """
    scale = check_scale(scale)
    require_columns(studies, ["x", "yi", "weight"], "bubble")
    require_columns(fit, ["x", "pred", "ci_low", "ci_high"], "bubble")
    pts = studies.copy()
    pts["kind"] = provenance_kinds(pts["provenance"] if "provenance" in pts else None, len(pts))
    xs = np.concatenate([pts["x"].to_numpy(float), fit["x"].to_numpy(float)])
    ys = np.concatenate([pts["yi"].to_numpy(float), fit["ci_low"].to_numpy(float), fit["ci_high"].to_numpy(float)])
    x_scale = alt.Scale(domain=[float(np.nanmin(xs)), float(np.nanmax(xs))], nice=True, zero=False)
    y_scale = alt.Scale(domain=[float(min(np.nanmin(ys), 0.0)), float(max(np.nanmax(ys), 0.0))], nice=True)
    x = alt.X("x:Q", title=x_title, scale=x_scale, axis=alt.Axis(format="d" if _integer(xs) else ".2~f"))
    band = alt.Chart(fit).mark_area(color=PALETTE["sky_blue"], fillOpacity=0.3, stroke=PALETTE["blue"],
                                           strokeWidth=1, strokeDash=[2, 2]).encode(
        x=x, y=alt.Y("ci_low:Q", title=y_title, scale=y_scale), y2="ci_high:Q")
    line = alt.Chart(fit).mark_line(color=PALETTE["blue"], strokeWidth=2).encode(x=x, y=alt.Y("pred:Q"))
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color=PALETTE["grey"], strokeDash=[4, 3]).encode(y="y:Q")
    dots = alt.Chart(pts).mark_point(filled=True, opacity=0.9, strokeWidth=1.5).encode(
        x=x, y=alt.Y("yi:Q"),
        size=alt.Size("weight:Q", title="Weight (%)", scale=alt.Scale(range=[30, 900]), legend=None),
        color=alt.Color("kind:N", title="Rows", legend=fit_legend(), scale=alt.Scale(domain=_KINDS,
                                                                 range=[PALETTE["blue"], PALETTE["vermillion"]])),
        fill=alt.Fill("kind:N", scale=alt.Scale(domain=_KINDS, range=[PALETTE["blue"], "#FFFFFF"]), legend=None),
        tooltip=tooltip_fields(pts, [alt.Tooltip("x:Q", title=x_title), alt.Tooltip("yi:Q", title="SMD", format=".2f"),
                                alt.Tooltip("weight:Q", title="Weight (%)", format=".1f")]),
    )
    chart = layer_charts([band, zero, line, dots], height=340)
    if title:
        chart.title = fit_title(title, scale=scale)
    return stretch_chart(configure_chart(chart, scale), BUBBLE_WIDTH)


def _integer(values: np.ndarray) -> bool:
    v = values[np.isfinite(values)]
    return bool(v.size) and bool(np.all(v == np.round(v)))
