"""Risk-of-bias charts: the robvis-style traffic light and the summary bars.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from peerstats.vocabulary import ROB_DOMAINS

from .base import (
    _ROB_COLOUR,
    _ROB_LEVELS,
    _ROB_SYMBOL,
    _ROB_TEXT,
    FONT_SIZE,
    HConcatChart,
    _configure,
    _layer,
    _require,
)

__all__ = ['rob_traffic_light', 'rob_summary']


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
