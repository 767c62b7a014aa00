"""A table drawn as a chart: the Summary-of-findings table as an image for slides and guideline documents.

Not shown on the page (the page shows the interactive table); exported as PNG or SVG through the same path as every
chart (:mod:`dashboard.downloads`), so the picture is the table's numbers and words, not a screenshot.
"""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd

from .base import FONT_SIZE, configure_chart, font_px, layer_charts, check_scale

__all__ = ["table_image"]

#: Pixels per character of the table's sans-serif font at 14 px (a generous average, so wrapped text fits its column).
_CHAR_PX = 7.8
_LINE_PX = 18.0
_PAD_PX = 14.0


def table_image(frame: pd.DataFrame, title: str, *, widths: dict[str, int] | None = None, note: str = "",
                scale: float = 1.0) -> alt.LayerChart:
    """A table as a Vega-Lite chart: a bold header row, then one band per row, long cells wrapped.

    Parameters
    ----------
    frame : DataFrame
        The table (column names are the headers; every value is drawn with ``str``, missing ones as "–"). Rows are
        drawn in frame order. Keep to characters any font has: the image renderer's fallback fonts draw some symbols
        wrongly (GRADE's ◯ came out as a filled circle), so the Summary page passes certainty in words.
    title : str
        Drawn above the table.
    widths : dict, optional
        Column -> width in characters; text longer than its column wraps onto more lines (words kept whole). Columns
        not named are as wide as their longest value or header, up to 40 characters.
    note : str
        Text under the table (the filters of the view, the caveats), wrapped to the table's width.
    scale : float
        Font scale (0.5 to 3), as for every chart.

    Returns
    -------
    alt.LayerChart
        One view of text marks (header, cells: a wrapped cell is a list of lines) and rules (row separators); width
        and height follow from the text.
    """
    scale = check_scale(scale)
    widths = dict(widths or {})
    columns = [str(c) for c in frame.columns]
    cells = [["–" if _missing(v) else str(v) for v in frame[c]] for c in frame.columns]
    chars = []
    for name, values in zip(columns, cells):
        longest = max([len(name), *(len(v) for v in values)])
        chars.append(int(widths.get(name, min(longest, 40))))
    wrapped = [[textwrap.wrap(v, width=w, break_long_words=True) or [""] for v in values]
               for values, w in zip(cells, chars)]
    header = [textwrap.wrap(name, width=w) or [name] for name, w in zip(columns, chars)]
    lines_per_row = [max(len(col[i]) for col in wrapped) for i in range(len(frame))]
    header_lines = max(len(h) for h in header)
    x = [0.0]
    for w in chars[:-1]:
        x.append(x[-1] + w * _CHAR_PX + _PAD_PX)
    width = x[-1] + chars[-1] * _CHAR_PX

    rows, separators = [], [header_lines * _LINE_PX + 6]
    for j in range(len(columns)):
        rows.append({"x": x[j], "y": 0.0, "text": header[j], "bold": True})
    y = separators[0] + 6
    for i, n_lines in enumerate(lines_per_row):
        for j in range(len(columns)):
            rows.append({"x": x[j], "y": y, "text": wrapped[j][i], "bold": False})
        y += n_lines * _LINE_PX + 8
        separators.append(y - 4)
    # the note (filters, model, caveats) wraps to the table's width: a caveat must be readable on the slide
    note_lines = textwrap.wrap(note, width=max(40, int(width / (_CHAR_PX * 0.9)))) if note else []
    height = y + (_LINE_PX * (len(note_lines) + 0.5) if note else 0)
    data = pd.DataFrame(rows)
    font = font_px(FONT_SIZE, scale)
    x_scale = alt.Scale(domain=[0, width], range=[0, width * scale], nice=False, zero=False)
    y_scale = alt.Scale(domain=[0, height], range=[0, height * scale], nice=False, zero=False)
    text = dict(x=alt.X("x:Q", scale=x_scale, axis=None), y=alt.Y("y:Q", scale=y_scale, axis=None), text="text:N")
    layers = [
        alt.Chart(data[data["bold"]]).mark_text(align="left", baseline="top", fontSize=font, fontWeight="bold",
                                                lineHeight=_LINE_PX * scale, color="#1A1A1A").encode(**text),
        alt.Chart(data[~data["bold"]]).mark_text(align="left", baseline="top", fontSize=font,
                                                 lineHeight=_LINE_PX * scale, color="#1A1A1A").encode(**text),
        alt.Chart(pd.DataFrame({"y": separators[:-1] if len(separators) > 1 else separators, "x": 0.0,
                                "x2": width})).mark_rule(color="#BBBBBB", strokeWidth=1).encode(
            x=alt.X("x:Q", scale=x_scale, axis=None), x2="x2", y=alt.Y("y:Q", scale=y_scale, axis=None)),
    ]
    if note:
        note_text = note_lines if len(note_lines) > 1 else note  # one line stays a plain string
        layers.append(alt.Chart(pd.DataFrame({"x": [0.0], "y": [y + 4], "text": [note_text]})).mark_text(
            align="left", baseline="top", fontSize=font_px(FONT_SIZE - 2, scale), lineHeight=_LINE_PX * scale,
            color="#444444").encode(
            x=alt.X("x:Q", scale=x_scale, axis=None), y=alt.Y("y:Q", scale=y_scale, axis=None), text="text"))
    chart = layer_charts(layers, width=width * scale, height=height * scale, title=alt.TitleParams(title, offset=10))
    return configure_chart(chart, scale)


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False

