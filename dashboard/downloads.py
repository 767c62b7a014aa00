"""Streamlit download buttons for charts (PNG, SVG), tables (CSV) and the HTML report of the current view.

Nothing is rendered on the rerun path: every button gets a *callable* as its data, which Streamlit calls only when
the button is clicked (in a thread beside the script run). Rendered files are memoised by the chart's Vega-Lite JSON
(an LRU of 64 entries per format), so clicking PNG twice, or on two pages showing the same chart, renders once.
The buttons use ``on_click="ignore"``: a download does not rerun the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import export

__all__ = ["download_buttons", "download_csv", "download_report", "png_bytes", "svg_bytes"]


@lru_cache(maxsize=64)
def _png_from_spec(spec: str, scale: float) -> bytes:
    return export.chart_png(spec, scale=scale)


@lru_cache(maxsize=64)
def _svg_from_spec(spec: str) -> bytes:
    return export.chart_svg(spec).encode("utf-8")


def png_bytes(chart: Any, scale: float = 2) -> bytes:
    """PNG of ``chart``, memoised by its Vega-Lite JSON."""
    return _png_from_spec(export.chart_spec(chart), float(scale))


def svg_bytes(chart: Any) -> bytes:
    """SVG (UTF-8 bytes) of ``chart``, memoised by its Vega-Lite JSON."""
    return _svg_from_spec(export.chart_spec(chart))


def _safe_name(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(name)).strip("._")
    return keep or "chart"


def download_buttons(chart: Any, name: str, key: str, *, scale: float = 2) -> None:
    """Render "PNG" and "SVG" download buttons for an Altair chart, side by side.

    Parameters
    ----------
    chart : Altair chart
        The chart exactly as displayed.
    name : str
        File name stem: ``<name>.png`` and ``<name>.svg`` (characters other than letters, digits, ``-_.`` become
        ``_``).
    key : str
        Widget key stem; the buttons use ``<key>_png`` and ``<key>_svg``.
    scale : float
        PNG pixel density.
    """
    stem = _safe_name(name)
    with st.container(horizontal=True, gap="small"):
        st.download_button("PNG", data=lambda: png_bytes(chart, scale), file_name=f"{stem}.png", mime="image/png",
                           key=f"{key}_png", on_click="ignore", icon=":material/image:",
                           help="Download this chart as a PNG image (for slides)")
        st.download_button("SVG", data=lambda: svg_bytes(chart), file_name=f"{stem}.svg", mime="image/svg+xml",
                           key=f"{key}_svg", on_click="ignore", icon=":material/draw:",
                           help="Download this chart as an SVG vector image (for papers)")


# The app worker's name for the same helper.
chart_downloads = download_buttons


def download_csv(df: pd.DataFrame, name: str, key: str, *, label: str = "Download CSV", index: bool = False) -> None:
    """Render one CSV download button for ``df`` (built by :func:`dashboard.export.frame_csv` only when clicked)."""
    st.download_button(label, data=lambda: export.frame_csv(df, index=index), file_name=f"{_safe_name(name)}.csv",
                       mime="text/csv", key=key, on_click="ignore", icon=":material/download:")


csv_download = download_csv


def download_report(title: str, sections: Sequence[export.Section | Mapping[str, Any]], key: str, *,
                    name: str = "peerstats_report", label: str = "Download HTML report", **kwargs: Any) -> None:
    """Render a button that downloads :func:`dashboard.export.html_report` of the current view.

    The report (with every chart rendered to SVG) is built only when the button is clicked. ``kwargs`` go to
    :func:`~dashboard.export.html_report` (``url``, ``headline``, ``provenance``, ``generated``).
    """
    frozen = list(sections)
    st.download_button(label, data=lambda: export.html_report(title, frozen, **kwargs).encode("utf-8"),
                       file_name=f"{_safe_name(name)}.html", mime="text/html", key=key, on_click="ignore",
                       icon=":material/description:", help="One self-contained HTML page of this view: "
                       "headline, tables, charts, the link to this view and the provenance statement")


def download_scripts(labels: Sequence[str], yi, vi, key: str, *, method: str = "DL", test: str = "z",
                     level: float = 0.95, name: str = "peerstats_analysis", title: str = "", url: str = "") -> None:
    """Render "R script" and "Python script" buttons that reproduce the pooled model outside the app.

    The scripts (:func:`peerstats.scripts.metafor_script` / :func:`~peerstats.scripts.python_script`) hold
    the shown rows' labels, ``yi`` and ``vi`` inline; they are written only when a button is clicked.
    Nothing is drawn when there are no rows.
    """
    from peerstats import scripts

    labels, yi, vi = [str(x) for x in labels], [float(x) for x in yi], [float(x) for x in vi]
    if not labels:
        return
    stem = _safe_name(name)
    opts = dict(method=method, test=test, level=level, title=title, url=url)
    with st.container(horizontal=True, gap="small"):
        st.download_button("R script", data=lambda: scripts.metafor_script(labels, yi, vi, **opts).encode(),
                           file_name=f"{stem}.R", mime="text/plain", key=f"{key}_r", on_click="ignore",
                           icon=":material/code:", help="An R script with these trials' data that refits this model "
                           "with metafor (res <- rma(...)) and draws its forest plot")
        st.download_button("Python script", data=lambda: scripts.python_script(labels, yi, vi, **opts).encode(),
                           file_name=f"{stem}.py", mime="text/x-python", key=f"{key}_py", on_click="ignore",
                           icon=":material/code:", help="A Python script with these trials' data that refits this "
                           "model with peerstats.pool")
