"""Risk-of-bias charts: the robvis-style traffic light and the summary bars.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from peerstats.vocabulary import ROB_DOMAINS

from .base import (
    ROB_COLOUR,
    ROB_LEVEL_ORDER,
    ROB_SYMBOL,
    ROB_TEXT,
    FIT,
    FONT_SIZE,
    configure_chart,
    fit_legend,
    fit_px,
    fit_title,
    font_px,
    check_scale,
    BOX_LIVE,
    stretch_chart,
    layer_charts,
    require_columns,
)

__all__ = ['rob_traffic_light', 'rob_summary']

_QUALITY_COLUMN = "Quality (AHRQ)"
#: Natural widths (labels, plot, padding), pixels: the widths in exports.
ROB_TRAFFIC_WIDTH = 620
ROB_SUMMARY_WIDTH = 740


def _rob_long(trials: pd.DataFrame, builder: str) -> pd.DataFrame:
    require_columns(trials, ["label", *ROB_DOMAINS], builder)
    long = trials[["label", *ROB_DOMAINS]].melt(id_vars="label", var_name="column", value_name="level")
    level = long["level"].astype("string").str.strip().str.lower()
    long["level"] = level.where(level.isin(["low", "unclear", "high"]), "not reported").astype(str)
    long["domain"] = long["column"].map(ROB_DOMAINS)
    long["judgement"] = long["level"].map(ROB_TEXT)
    long["symbol"] = long["level"].map(ROB_SYMBOL)
    long["ink"] = _ink(long["level"])
    return long


def _ink(levels: pd.Series) -> list[str]:
    """Text colour readable on each judgement's fill: black on yellow and grey, white on green and vermillion."""
    return ["#000000" if lv in ("unclear", "not reported") else "#FFFFFF" for lv in levels]


def _rob_colour(present: Sequence[str], title: str | None = "Judgement", legend: alt.Legend | None = None) -> alt.Color:
    levels = [v for v in ROB_LEVEL_ORDER if v != "not reported" or v in set(present)]
    return alt.Color("judgement:N", title=title,
                     scale=alt.Scale(domain=[ROB_TEXT[v] for v in levels], range=[ROB_COLOUR[v] for v in levels]),
                     legend=legend or fit_legend(symbolType="circle", symbolSize=220))


def rob_traffic_light(trials: pd.DataFrame, *, title: str = "Risk of bias by trial",
                      scale: float = 1.0) -> alt.LayerChart:
    """robvis-style traffic-light grid: trials (rows) x the seven risk-of-bias domains (columns).

    Parameters
    ----------
    trials : DataFrame
        One row per trial, in display order. Columns: ``label`` and the seven ``rob_*`` columns of
        :data:`ROB_DOMAINS` (values low / unclear / high; anything else is drawn as "not reported"). When a
        ``quality`` column (AHRQ good / fair / poor) is present it is written in a last column, "Quality (AHRQ)".
    title : str
        Chart title.
    scale : float
        Font scale (1.5 in presentation mode).

    Returns
    -------
    alt.LayerChart
        A coloured circle per cell (green low, yellow unclear, vermillion high) carrying "+", "?" or "-",
        so the judgement reads without colour too. One view that takes its box's width (``fit``; 620 px in
        exports): the grid keeps its column spacing (at most 40 px a column), trial labels are cut shorter on a
        narrow box (the tooltip names the trial in full) and the domain names turn upright.
    """
    scale = check_scale(scale)
    long = _rob_long(trials, "rob_traffic_light")
    order_y = list(dict.fromkeys(trials["label"].astype(str)))
    long["label"] = long["label"].astype(str)
    has_quality = "quality" in trials.columns
    if has_quality:
        qual = dict(zip(trials["label"].astype(str), trials["quality"].astype(str)))
        long["quality"] = long["label"].map(qual)
    columns = list(ROB_DOMAINS.values()) + ([_QUALITY_COLUMN] if has_quality else [])
    # The grid's width, at most 40 px a column: what the box leaves once the trial labels (their limit), the padding
    # and what sticks out right of the last column have their room -- the domain names angled at -35 degrees (up to
    # 80 px beyond it) or upright, and the quality words (they start just left of their column, below). Read from the
    # box, not from the view's ``width``: Vega's fit-x sets ``width`` from the bounds of the previous layout, so a
    # grid sized from ``width`` kept the wider box's layout, its last domain names 30 px outside the box, when a
    # 1280 px window became 1024 px (issue 21).
    grid = 40 * scale * len(columns)
    beyond = f"({FIT} < 0.8 ? {(30 if has_quality else 10) * scale:g} : {80 * scale:g})"
    x = alt.X("domain:N", sort=columns, title=None,
              scale=alt.Scale(domain=columns, range=[0, {"expr": f"{BOX_LIVE} > 0 ? clamp({BOX_LIVE} - 20 - "
                                                                 f"max(260 * {FIT}, 100) - {beyond}, "
                                                                 f"{18 * scale * len(columns):g}, {grid:g}) : {grid:g}"}]),
              axis=alt.Axis(orient="top", labelAngle={"expr": f"{FIT} < 0.8 ? -90 : -35"},
                            labelLimit=fit_px(220, 150), ticks=False, domain=False,
                            labelFontSize=font_px(FONT_SIZE, scale)))
    y = alt.Y("label:N", sort=order_y, title=None,
              axis=alt.Axis(labelLimit=fit_px(260, 100), ticks=False, domain=False,
                            labelFontSize=font_px(FONT_SIZE, scale)))
    tips = [alt.Tooltip("label:N", title="Trial"), alt.Tooltip("domain:N", title="Domain"),
            alt.Tooltip("judgement:N", title="Judgement")]
    if has_quality:
        tips.append(alt.Tooltip("quality:N", title="Quality (AHRQ)"))
    base = alt.Chart(long)
    cells = base.mark_circle(size=330 * scale ** 2, opacity=1, stroke="#555", strokeWidth=0.6).encode(
        x=x, y=y, color=_rob_colour(long["level"].unique()), tooltip=tips)
    text = base.mark_text(fontSize=font_px(FONT_SIZE + 2, scale), fontWeight="bold", baseline="middle").encode(
        x=x, y=y, text=alt.Text("symbol", type="nominal"), tooltip=tips,
        color=alt.Color("ink", type="nominal", scale=None))
    layers: list[alt.Chart] = [cells, text]
    if has_quality:
        q = pd.DataFrame({"label": trials["label"].astype(str), "quality": trials["quality"].astype(str),
                          "domain": _QUALITY_COLUMN})
        # left-aligned from just left of the column: centred, "poor" ran into the last domain's circle on a phone
        layers.append(alt.Chart(q).mark_text(fontSize=font_px(FONT_SIZE, scale), color="#333", baseline="middle",
                                             align="left", dx=-6 * scale).encode(
            x=x, y=y, text=alt.Text("quality", type="nominal"),
            tooltip=[alt.Tooltip("label:N", title="Trial"), alt.Tooltip("quality:N", title="Quality (AHRQ)")]))
    height = int(round(24 * scale)) * len(order_y)
    chart = layer_charts(layers, height=height, title=fit_title(title, scale=scale))
    return stretch_chart(configure_chart(chart, scale), ROB_TRAFFIC_WIDTH)


def rob_summary(trials: pd.DataFrame, *, title: str = "Risk of bias: share of trials per judgement",
                scale: float = 1.0) -> alt.LayerChart:
    """robvis-style summary: one horizontal 100% stacked bar per risk-of-bias domain.

    Parameters
    ----------
    trials : DataFrame
        As :func:`rob_traffic_light`: ``label`` and the seven ``rob_*`` columns.
    title : str
        Chart title.
    scale : float
        Font scale (1.5 in presentation mode).

    Returns
    -------
    alt.LayerChart
        Bars coloured by judgement (legend "Low risk (+)", "Unclear (?)", "High risk (-)"), with the percentage
        and the symbol written inside each segment wide enough to hold it (``text``; on a narrow box, where the
        bars are shorter, ``text_narrow``: the percentage from 20%, the symbol alone from 8%). Takes its box's
        width (``fit``; 740 px in exports); domain names are cut shorter on a narrow box (full in the tooltip).
    """
    scale = check_scale(scale)
    long = _rob_long(trials, "rob_summary")
    counts = long.groupby(["domain", "level"], sort=False).size().rename("n").reset_index()
    total = long.groupby("domain").size()
    counts["percent"] = 100.0 * counts["n"] / counts["domain"].map(total)
    counts["judgement"] = counts["level"].map(ROB_TEXT)
    counts["order"] = counts["level"].map({v: i for i, v in enumerate(ROB_LEVEL_ORDER)})
    counts["text"] = [f"{ROB_SYMBOL[lv]} {p:.0f}%" if p >= 9 else (ROB_SYMBOL[lv] if p >= 3.5 else "")
                      for lv, p in zip(counts["level"], counts["percent"])]
    counts["text_narrow"] = [f"{ROB_SYMBOL[lv]} {p:.0f}%" if p >= 20 else (ROB_SYMBOL[lv] if p >= 8 else "")
                             for lv, p in zip(counts["level"], counts["percent"])]
    counts = counts.sort_values(["domain", "order"]).reset_index(drop=True)
    counts["end"] = counts.groupby("domain")["percent"].cumsum()
    counts["start"] = counts["end"] - counts["percent"]
    counts["mid"] = (counts["start"] + counts["end"]) / 2
    counts["ink"] = _ink(counts["level"])
    y = alt.Y("domain:N", sort=list(ROB_DOMAINS.values()), title=None,
              axis=alt.Axis(labelLimit=fit_px(260, 110), ticks=False, domain=False,
                            labelFontSize=font_px(FONT_SIZE, scale)))
    x = alt.X("start:Q", title="Share of trials (%)", scale=alt.Scale(domain=[0, 100]),
              axis=alt.Axis(values=[0, 25, 50, 75, 100], grid=False))
    tips = [alt.Tooltip("domain:N", title="Domain"), alt.Tooltip("judgement:N", title="Judgement"),
            alt.Tooltip("n:Q", title="Trials"), alt.Tooltip("percent:Q", title="%", format=".0f")]
    base = alt.Chart(counts)
    bars = base.mark_bar(stroke="#FFFFFF", strokeWidth=1, height=int(round(24 * scale))).encode(
        x=x, x2=alt.X2("end"), y=y, color=_rob_colour(counts["level"].unique(), legend=fit_legend(
            symbolType="circle", symbolSize=220 * scale ** 2)), tooltip=tips)
    text = base.transform_calculate(shown=f"{FIT} < 0.6 ? datum.text_narrow : datum.text").mark_text(
        fontSize=font_px(FONT_SIZE - 1, scale), fontWeight="bold", baseline="middle").encode(
        x=alt.X("mid:Q"), y=y, text=alt.Text("shown", type="nominal"), tooltip=tips,
        color=alt.Color("ink", type="nominal", scale=None))
    chart = layer_charts([bars, text], height=int(round(34 * scale)) * len(ROB_DOMAINS),
                   title=fit_title(title, f"{len(trials)} trials", scale))
    return stretch_chart(configure_chart(chart, scale), ROB_SUMMARY_WIDTH)
