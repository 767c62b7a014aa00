"""Forest plots: studies with the pooled diamond, and subgroups with their pooled diamonds.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from .base import (
    CI_PX,
    KIND_DOMAIN,
    LABEL_PX,
    PLOT_WIDTH,
    PROV_PX,
    ROW_PX,
    TOOLTIP_COLUMNS,
    WEIGHT_PX,
    Z95,
    PALETTE,
    RECONSTRUCTED_LABEL,
    result_attr,
    text_cells,
    configure_chart,
    diamond_frame,
    FIT,
    FONT_SIZE,
    NARROW,
    favours_cells,
    fitted_chart,
    fit_range,
    fit_font,
    is_finite,
    fmt_number,
    fmt_estimate_ci,
    provenance_kinds,
    layer_charts,
    require_columns,
    check_scale,
    text_layers,
    tooltip_fields,
    padded_domain,
)

__all__ = ['forest', 'subgroup_forest', 'LOG_TICKS']

#: Tick values of a log axis (ratio measures), those inside the plotted domain are drawn.
LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)


def _effect(effect: Any):
    """The chart's effect measure (:class:`dashboard.text.Scale`; the SMD scale when ``None``)."""
    if effect is None:
        from dashboard.text import SMD_SCALE

        return SMD_SCALE
    return effect


def _x_scale(x_domain: list, log: bool, drawn: list | None = None, **extra) -> tuple[list, alt.Scale, dict]:
    """(shown domain, x scale, extra axis arguments) of a forest-type plot whose values were computed on the analysis
    scale with ``x_domain`` (containing 0, the null). ``log``: the values are log ratios shown exponentiated on a
    log axis (null 1), ticks at :data:`LOG_TICKS`. ``drawn``: the scale's domain as the spec gives it (two
    expressions reading the shown domain from the chart's data, :func:`forest`) instead of the numbers; the log
    axis then lists every tick of :data:`LOG_TICKS` and Vega draws those inside the domain, the same ones."""
    if not log:
        return x_domain, alt.Scale(domain=drawn or x_domain, nice=False, zero=False, **extra), {"tickCount": 6}
    shown = [math.exp(x_domain[0]), math.exp(x_domain[1])]
    ticks = list(LOG_TICKS) if drawn else [t for t in LOG_TICKS if shown[0] <= t <= shown[1]]
    return shown, alt.Scale(type="log", domain=drawn or shown, nice=False, **extra), {"values": ticks, "format": "~g"}

#: Width of the whole chart at full size (table text + plot), pixels: below it the chart is laid out smaller.
FOREST_NATURAL_WIDTH = -LABEL_PX + WEIGHT_PX + 24
# Narrow layout (a projector with the sidebar open, a phone): no provenance column (reconstructed rows keep their
# hollow, dashed, vermillion marks and the legend), a narrower trial column whose labels are cut with an ellipsis and
# shown in full in the tooltip.
_NARROW_LABEL_PX = -180.0
_NARROW_WEIGHT_PX = PLOT_WIDTH + 245.0  # the CI text keeps its length while the fonts stop shrinking at 72%
#: Below this ``fit`` (a phone) the weight column is not drawn: fonts stop shrinking at 72% of their size while
#: positions keep shrinking, and the longest CI text ("−0.08 [−0.56, 0.40]", ~100 px at the 10 px font floor) plus a
#: weight ("13.5%", ~28 px) no longer fit in the (_NARROW_WEIGHT_PX - CI_PX) * fit between their columns (233 * fit
#: px: overlapping text at fit 0.45 on a 390 px phone). The squares' sizes and their tooltips still give the weights.
WEIGHT_HIDDEN_BELOW = 0.62
FOREST_NARROW_WIDTH = -_NARROW_LABEL_PX + _NARROW_WEIGHT_PX + 24
SUBGROUP_NATURAL_WIDTH = 290 + PLOT_WIDTH + 245 + 24
#: Below this ``fit`` the subgroup forest's I2 column is not drawn (its tooltip keeps it): at the 12 px font floor
#: the longest CI text (~107 px) and an I2 ("48%", ~22 px) need 133 px of the (245 - 12) * fit between their columns
#: (issue 21: on a phone they overprinted, "0.34]47%").
I2_HIDDEN_BELOW = 0.58
# Titles and subtitles shrink with the chart and are cut with an ellipsis (the page's heading says it in full).
_FIT_TITLE = dict(fontSize=fit_font(17), subtitleFontSize=fit_font(14),
                  limit={"expr": "containerSize()[0] > 0 ? max(160, containerSize()[0] - 12) : 0"})

#: The forest plot's data-driven layout (issue 22): the name of its one-row dataset holding what changes with the
#: rows drawn (the plot's height, the y and x domains, the largest weight, the subtitle), read by the spec's
#: expressions as ``data('forest_layout')[0].<field>``. Every other dataset is named by its layer's position
#: (``forest_<i>``). With them, the Vega-Lite spec of a forest plot without its datasets is the same for any rows
#: of one outcome and analysis (k = 5 or k = 17): Streamlit then swaps the datasets of the chart already drawn
#: instead of embedding a new Vega view (its frontend re-embeds only when the spec, datasets named by position,
#: changes).
LAYOUT = "forest_layout"
#: Vega-Lite's ``height`` of a forest plot at scale 1, a placeholder: the ``height`` param (a Vega signal that
#: overrides the built-in one) sets the drawn height from :data:`LAYOUT`, ``row_px`` per row of the y domain.
NOMINAL_ROWS = 10


def _layout(field: str) -> dict:
    """An expression reading ``field`` of the forest's layout row (:data:`LAYOUT`)."""
    return {"expr": f"data('{LAYOUT}')[0].{field}"}


def _named_datasets(layers: list) -> dict:
    """Name every layer's inline frame after its layer's position (``forest_<i>``; a frame shared by two layers
    once), in place; return ``{name: records}`` for the chart's top-level ``datasets``. Altair would name them by
    a hash of their rows, which changes the spec whenever the rows do."""
    datasets: dict = {}
    names: dict = {}
    for i, layer in enumerate(layers):
        frame = layer.data
        if not isinstance(frame, pd.DataFrame):
            continue
        if id(frame) not in names:
            names[id(frame)] = f"forest_{i}"
            datasets[f"forest_{i}"] = alt.utils.data.to_values(frame)["values"]
        layer.data = alt.NamedData(name=names[id(frame)])
    return datasets


def forest(
    studies: pd.DataFrame,
    pooled: Any,
    outcome_label: str,
    favours: tuple[str, str] = ("control", "peer support"),
    *,
    method_label: str | None = None,
    scale: float = 1.0,
    effect: Any = None,
    sides: tuple[str, str] | None = None,
    row_px: float | None = None,
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
        - ``doubt`` (optional): text; a row with one gets "⚠ doubt" after its provenance and the text in its tooltip.
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
    scale : float
        Font scale, 0.5 to 3 (1.5 in presentation mode): every font, row and table column is ``scale`` times its
        size where the box has room (the ``fit`` signal is ``scale`` in exports; :func:`base.fit_params`).
    effect : dashboard.text.Scale, optional
        The effect measure (default SMD). ``yi``, ``vi``, the CIs and ``pooled`` are on its analysis scale; for a
        ratio measure (``effect.ratio``: log RR, log OR, ...) every value is drawn exponentiated on a log x axis
        with the null line at 1, and the table text, tooltips and titles name the measure.
    sides : (str, str), optional
        The words under the axis left and right of no effect, in full (e.g. "lower with the intervention"), instead
        of "favours <favours[0]>" / "favours <favours[1]>" (for outcomes whose beneficial direction is unknown).
    row_px : float, optional
        Height of one row, pixels (default ``ROW_PX * scale``): a presentation slide sets it so that its pooled row
        is on screen (:func:`dashboard.presentation.slide_layout`).

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

    Everything that depends on the rows is data (issue 22): the datasets are named by layer position, and the
    plot's height, its x and y domains, the size scale's top (the largest weight) and the pooled subtitle come from
    the one-row dataset :data:`LAYOUT` through expressions (``height`` is a param overriding Vega's built-in
    signal; the spec's own ``height`` is a placeholder, :data:`NOMINAL_ROWS` rows). The spec without its datasets
    is therefore the same for any rows of one outcome, measure, analysis and scale that have a pooled result with a
    prediction interval; Streamlit then updates the drawn chart's data instead of embedding a new view. The
    pooled subtitle is drawn as text under the title (its numbers change); without a pool it stays the title's
    subtitle. The chart's description (accessible name) therefore states the title, not the pooled numbers.
    """
    scale = check_scale(scale)
    require_columns(studies, ["label", "yi"], "forest")
    k = len(studies)
    d = pd.DataFrame({"label": studies["label"].astype(str).to_numpy(), "yi": studies["yi"].astype(float).to_numpy()})
    if "ci_low" in studies.columns and "ci_high" in studies.columns:
        d["ci_low"] = studies["ci_low"].astype(float).to_numpy()
        d["ci_high"] = studies["ci_high"].astype(float).to_numpy()
    else:
        require_columns(studies, ["vi"], "forest")
        se = np.sqrt(studies["vi"].astype(float).to_numpy())
        d["ci_low"], d["ci_high"] = d["yi"] - Z95 * se, d["yi"] + Z95 * se
    for col, _ in TOOLTIP_COLUMNS:
        if col in studies.columns and col not in d.columns:
            d[col] = studies[col].to_numpy()
    if "weight" in studies.columns:
        d["weight"] = studies["weight"].astype(float).to_numpy()
    else:
        w = None if pooled is None else getattr(pooled, "weights", None)
        d["weight"] = np.asarray(w, dtype=float) if w is not None and len(w) == k else np.full(k, 100.0 / max(k, 1))
    d["kind"] = provenance_kinds(studies["provenance"] if "provenance" in studies.columns else None, k)
    d["row"] = np.arange(k, dtype=float)
    recon = (d["kind"] == RECONSTRUCTED_LABEL).to_numpy()
    colours = np.where(recon, PALETTE["vermillion"], "#222222").tolist()

    # One study is not a pooled result: no diamond, no prediction interval (the study row says it all).
    k_all = int(result_attr(pooled, "k", k)) if pooled is not None else k  # the analysis' k, not a page's rows
    has_pool = pooled is not None and is_finite(result_attr(pooled, "estimate")) and k_all >= 2
    est, lo, hi = (result_attr(pooled, a) for a in ("estimate", "ci_low", "ci_high")) if has_pool else (math.nan,) * 3
    pi_lo, pi_hi = (result_attr(pooled, "pi_low"), result_attr(pooled, "pi_high")) if has_pool else (math.nan, math.nan)
    has_pi = has_pool and is_finite(pi_lo) and is_finite(pi_hi)
    method = method_label or (f"Pooled ({result_attr(pooled, 'method', 'random effects')})" if has_pool else "")
    pool_row, pi_row = k + 0.6, k + 1.6
    last_row = pi_row if has_pi else (pool_row if has_pool else k - 1)
    y_domain = [-1.3, last_row + 0.8]
    row_height = float(row_px) if row_px else ROW_PX * scale
    height = int(row_height * (y_domain[1] - y_domain[0]))

    eff = _effect(effect)
    log_domain = padded_domain(d["ci_low"], d["ci_high"], [lo, hi], [pi_lo, pi_hi] if has_pi else [])
    if eff.ratio:  # drawn on the natural scale: exp of the log ratios, on a log axis
        for col in ("yi", "ci_low", "ci_high"):
            d[col] = np.exp(d[col].to_numpy(dtype=float))
        est, lo, hi, pi_lo, pi_hi = (math.exp(v) if is_finite(v) else math.nan for v in (est, lo, hi, pi_lo, pi_hi))
    # Domains, height and the legend's place are read from the layout row (LAYOUT), not written into the spec.
    x_domain, x_scale, ticks = _x_scale(log_domain, eff.ratio, [_layout("x0"), _layout("x1")], clamp=True,
                                        range=fit_range())
    y_scale = alt.Scale(domain=[_layout("y0"), _layout("y1")], reverse=True, nice=False, zero=False)
    y = alt.Y("row:Q", scale=y_scale, axis=None)
    x_axis = alt.Axis(title=eff.axis_title, grid=False, labelFlush=False, **ticks)
    short = eff.short

    kind_title = "Effect sizes"
    # Under the favours labels, from the chart's left edge (the trial column), so it never widens the chart.
    legend = alt.Legend(symbolType="square", symbolSize=180, symbolStrokeWidth=2, orient="none",
                        legendX={"expr": f"({NARROW} ? {_NARROW_LABEL_PX:g} : {LABEL_PX:g}) * {FIT}"},
                        legendY={"expr": f"height + {70 * scale:g}"}, labelFontSize=fit_font(FONT_SIZE),
                        titleFontSize=fit_font(FONT_SIZE))
    stroke = alt.Stroke("kind:N", title=kind_title, legend=legend,
                        scale=alt.Scale(domain=KIND_DOMAIN, range=[PALETTE["blue"], PALETTE["vermillion"]]))
    fill = alt.Fill("kind:N", title=kind_title, legend=legend,
                    scale=alt.Scale(domain=KIND_DOMAIN, range=[PALETTE["blue"], "#FFFFFF"]))
    dash = alt.StrokeDash("kind:N", title=kind_title, legend=legend,
                          scale=alt.Scale(domain=KIND_DOMAIN, range=[[1, 0], [4, 2]]))
    tips = tooltip_fields(d, [
        alt.Tooltip("yi:Q", title="SMD (g)" if eff.is_smd else short, format=".2f"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".2f"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".2f"),
        alt.Tooltip("weight:Q", title="Weight (%)", format=".1f"),
    ])
    base = alt.Chart(d)
    zero = alt.Chart(pd.DataFrame({"x": [eff.null]})).mark_rule(color="#444444", strokeWidth=1.2).encode(
        x=alt.X("x:Q", scale=x_scale, axis=x_axis)
    )
    ci = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", scale=x_scale), x2=alt.X2("ci_high"), y=y, stroke=stroke, strokeDash=dash, tooltip=tips,
    )
    squares = base.mark_square(strokeWidth=2, opacity=1).encode(
        x=alt.X("yi:Q", scale=x_scale),
        y=y,
        size=alt.Size("weight:Q", scale=alt.Scale(domain=[0, _layout("wmax")],
                                                  range=[25 * scale ** 2, 420 * scale ** 2]), legend=None),
        stroke=stroke,
        fill=fill,
        tooltip=tips,
    )
    layers: list[alt.Chart] = [zero, ci, squares]
    texts = [
        text_cells([-1.0, -1.0], ["Trial", "Provenance"], 0, bold=True).assign(px=[LABEL_PX, PROV_PX],
                                                                           pxn=[_NARROW_LABEL_PX, math.nan]),
        text_cells([-1.0], [f"{short} [95% CI]"], CI_PX, bold=True),
        text_cells([-1.0], ["Weight"], WEIGHT_PX, align="right", bold=True).assign(pxn=_NARROW_WEIGHT_PX,
                                                                              hide_below=WEIGHT_HIDDEN_BELOW),
        text_cells(d["row"], d["label"], LABEL_PX, colour=colours, limit=int(PROV_PX - LABEL_PX) - 8).assign(
            tip=d["label"].to_numpy(), pxn=_NARROW_LABEL_PX, limitn=int(-_NARROW_LABEL_PX) - 8),
        text_cells(d["row"], _provenance_text(studies, k), PROV_PX, colour=colours).assign(pxn=math.nan),
        text_cells(d["row"], [fmt_estimate_ci(a, b, c) for a, b, c in zip(d["yi"], d["ci_low"], d["ci_high"])], CI_PX,
               colour=colours),
        text_cells(d["row"], [f"{w:.1f}%" if is_finite(w) else "" for w in d["weight"]], WEIGHT_PX, align="right",
               colour=colours).assign(pxn=_NARROW_WEIGHT_PX, hide_below=WEIGHT_HIDDEN_BELOW),
    ]
    if has_pool:
        dia = diamond_frame([(pool_row, est, lo, hi)])
        dia["label"] = method
        dia["estimate"], dia["ci_low"], dia["ci_high"] = est, lo, hi
        dia_tips = [
            alt.Tooltip("label:N", title="Pooled"),
            alt.Tooltip("estimate:Q", title="SMD (g)" if eff.is_smd else short, format=".3f"),
            alt.Tooltip("ci_low:Q", title="95% CI low", format=".3f"),
            alt.Tooltip("ci_high:Q", title="95% CI high", format=".3f"),
        ]
        layers.append(
            alt.Chart(dia).mark_area(color=PALETTE["black"], opacity=0.9, stroke="black", strokeWidth=1).encode(
                x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale, axis=None), y2=alt.Y2("y2"),
                tooltip=dia_tips,  # one diamond: no `detail` facet needed
            )
        )
        layers.append(
            alt.Chart(pd.DataFrame({"x": [est], "y": [-0.6], "y2": [pool_row]}))
            .mark_rule(color=PALETTE["grey"], strokeDash=[3, 3])
            .encode(x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale, axis=None), y2=alt.Y2("y2"))
        )
        i2 = result_attr(pooled, "i2")
        k_text = f"k = {k_all:,}" + (f", I\u00b2 = {i2:.0f}%" if is_finite(i2) else "")
        texts += [
            text_cells([pool_row], [f"{method}  ({k_text})"], LABEL_PX, bold=True, colour="#000000",
                   limit=int(-LABEL_PX) - 8).assign(pxn=_NARROW_LABEL_PX, limitn=int(-_NARROW_LABEL_PX) - 8),
            text_cells([pool_row], [fmt_estimate_ci(est, lo, hi)], CI_PX, bold=True, colour="#000000"),
            text_cells([pool_row], ["100%"], WEIGHT_PX, align="right", bold=True, colour="#000000").assign(
                pxn=_NARROW_WEIGHT_PX, hide_below=WEIGHT_HIDDEN_BELOW),
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
                text_cells([pi_row], ["95% prediction interval"], LABEL_PX, colour="#6B3A5B").assign(pxn=_NARROW_LABEL_PX),
                text_cells([pi_row], [f"[{fmt_number(pi_lo)}, {fmt_number(pi_hi)}]"], CI_PX, colour="#6B3A5B"),
            ]
    texts.append(favours_cells(log_domain, y_domain, height, favours, scale=scale, words=sides))
    layers += text_layers(pd.concat(texts, ignore_index=True), y_scale)
    subtitle = (_pooled_subtitle(pooled, k_all, eff) if has_pool
                else "One trial: nothing to pool" if k == 1 else f"k = {k}, not pooled")
    # The pooled subtitle's numbers change with the rows: drawn as text from the layout row, under the title where
    # Vega would put a subtitle (the trial column's left edge, 4 px above the plot's top, the subtitle's font).
    # Without a pool the spec changes anyway (no diamond): the title keeps its subtitle.
    layout = pd.DataFrame({"height": [height], "y0": [y_domain[0]], "y1": [y_domain[1]],
                           "x0": [x_domain[0]], "x1": [x_domain[1]],
                           "wmax": [max(float(np.nanmax(d["weight"])) if k else 1.0, 1e-9)],
                           "subtitle": [subtitle if has_pool else ""], "px": [LABEL_PX], "pxn": [_NARROW_LABEL_PX]})
    layers.append(
        alt.Chart(alt.NamedData(name=LAYOUT))
        .transform_calculate(xfit=f"({NARROW} ? datum.pxn : datum.px) * {FIT}")
        .mark_text(align="left", baseline="bottom", fontSize=fit_font(FONT_SIZE), color="#444444",
                   limit=_FIT_TITLE["limit"])
        .encode(x=alt.X("xfit:Q", scale=None), y=alt.value(-4), text=alt.Text("subtitle", type="nominal"))
    )
    datasets = {LAYOUT: alt.utils.data.to_values(layout)["values"], **_named_datasets(layers)}
    title = alt.TitleParams(f"{outcome_label}: {eff.name} by trial", **_FIT_TITLE,
                            **({} if has_pool else {"subtitle": subtitle}))
    chart = layer_charts(layers, width=PLOT_WIDTH, height=int(row_height * NOMINAL_ROWS), title=title,
                         datasets=datasets)
    chart = fitted_chart(configure_chart(chart, scale), FOREST_NATURAL_WIDTH, FOREST_NARROW_WIDTH, scale)
    # Vega's built-in height signal, overridden from the layout row: the drawn height follows the rows.
    chart.params = [*chart.params, alt.VariableParameter(name="height", expr=_layout("height")["expr"])]
    return chart


def _provenance_text(studies: pd.DataFrame, k: int) -> list[str]:
    """The provenance cell of each row, with "⚠ doubt" added where the row has a ``doubt`` (see the codebook)."""
    prov = studies["provenance"].astype(str).tolist() if "provenance" in studies.columns else [""] * k
    if "doubt" not in studies.columns:
        return prov
    doubt = studies["doubt"].fillna("").astype(str).str.strip().ne("").tolist()
    return [f"{p} ⚠ doubt" if dbt else p for p, dbt in zip(prov, doubt)]


def _pooled_subtitle(pooled: Any, k: int, eff: Any) -> str:
    parts = [f"Pooled {eff.short} {fmt_estimate_ci(*eff.natural(pooled.estimate, pooled.ci_low, pooled.ci_high))}",
             f"k = {k:,}"]
    if is_finite(result_attr(pooled, "i2")):
        parts.append(f"I\u00b2 = {result_attr(pooled, 'i2'):.0f}%")
    if is_finite(result_attr(pooled, "tau2")):
        parts.append(f"\u03c4\u00b2 = {result_attr(pooled, 'tau2'):.3f}")
    if is_finite(result_attr(pooled, "pi_low")) and is_finite(result_attr(pooled, "pi_high")):
        pi_lo, pi_hi = eff.natural(pooled.pi_low, pooled.pi_high)
        parts.append(f"95% PI [{fmt_number(pi_lo)}, {fmt_number(pi_hi)}]")
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
    scale: float = 1.0,
    effect: Any = None,
    sides: tuple[str, str] | None = None,
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
    scale : float
        Font scale, as in :func:`forest`.
    effect, sides
        The effect measure (ratios drawn exponentiated on a log axis, null line at 1) and the words under the axis,
        as in :func:`forest`.

    Returns
    -------
    alt.LayerChart
        Subgroup label with k | diamonds (a single-study subgroup is drawn as a square with its CI) |
        "SMD [95% CI]" and I2, the overall diamond in black at the bottom.
    """
    scale = check_scale(scale)
    require_columns(table, ["group", "k", "estimate", "ci_low", "ci_high"], "subgroup_forest")
    names = group_labels or {}
    t = table.reset_index(drop=True)
    n = len(t)
    has_overall = overall is not None and is_finite(result_attr(overall, "estimate"))
    overall_row = n + 0.6
    y_domain = [-1.3, (overall_row if has_overall else n - 1) + 0.8]
    height = int(ROW_PX * 1.25 * scale * (y_domain[1] - y_domain[0]))
    finite = t["estimate"].map(is_finite).to_numpy(dtype=bool)
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
    ov = (result_attr(overall, "estimate"), result_attr(overall, "ci_low"), result_attr(overall, "ci_high")) if has_overall else ()
    eff = _effect(effect)
    log_domain = padded_domain(info.loc[finite, "ci_low"], info.loc[finite, "ci_high"], list(ov))
    if eff.ratio:  # drawn on the natural scale: exp of the log ratios, on a log axis
        for col in ("estimate", "ci_low", "ci_high"):
            info[col] = np.exp(info[col].to_numpy(dtype=float))
        ov = tuple(math.exp(v) for v in ov)
    x_domain, x_scale, ticks = _x_scale(log_domain, eff.ratio, clamp=True, range=fit_range())
    y_scale = alt.Scale(domain=y_domain, reverse=True, nice=False, zero=False)
    x_axis = alt.Axis(title=eff.axis_title, grid=False, **ticks)
    short = "SMD (g)" if eff.is_smd else eff.short
    tips = [alt.Tooltip("group:N", title="Subgroup"), alt.Tooltip("k:Q", title="k"),
            alt.Tooltip("estimate:Q", title=short, format=".3f"),
            alt.Tooltip("ci_low:Q", title="95% CI low", format=".3f"),
            alt.Tooltip("ci_high:Q", title="95% CI high", format=".3f")]
    tips += [alt.Tooltip(f"{c}:Q", title=tt, format=f) for c, tt, f in
             (("i2", "I\u00b2 (%)", ".0f"), ("tau2", "\u03c4\u00b2", ".3f"), ("pval", "p", ".3g")) if c in info]

    multi = info[finite & (info["k"].to_numpy() > 1)]
    single = info[finite & (info["k"].to_numpy() <= 1)]
    layers: list[alt.Chart] = [
        alt.Chart(pd.DataFrame({"x": [eff.null]})).mark_rule(color="#444444", strokeWidth=1.2).encode(
            x=alt.X("x:Q", scale=x_scale, axis=x_axis))
    ]
    if len(multi):
        dia = diamond_frame([(r.row, r.estimate, r.ci_low, r.ci_high) for r in multi.itertuples()],
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
            sb.mark_square(color=PALETTE["blue"], size=140 * scale ** 2, opacity=1).encode(
                x=alt.X("estimate:Q", scale=x_scale), y=alt.Y("row:Q", scale=y_scale, axis=None), tooltip=tips),
        ]
    ci_px, i2_px = PLOT_WIDTH + 12.0, PLOT_WIDTH + 245.0
    i2_values = info["i2"] if "i2" in info else pd.Series([math.nan] * n)
    texts = [
        text_cells([-1.0], ["Subgroup"], -290, bold=True),
        text_cells([-1.0], [f"{eff.short} [95% CI]"], ci_px, bold=True),
        text_cells([-1.0], ["I\u00b2"], i2_px, align="right", bold=True).assign(hide_below=I2_HIDDEN_BELOW),
        text_cells(info["row"], [f"{g}  (k = {kk})" for g, kk in zip(info["group"], info["k"])], -290, limit=280),
        text_cells(info["row"], [fmt_estimate_ci(e, lo, hi) if ok else "not estimable"
                             for e, lo, hi, ok in zip(info["estimate"], info["ci_low"], info["ci_high"], finite)],
               ci_px),
        text_cells(info["row"], [f"{v:.0f}%" if is_finite(v) else "-" for v in i2_values], i2_px,
                   align="right").assign(hide_below=I2_HIDDEN_BELOW),
    ]
    if has_overall:
        ov_est, ov_lo, ov_hi = ov
        odia = diamond_frame([(overall_row, ov_est, ov_lo, ov_hi)], half_height=0.38)
        odia["estimate"], odia["ci_low"], odia["ci_high"], odia["group"] = ov_est, ov_lo, ov_hi, "Overall"
        layers.append(alt.Chart(odia).mark_area(color=PALETTE["black"], opacity=0.9, stroke="black",
                                                strokeWidth=1).encode(
            x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale, axis=None), y2=alt.Y2("y2"),
            tooltip=[alt.Tooltip("group:N", title="Subgroup"),
                     alt.Tooltip("estimate:Q", title=short, format=".3f"),
                     alt.Tooltip("ci_low:Q", title="95% CI low", format=".3f"),
                     alt.Tooltip("ci_high:Q", title="95% CI high", format=".3f")]))
        layers.append(alt.Chart(pd.DataFrame({"x": [ov_est], "y": [-0.6], "y2": [overall_row]})).mark_rule(
            color=PALETTE["grey"], strokeDash=[3, 3]).encode(
            x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale, axis=None), y2=alt.Y2("y2")))
        i2o = result_attr(overall, "i2")
        texts += [
            text_cells([overall_row], [f"Overall  (k = {result_attr(overall, 'k', '?')})"], -290, bold=True, colour="#000000"),
            text_cells([overall_row], [fmt_estimate_ci(ov_est, ov_lo, ov_hi)], ci_px, bold=True, colour="#000000"),
            text_cells([overall_row], [f"{i2o:.0f}%" if is_finite(i2o) else "-"], i2_px, align="right", bold=True,
                   colour="#000000").assign(hide_below=I2_HIDDEN_BELOW),
        ]
    texts.append(favours_cells(log_domain, y_domain, height, favours, scale=scale, words=sides))
    layers += text_layers(pd.concat(texts, ignore_index=True), y_scale)
    if isinstance(title, str):
        title = alt.TitleParams(title, **_FIT_TITLE)
    chart = layer_charts(layers, width=PLOT_WIDTH, height=height, title=title)
    return fitted_chart(configure_chart(chart, scale), SUBGROUP_NATURAL_WIDTH, scale=scale)


# --------------------------------------------------------------------------------------------------------------
# funnel plot
# --------------------------------------------------------------------------------------------------------------
