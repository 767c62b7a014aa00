"""Robustness charts: the Baujat plot, the contour-enhanced funnel plot and the specification curve.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
from scipy import special

from .base import (
    FONT_SIZE,
    PALETTE,
    configure_chart,
    fit_legend,
    fit_title,
    font_px,
    provenance_kinds,
    layer_charts,
    require_columns,
    check_scale,
    stretch_chart,
    stretch_param,
    BOX,
    describe,
)

__all__ = ["CHOICE_COLUMNS", "CONTOUR_LEVELS", "SPEC_PICK", "baujat_plot", "contour_funnel", "specification_curve",
           "spec_y_domain", "specification_points", "specification_summary", "specification_data"]

#: Two-sided significance regions of the contour-enhanced funnel (Peters et al. 2008): label -> (p from, p to).
CONTOUR_LEVELS = (("p < 0.01", 0.0, 0.01), ("0.01 ≤ p < 0.05", 0.01, 0.05), ("0.05 ≤ p < 0.10", 0.05, 0.10),
                  ("p ≥ 0.10", 0.10, 1.0))
_CONTOUR_COLOURS = ["#6e6e6e", "#a3a3a3", "#d4d4d4", "#ffffff"]
#: Natural widths (plot, axes, padding) of the Baujat plot and the contour funnel, pixels: their widths in exports.
BAUJAT_WIDTH = 600
CONTOUR_WIDTH = 620


def baujat_plot(frame: pd.DataFrame, *, title: str = "Baujat plot", scale: float = 1.0) -> alt.LayerChart:
    """Each trial's contribution to heterogeneity (x) against its influence on the pooled result (y).

    Parameters
    ----------
    frame : DataFrame
        ``peerstats.baujat`` output with ``label`` added (required columns ``x``, ``y``, ``label``); optional
        ``influential`` (bool, metafor's flag from ``peerstats.influence``) draws those trials as filled orange
        diamonds and labels them; optional ``provenance``.
    scale : float
        Font scale (1.5 in presentation mode).

    Takes its box's width (``fit``; :func:`dashboard.charts.base.stretch_chart`), 600 px in exports.
    """
    scale = check_scale(scale)
    require_columns(frame, ["x", "y", "label"], "baujat_plot")
    d = frame[["x", "y", "label"]].copy()
    d["influential"] = (frame["influential"].astype(bool).to_numpy() if "influential" in frame
                        else np.zeros(len(d), bool))
    d["flag"] = np.where(d["influential"], "influential (metafor's criteria)", "not flagged")
    d["kind"] = provenance_kinds(frame.get("provenance"), len(d))
    base = alt.Chart(d)
    legend = fit_legend()
    points = base.mark_point(size=90 * scale ** 2, filled=True).encode(
        x=alt.X("x:Q", title="Contribution to heterogeneity (Q)"),
        y=alt.Y("y:Q", title="Influence on the pooled result"),
        color=alt.Color("flag:N", title=None, legend=legend,
                        scale=alt.Scale(domain=["influential (metafor's criteria)", "not flagged"],
                                        range=[PALETTE["orange"], PALETTE["blue"]])),
        shape=alt.Shape("flag:N", title=None, legend=legend,
                        scale=alt.Scale(domain=["influential (metafor's criteria)", "not flagged"],
                                        range=["diamond", "circle"])),
        tooltip=[alt.Tooltip("label:N", title="Trial"), alt.Tooltip("x:Q", title="Contribution to Q", format=".2f"),
                 alt.Tooltip("y:Q", title="Influence", format=".2f"), alt.Tooltip("flag:N", title="Flag"),
                 alt.Tooltip("kind:N", title="Row")],
    )
    # A flagged trial's name beside it, on the side facing the plot's middle: text past the plot's right edge would
    # not be given room on a narrow box (autosize fit-x counts axes and legends, not marks).
    right = d["x"].to_numpy(float) > 0.5 * float(np.nanmax(d["x"])) if len(d) and np.isfinite(d["x"]).any() else []
    d["align"] = np.where(right, "right", "left")
    labels = base.transform_filter(alt.datum.influential).mark_text(
        align={"expr": "datum.align"}, dx={"expr": "datum.align == 'left' ? 8 : -8"}, dy=-6,
        fontSize=font_px(FONT_SIZE - 1, scale)).encode(x="x:Q", y="y:Q", text="label:N")
    chart = layer_charts([points, labels], title=fit_title(title, scale=scale), height=340)
    return stretch_chart(configure_chart(chart, scale), BAUJAT_WIDTH)


def contour_funnel(studies: pd.DataFrame, *, estimate: float | None = None, title: str = "Contour-enhanced funnel",
                   n: int = 60, scale: float = 1.0) -> alt.LayerChart:
    """Funnel plot centred on zero with shaded two-sided significance regions (p < .01, .05, .10).

    A study at standard error ``se`` is significant at level ``a`` when ``|yi| > z_{1-a/2} se``; the bands between
    these lines are shaded, so missing studies in the white (non-significant) region hint at publication bias rather
    than other causes of asymmetry (Peters et al. 2008).

    Parameters
    ----------
    studies : DataFrame
        ``yi``, ``vi`` (required), ``label``, ``provenance`` (optional).
    estimate : float, optional
        The pooled estimate, drawn as a vertical line.
    scale : float
        Font scale (1.5 in presentation mode).

    Takes its box's width (``fit``; :func:`dashboard.charts.base.stretch_chart`), 620 px in exports.
    """
    scale = check_scale(scale)
    require_columns(studies, ["yi", "vi"], "contour_funnel")
    d = pd.DataFrame({"yi": studies["yi"].astype(float).to_numpy(),
                      "se": np.sqrt(studies["vi"].astype(float).to_numpy())})
    d["label"] = studies["label"].astype(str).to_numpy() if "label" in studies else [f"#{i + 1}" for i in range(len(d))]
    d["kind"] = provenance_kinds(studies.get("provenance"), len(d))
    se_max = float(d["se"].max()) * 1.05 if len(d) else 1.0
    x_max = max(float(np.abs(d["yi"]).max()) if len(d) else 1.0, special.ndtri(0.995) * se_max) * 1.05
    se = np.linspace(0.0, se_max, n)
    bands = []
    for (label, p_lo, p_hi), colour in zip(CONTOUR_LEVELS, _CONTOUR_COLOURS):
        inner = 0.0 if p_hi >= 1 else special.ndtri(1 - p_hi / 2)
        outer = np.inf if p_lo <= 0 else special.ndtri(1 - p_lo / 2)
        for sign in (-1, 1):
            lo = sign * inner * se
            hi = sign * (np.full_like(se, x_max) if np.isinf(outer) else np.minimum(outer * se, x_max))
            bands.append(pd.DataFrame({"se": se, "x1": np.minimum(lo, hi), "x2": np.maximum(lo, hi),
                                       "region": label, "side": sign}))
    region = pd.concat(bands, ignore_index=True)
    y = alt.Y("se:Q", title="Standard error", scale=alt.Scale(reverse=True, domain=[0, se_max], nice=False))
    area = alt.Chart(region).mark_area(orient="horizontal", opacity=0.9, stroke="#333333", strokeWidth=0.75).encode(
        y=y, x=alt.X("x1:Q", title="Effect size (SMD)", scale=alt.Scale(domain=[-x_max, x_max], nice=False)),
        x2="x2:Q", detail="side:N",
        color=alt.Color("region:N", title="Two-sided p", sort=[c[0] for c in CONTOUR_LEVELS], legend=fit_legend(),
                        scale=alt.Scale(domain=[c[0] for c in CONTOUR_LEVELS], range=_CONTOUR_COLOURS)))
    points = alt.Chart(d).mark_point(size=70 * scale ** 2, filled=True, color="#0072B2", stroke="#000").encode(
        x="yi:Q", y=y, shape=alt.Shape("kind:N", title=None, legend=fit_legend(orient="top")),  # not beside the regions
        tooltip=[alt.Tooltip("label:N", title="Trial"), alt.Tooltip("yi:Q", title="SMD", format=".2f"),
                 alt.Tooltip("se:Q", title="SE", format=".3f"), alt.Tooltip("kind:N", title="Row")])
    layers = [area, points]
    if estimate is not None and np.isfinite(estimate):
        layers.append(alt.Chart(pd.DataFrame({"x": [float(estimate)], "what": ["pooled estimate"]})).mark_rule(
            strokeDash=[6, 3], color="#000").encode(x="x:Q", tooltip=["what:N", alt.Tooltip("x:Q", format=".2f")]))
    return stretch_chart(configure_chart(layer_charts(layers, title=fit_title(title, scale=scale), height=340), scale), CONTOUR_WIDTH)


#: Name of the specification curve's click selection (a point selection on the field ``spec``: the row label of the
#: specification in the frame given to :func:`specification_curve`).
SPEC_PICK = "spec_pick"

#: Choice columns of a multiverse frame drawn in the choice matrix, with their titles.
CHOICE_COLUMNS = (("categories", "Category"), ("quality", "Quality"), ("control", "Control"),
                  ("leadership", "Leadership"), ("rows", "Rows"), ("method", "Estimator"), ("test", "Test"))


#: The specification curve's natural plot width (exports) and the smallest it is drawn at in a narrow box, pixels.
SPEC_PLOT_PX, SPEC_PLOT_MIN_PX = 760, 120
#: Room (pixels) the specification curve leaves left of its plot for the choice matrix's labels, at most: a share
#: :data:`SPEC_LABEL_SHARE` of the box, from 110 to 200 px (labels longer than that are cut with an ellipsis).
SPEC_LABEL_PX, SPEC_LABEL_SHARE = 200, 0.36


def spec_y_domain(estimate, current: float | None = None, pad: float = 0.5) -> list[float]:
    """The specification curve's y range: the estimates (with 0 and the current view's estimate) padded on each side
    by ``pad`` times their spread (at least 0.1), out to the next 0.1.

    Intervals reaching past it are cut at its edge and marked (a specification pooling two trials can have a CI from
    -3.5 to 4.1, which would flatten the curve of 3,000 estimates into a line).
    """
    values = np.concatenate([np.asarray(estimate, dtype=float).ravel(), [0.0],
                             [float(current)] if current is not None and np.isfinite(current) else []])
    values = values[np.isfinite(values)]
    lo, hi = float(values.min()), float(values.max())
    span = max(hi - lo, 0.1)
    return [float(np.floor((lo - pad * span) * 10) / 10), float(np.ceil((hi + pad * span) * 10) / 10)]


def specification_curve(specs: pd.DataFrame, *, current: float | None = None,
                        title: str = "Specification curve") -> alt.VConcatChart:
    """Sorted estimates of every specification with their CIs (top) and the choices behind each (bottom).

    Parameters
    ----------
    specs : DataFrame
        ``peerstats.specifications`` output (columns ``estimate``, ``ci_low``, ``ci_high``, ``k`` and the choice
        columns of :data:`CHOICE_COLUMNS`); rows with a non-finite estimate are left out.
    current : float, optional
        The current view's pooled estimate, marked by a horizontal dashed line.

    Clicking a point selects that specification: the point selection :data:`SPEC_PICK` (defined on the estimates
    layer only, so it lives in one view of the concatenation) on the field ``spec``, the specification's row label
    in ``specs``. The selected point is drawn larger; nothing is selected at first.

    The y axis is :func:`spec_y_domain`; an interval cut at its edge ends in a triangle (the tooltip has its limits).
    The chart takes its box's width: a ``fit`` signal (so the app draws it ``width="stretch"``) and the plot's x range
    ``[0, box - room for the matrix's labels]`` (:data:`SPEC_PLOT_PX` in exports, at least :data:`SPEC_PLOT_MIN_PX`).
    """
    require_columns(specs, ["estimate", "ci_low", "ci_high", "k"], "specification_curve")
    choice_columns = specs.attrs.get("choices") or CHOICE_COLUMNS  # an upload's own columns (peerstats.multiverse)
    d = specification_points(specs)
    # the choice matrix's rows: one text column per dimension ("Estimator: DL"), folded into ticks by Vega (a
    # transform_fold of the points' own data): no second, 7-times-longer dataset to validate and send
    fields = []
    for i, (col, name) in enumerate(choice_columns):
        if col in d:
            fields.append(f"choice_{i}")
            d[fields[-1]] = name + ": " + d[col].astype(str)
    order = list(dict.fromkeys(v for f in fields for v in d[f]))
    y_lo, y_hi = spec_y_domain(d["estimate"], current)
    d["ci_low_shown"] = d["ci_low"].clip(lower=y_lo)
    d["ci_high_shown"] = d["ci_high"].clip(upper=y_hi)
    label_px = (f"clamp({BOX} * {SPEC_LABEL_SHARE:g}, 110, {SPEC_LABEL_PX})")
    plot_px = {"expr": f"{BOX} > 0 ? max({BOX} - {label_px} - 70, {SPEC_PLOT_MIN_PX}) : {SPEC_PLOT_PX}"}
    x_scale = alt.Scale(domain=[0, len(d) + 1], nice=False, range=[0, plot_px])
    x = alt.X("rank:Q", title="Specification (sorted by estimate)", scale=x_scale)
    y_scale = alt.Scale(domain=[y_lo, y_hi], nice=False)
    colour = alt.Color("excludes_zero:N", title=None, legend=fit_legend(),
                       scale=alt.Scale(domain=["CI excludes 0", "CI includes 0"],
                                       range=[PALETTE["blue"], PALETTE["grey"]]))
    tips = [alt.Tooltip("estimate:Q", title="SMD", format=".2f"), alt.Tooltip("ci_low:Q", format=".2f"),
            alt.Tooltip("ci_high:Q", format=".2f"), alt.Tooltip("k:Q", title="k")]
    tips += [alt.Tooltip(f"{c}:N", title=t) for c, t in choice_columns if c in d]
    base = alt.Chart(d)
    ci = base.mark_rule(opacity=0.8).encode(
        x=x, y=alt.Y("ci_low_shown:Q", title="Pooled SMD", scale=y_scale), y2="ci_high_shown:Q", color=colour)
    pick = alt.selection_point(name=SPEC_PICK, fields=["spec"], on="click", empty=False, clear="dblclick")
    pts = base.mark_point(filled=True).encode(
        x=x, y="estimate:Q", color=colour, tooltip=tips,
        size=alt.condition(pick, alt.value(90), alt.value(12)),
        stroke=alt.condition(pick, alt.value("#000"), alt.value(None)),
    ).add_params(pick)
    cut = pd.concat([pd.DataFrame({"rank": d.loc[d["ci_high"] > y_hi, "rank"], "y": y_hi, "end": "triangle-up"}),
                     pd.DataFrame({"rank": d.loc[d["ci_low"] < y_lo, "rank"], "y": y_lo, "end": "triangle-down"})],
                    ignore_index=True)
    across = {"x0": 0.0, "x1": len(d) + 1.0}  # horizontal lines across the plot (x and x2 on its x scale)
    line = dict(x=alt.X("x0:Q", scale=x_scale, title=None), x2="x1:Q", y=alt.Y("y:Q", scale=y_scale))
    layers = [ci, pts, alt.Chart(pd.DataFrame({"y": [0.0], **across})).mark_rule(color="#000").encode(**line)]
    if current is not None and np.isfinite(current):
        layers.append(alt.Chart(pd.DataFrame({"y": [float(current)], "what": ["current view"], **across})).mark_rule(
            strokeDash=[6, 3], color=PALETTE["vermillion"], size=2).encode(**line, tooltip=["what:N"]))
    if len(cut):
        layers.append(alt.Chart(cut).mark_point(filled=True, size=16, color=PALETTE["grey"]).encode(
            x=x, y=alt.Y("y:Q", scale=y_scale), shape=alt.Shape("end:N", scale=None)))
    top = layer_charts(layers, width=SPEC_PLOT_MIN_PX, height=260)
    # one tick per specification and dimension: the points' data folded (a second dataset of 7 rows per
    # specification took Altair ~8 s to validate at 3,280 specifications)
    matrix = base.transform_fold(fields, as_=["dimension", "choice"]) if fields else alt.Chart(alt.Data(values=[]))
    bottom = matrix.mark_tick(thickness=1, size=8, color="#333").encode(
        x=x, y=alt.Y("choice:N", title=None, sort=order,
                     axis=alt.Axis(labelLimit={"expr": f"{BOX} > 0 ? {label_px} : {SPEC_LABEL_PX}"})))
    bottom.width = SPEC_PLOT_MIN_PX
    bottom.height = 12 * max(1, len(order))
    subtitle = None
    if len(cut):
        subtitle = f"{len(cut):,} intervals reach past the axis: cut at its edge (\u25b2\u25bc)"
    # nested once: Streamlit (1.67) writes the box's width into every plain view of a top-level vconcat drawn
    # width="stretch", which put the plot box-wide beside its choice labels (118-122 px of sideways scroll); it leaves
    # a nested concat alone, so the views keep their width and the x range follows the box (``BOX``)
    chart = alt.VConcatChart(vconcat=[alt.VConcatChart(vconcat=[top, bottom])], title=fit_title(title, subtitle))
    # its accessible name carries its numbers: a canvas (Streamlit draws a chart of more than 2,000 points on one,
    # whose marks are not in the DOM) has no other text
    chart.description = f"{describe(chart)} {specification_summary(d, current)}"
    chart = configure_chart(chart)
    # the fit signal beside the click selection Altair lifted to the top level
    params = chart.params if isinstance(chart.params, list) else []
    chart.params = [*params, stretch_param(SPEC_PLOT_PX + SPEC_LABEL_PX + 70)]
    return chart


def specification_points(specs: pd.DataFrame) -> pd.DataFrame:
    """The points of :func:`specification_curve`, left to right: the rows of ``specs`` with a finite estimate, sorted
    by estimate (stable), without ``filters`` and ``note``, plus ``spec`` (the row's label in ``specs``), ``rank``
    (1, 2, ...: the x position) and ``excludes_zero`` (``"CI excludes 0"`` or ``"CI includes 0"``: the colour)."""
    require_columns(specs, ["estimate", "ci_low", "ci_high"], "specification_points")
    d = specs[np.isfinite(specs["estimate"].to_numpy(dtype=float))].sort_values("estimate", kind="stable")
    d = d.drop(columns=[c for c in ("filters", "note") if c in d])
    d.insert(0, "spec", d.index.to_numpy())
    d = d.reset_index(drop=True)
    d["rank"] = np.arange(1, len(d) + 1)
    d["excludes_zero"] = np.where((d["ci_low"] > 0) | (d["ci_high"] < 0), "CI excludes 0", "CI includes 0")
    return d


def _num(x: float) -> str:
    return f"{x:.2f}".replace("-", "\u2212")  # the minus sign a screen reader says as "minus"


def specification_summary(points: pd.DataFrame, current: float | None = None) -> str:
    """The numbers the specification curve shows, in words (its text alternative; the caption under it on the page):
    how many specifications, the range and median of their estimates, how many 95% CIs exclude 0, where the current
    view's estimate (the dashed line) falls, and how many intervals the axis cuts.

    ``points``: :func:`specification_points`. The percentile is the share of specifications with an estimate at or
    below ``current`` (as the Multiverse page's metric).
    """
    n = len(points)
    if n == 0:
        return "No specification has an estimate."
    est = points["estimate"].to_numpy(dtype=float)
    excl = int((points["excludes_zero"] == "CI excludes 0").sum())
    words = (f"{n:,} specification{'s' if n != 1 else ''}, sorted by pooled estimate from left to right: from "
             f"{_num(est.min())} to {_num(est.max())}, median {_num(float(np.median(est)))}. {excl:,} of the 95% CIs "
             f"({100 * excl / n:.0f}%) exclude 0 (blue) and {n - excl:,} include it (grey).")
    if current is not None and np.isfinite(current):
        words += (f" The current view's estimate, {_num(float(current))} (dashed line), is at percentile "
                  f"{100 * float(np.mean(est <= current)):.0f}.")
    y_lo, y_hi = spec_y_domain(est, current)
    cut = int((points["ci_high"] > y_hi).sum() + (points["ci_low"] < y_lo).sum())
    if cut:
        words += f" {cut:,} interval ends reach past the axis, from {_num(y_lo)} to {_num(y_hi)}, and are cut."
    return words


def specification_data(specs: pd.DataFrame) -> pd.DataFrame:
    """The specification curve's data as a table for the page ("Data of this chart"): one row per point, left to
    right, with readable headers: its position, estimate, 95% CI, k, whether the CI excludes 0, and the choices
    behind it (the matrix under the curve)."""
    d = specification_points(specs)
    choice_columns = specs.attrs.get("choices") or CHOICE_COLUMNS
    out = pd.DataFrame({"Point (left to right)": d["rank"], "Estimate": d["estimate"], "95% CI low": d["ci_low"],
                        "95% CI high": d["ci_high"]})
    if "k" in d:
        out["k"] = d["k"]
    out["95% CI"] = d["excludes_zero"].str.replace("CI ", "", regex=False)
    for col, name in choice_columns:
        if col in d:
            out[name] = d[col].astype(str)
    return out
