"""The funnel plot with its pseudo-confidence contour and trim-and-fill's imputed studies.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .base import (
    TOOLTIP_COLUMNS,
    FONT_SIZE,
    PALETTE,
    RECONSTRUCTED_LABEL,
    TRIAL_DATA_LABEL,
    configure_chart,
    is_finite,
    fit_legend,
    fit_title,
    font_px,
    check_scale,
    stretch_chart,
    provenance_kinds,
    layer_charts,
    require_columns,
    tooltip_fields,
    padded_domain,
)

__all__ = ['funnel']

#: Natural width of the funnel plot (plot, axes and padding), pixels: its width in exports.
FUNNEL_WIDTH = 600


def funnel(
    studies: pd.DataFrame,
    estimate: float,
    limits: pd.DataFrame,
    filled: pd.DataFrame | None = None,
    *,
    adjusted_estimate: float | None = None,
    title: str = "Funnel plot",
    scale: float = 1.0,
    effect=None,
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
    scale : float
        Font scale (1.5 in presentation mode).
    effect : dashboard.text.Scale, optional
        The effect measure (default SMD). ``yi``, the limits and the estimates are on its analysis scale; for a ratio
        measure the x values are drawn exponentiated on a log axis with the no-effect line at 1 (the standard error
        stays that of the log ratio).

    Returns
    -------
    alt.LayerChart
        Takes its box's width (``fit`` signal, autosize fit-x; :func:`dashboard.charts.base.stretch_chart`), 600 px in
        exports.
    """
    scale = check_scale(scale)
    require_columns(studies, ["yi", "vi"], "funnel")
    require_columns(limits, ["se", "ci_low", "ci_high"], "funnel limits")
    obs = studies.copy()
    obs["se"] = np.sqrt(obs["vi"].astype(float))
    obs["kind"] = provenance_kinds(obs["provenance"] if "provenance" in obs.columns else None, len(obs))
    if "label" not in obs.columns:
        obs["label"] = [f"study {i + 1}" for i in range(len(obs))]
    imputed_label = "imputed (trim-and-fill)"
    pts = obs[["label", "yi", "se", "kind"] + [c for c, _ in TOOLTIP_COLUMNS if c in obs and c != "label"]]
    if filled is not None and len(filled):
        f = pd.DataFrame({"yi": filled["yi"].astype(float).to_numpy(),
                          "se": np.sqrt(filled["vi"].astype(float).to_numpy())})
        f["label"] = [f"imputed study {i + 1}" for i in range(len(f))]
        f["kind"] = imputed_label
        pts = pd.concat([pts, f], ignore_index=True)
    se_max = float(max(np.nanmax(limits["se"]), np.nanmax(pts["se"]) if len(pts) else 0.0))
    y_scale = alt.Scale(domain=[0, se_max * 1.04], reverse=True, nice=False, zero=True)
    x_domain = padded_domain(pts["yi"], limits["ci_low"], limits["ci_high"], [estimate], pad=0.04)
    if effect is None:
        from dashboard.text import SMD_SCALE as effect
    x_ticks = {"tickCount": 6}
    if effect.ratio:  # log ratios drawn exponentiated on a log axis
        limits = limits.assign(ci_low=np.exp(limits["ci_low"].astype(float)),
                               ci_high=np.exp(limits["ci_high"].astype(float)))
        pts = pts.assign(yi=np.exp(pts["yi"].astype(float)))
        estimate = float(np.exp(estimate))
        adjusted_estimate = None if adjusted_estimate is None else float(np.exp(adjusted_estimate))
        x_domain = [float(np.exp(x_domain[0])), float(np.exp(x_domain[1]))]
        x_scale = alt.Scale(type="log", domain=x_domain, nice=False)
        from .forest import LOG_TICKS
        x_ticks = {"values": [t for t in LOG_TICKS if x_domain[0] <= t <= x_domain[1]], "format": "~g"}
    else:
        x_scale = alt.Scale(domain=x_domain, nice=False, zero=False)
    short = "SMD" if effect.is_smd else effect.short
    lim = pd.concat([
        pd.DataFrame({"x": limits["ci_low"].astype(float), "se": limits["se"].astype(float), "side": "lower"}),
        pd.DataFrame({"x": limits["ci_high"].astype(float), "se": limits["se"].astype(float), "side": "upper"}),
    ], ignore_index=True)
    kinds = [TRIAL_DATA_LABEL, RECONSTRUCTED_LABEL, imputed_label]
    colours = [PALETTE["blue"], PALETTE["vermillion"], PALETTE["grey"]]
    legend = fit_legend()
    shape = alt.Shape("kind:N", title="Study", legend=legend,
                      scale=alt.Scale(domain=kinds, range=["circle", "diamond", "circle"]))
    stroke = alt.Stroke("kind:N", title="Study", legend=legend, scale=alt.Scale(domain=kinds, range=colours))
    fill = alt.Fill("kind:N", title="Study", legend=legend,
                    scale=alt.Scale(domain=kinds, range=[colours[0], "#FFFFFF", "#FFFFFF"]))
    x_axis = alt.Axis(title=effect.axis_title, grid=False, **x_ticks)
    y_axis = alt.Axis(title="Standard error", grid=True, gridColor="#EEEEEE", tickCount=5)
    layers: list[alt.Chart] = [
        alt.Chart(lim).mark_line(color=PALETTE["grey"], strokeDash=[6, 4], strokeWidth=1.5).encode(
            x=alt.X("x:Q", scale=x_scale, axis=x_axis), y=alt.Y("se:Q", scale=y_scale, axis=y_axis),
            detail=alt.Detail("side", type="nominal"), order=alt.Order("se", type="quantitative")),
        alt.Chart(pd.DataFrame({"x": [effect.null]})).mark_rule(color="#767676", strokeWidth=1).encode(
            x=alt.X("x:Q", scale=x_scale)),
        alt.Chart(pd.DataFrame({"x": [float(estimate)], "what": ["pooled estimate"]})).mark_rule(
            color=PALETTE["black"], strokeWidth=1.5).encode(
            x=alt.X("x:Q", scale=x_scale), tooltip=[alt.Tooltip("what:N", title=" "),
                                                   alt.Tooltip("x:Q", title=short, format=".3f")]),
    ]
    if adjusted_estimate is not None and is_finite(adjusted_estimate):
        layers.append(alt.Chart(pd.DataFrame({"x": [float(adjusted_estimate)], "what": ["trim-and-fill estimate"]}))
                      .mark_rule(color=PALETTE["grey"], strokeDash=[4, 3], strokeWidth=1.5)
                      .encode(x=alt.X("x:Q", scale=x_scale),
                              tooltip=[alt.Tooltip("what:N", title=" "),
                                       alt.Tooltip("x:Q", title=short, format=".3f")]))
    tips = tooltip_fields(pts, [alt.Tooltip("yi:Q", title="SMD (g)" if effect.is_smd else short, format=".2f"),
                           alt.Tooltip("se:Q", title="SE", format=".3f"), alt.Tooltip("kind:N", title="Kind")])
    layers.append(alt.Chart(pts).mark_point(size=110, strokeWidth=2, opacity=1).encode(
        x=alt.X("yi:Q", scale=x_scale), y=alt.Y("se:Q", scale=y_scale), shape=shape, stroke=stroke, fill=fill,
        tooltip=tips))
    label = pd.DataFrame({"x": [float(limits["ci_high"].iloc[-1])], "se": [float(limits["se"].iloc[-1])],
                          "text": ["pseudo 95% limits"]})
    # inside the funnel, ending at its right edge: text past the plot's edge would not be given room by fit-x
    layers.append(alt.Chart(label).mark_text(align="right", dx=-6, dy=-8, fontSize=font_px(FONT_SIZE - 1, scale),
                                             color=PALETTE["grey"]).encode(
        x=alt.X("x:Q", scale=x_scale), y=alt.Y("se:Q", scale=y_scale), text=alt.Text("text", type="nominal")))
    chart = layer_charts(layers, height=380, title=fit_title(title, scale=scale))
    return stretch_chart(configure_chart(chart, scale), FUNNEL_WIDTH)


# --------------------------------------------------------------------------------------------------------------
# leave-one-out and cumulative
# --------------------------------------------------------------------------------------------------------------
