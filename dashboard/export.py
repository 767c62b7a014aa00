"""Exports of what the dashboard shows: charts as PNG/SVG, tables as CSV, the current view as one HTML page.

Everything here is pure (no streamlit at import time) and offline: charts are rendered by vl-convert, which bundles
Vega, Vega-Lite and a renderer, and is told to load nothing from any URL. The Streamlit download buttons live in
:mod:`dashboard.downloads`; :func:`chart_downloads`, :func:`csv_download` and :func:`report_download` are thin
forwards to it so pages can call ``export.chart_downloads(...)``.

Cost (measured by ``benchmarks/bench_app.py``): building the PNG of a 20-row forest plot takes about 0.1-0.5 s, the
SVG somewhat less. Pages therefore never render on the rerun path: the download buttons call these functions only
when clicked, and memoise the result by the chart's JSON spec.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

__all__ = [
    "Section",
    "chart_spec",
    "chart_png",
    "chart_svg",
    "frame_csv",
    "html_report",
    "PROVENANCE_STATEMENT",
    "package_versions",
    "chart_downloads",
    "csv_download",
    "report_download",
]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

PROVENANCE_STATEMENT = (
    "Every effect size behind this view is marked as reported (read from a trial publication, with its source and a "
    "verbatim quote), derived (computed by a named formula from reported statistics) or reconstructed (imputed by "
    "the project's documented procedure because the trial's numbers are not available; not trial data). "
    "Pooled results are random-effects meta-analyses computed by the peerstats package and checked against R metafor. "
    "Source review: Egmose et al. (2023), peer support for adults with mental illness, 49 randomised trials."
)


# --------------------------------------------------------------------------------------------------------------
# charts
# --------------------------------------------------------------------------------------------------------------
def chart_spec(chart: Any) -> str:
    """The Vega-Lite JSON of an Altair chart (or of a spec given as a dict or a JSON string)."""
    if isinstance(chart, str):
        return chart
    if isinstance(chart, Mapping):
        return json.dumps(chart)
    return chart.to_json()


def _vl_version(spec: str) -> str | None:
    """The 'major.minor' Vega-Lite version named by the spec's $schema, if vl-convert bundles it."""
    import vl_convert as vlc

    try:
        schema = json.loads(spec).get("$schema", "")
    except (ValueError, AttributeError):
        return None
    # e.g. https://vega.github.io/schema/vega-lite/v6.4.1.json
    tail = schema.rsplit("/v", 1)[-1].removesuffix(".json")
    major_minor = ".".join(tail.split(".")[:2])
    return major_minor if major_minor in vlc.get_vegalite_versions() else None


def chart_png(chart: Any, scale: float = 2) -> bytes:
    """Render a chart as PNG bytes with vl-convert (no browser, no network).

    Parameters
    ----------
    chart : alt.TopLevelMixin, dict or str
        An Altair chart or its Vega-Lite spec.
    scale : float
        Pixel density: 2 gives a crisp image on slides and high-DPI screens.

    Returns
    -------
    bytes
        A PNG file (starts with the PNG signature ``89 50 4E 47 0D 0A 1A 0A``).
    """
    import vl_convert as vlc

    spec = chart_spec(chart)
    return vlc.vegalite_to_png(spec, vl_version=_vl_version(spec), scale=scale, allowed_base_urls=[])


def chart_svg(chart: Any) -> str:
    """Render a chart as an SVG document (text) with vl-convert, offline. Text stays text (searchable, editable)."""
    import vl_convert as vlc

    spec = chart_spec(chart)
    return vlc.vegalite_to_svg(spec, vl_version=_vl_version(spec), allowed_base_urls=[])


# --------------------------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------------------------
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _defuse(value: Any) -> Any:
    """Prefix text cells that a spreadsheet would run as a formula (CSV injection) with an apostrophe.

    Numbers, including negative ones written as text, are left alone.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


def frame_csv(df: pd.DataFrame, *, index: bool = False, protect_formulas: bool = True) -> bytes:
    """A DataFrame as UTF-8 CSV bytes.

    Parameters
    ----------
    df : DataFrame
        The table exactly as shown.
    index : bool
        Write the index as the first column.
    protect_formulas : bool
        Prefix text cells beginning with ``= + - @`` (that are not numbers) with ``'`` so a spreadsheet does not
        evaluate a hostile uploaded trial name as a formula (OWASP "CSV injection").

    Returns
    -------
    bytes
        UTF-8, comma-separated, header row first, ``\\n`` line ends.
    """
    out = df
    if protect_formulas:
        text_cols = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c])]
        if text_cols:
            out = df.copy()
            for c in text_cols:
                out[c] = out[c].map(_defuse)
    return out.to_csv(index=index, lineterminator="\n").encode("utf-8")


# --------------------------------------------------------------------------------------------------------------
# HTML report
# --------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Section:
    """One block of the HTML report.

    Attributes
    ----------
    heading : str
        Section title.
    text : str or sequence of str
        Paragraphs (plain text; escaped, never interpreted as HTML or Markdown).
    table : DataFrame, optional
        Written as an HTML table (cells escaped; floats with up to 3 decimals).
    chart : Altair chart, optional
        Embedded as an ``<img>`` whose source is a ``data:`` URI (SVG by default, or PNG), so the page is one file.
    chart_format : {"svg", "png"}
    alt_text : str
        Text alternative of the chart image (default: the heading).
    """

    heading: str
    text: str | Sequence[str] = ()
    table: pd.DataFrame | None = None
    chart: Any = None
    chart_format: str = "svg"
    alt_text: str = ""
    extra: dict = field(default_factory=dict, repr=False)


def _section(obj: Section | Mapping[str, Any]) -> Section:
    if isinstance(obj, Section):
        return obj
    if isinstance(obj, Mapping):
        known = {k: v for k, v in obj.items() if k in Section.__dataclass_fields__}
        return Section(**known)
    raise TypeError(f"a report section must be a Section or a mapping, not {type(obj).__name__}")


def _paragraphs(text: str | Iterable[str]) -> str:
    items = [text] if isinstance(text, str) else list(text)
    return "".join(f"<p>{html.escape(str(t))}</p>" for t in items if str(t).strip())


def _fmt_cell(value: Any) -> str:
    """A table cell as text: floats with 2-3 decimals ("0.20", "0.124", "46.60"), whole floats as integers,
    a true minus sign, an en dash for missing values."""
    if value is None or (isinstance(value, float) and value != value):
        return "\u2013"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v.is_integer() and abs(v) < 1e15:
            text = str(int(v))
        elif abs(v) >= 1e6 or abs(v) < 1e-3:
            text = f"{v:.3g}"
        else:
            text = f"{v:.3f}"
            if text.endswith("0"):
                text = text[:-1]
        return text.replace("-", "\u2212", 1) if text.startswith("-") else text
    return str(value)


def _table_html(df: pd.DataFrame) -> str:
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False, name=None):
        cells = "".join(f"<td>{html.escape(_fmt_cell(v))}</td>" for v in rec)
        rows.append(f"<tr>{cells}</tr>")
    return f'<div class="table"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def _chart_html(chart: Any, fmt: str, alt_text: str) -> str:
    if fmt == "png":
        uri = "data:image/png;base64," + base64.b64encode(chart_png(chart, scale=2)).decode("ascii")
    elif fmt == "svg":
        # An SVG in <img> is an image, never a document: no script in it can run, whatever text it carries.
        uri = "data:image/svg+xml;base64," + base64.b64encode(chart_svg(chart).encode("utf-8")).decode("ascii")
    else:
        raise ValueError(f"chart_format must be 'svg' or 'png', not {fmt!r}")
    return f'<figure><img src="{uri}" alt="{html.escape(alt_text, quote=True)}"></figure>'


VERSIONED_PACKAGES = ("numpy", "scipy", "pandas", "streamlit", "altair", "vl-convert-python")


def package_versions() -> dict[str, str]:
    """Python and the installed versions of the packages the numbers and charts depend on ("not installed" if
    absent), in a fixed order: what a report was computed with. peerstats is the version of the code that runs
    (``peerstats.__version__``: an editable install's metadata can lag behind the checkout)."""
    import platform
    from importlib import metadata

    import peerstats

    out = {"python": platform.python_version(), "peerstats": peerstats.__version__}
    for name in VERSIONED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _safe_url(url: str) -> str | None:
    """The URL if it is http(s) (no ``javascript:`` or ``data:`` links), else None."""
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1a1a1a;
max-width:1100px;margin:2rem auto;padding:0 1.2rem;line-height:1.5;font-size:17px}
h1{font-size:1.7rem;margin-bottom:.2rem} h2{font-size:1.3rem;margin-top:2.2rem;border-bottom:1px solid #ddd;
padding-bottom:.2rem} .meta{color:#555;font-size:.95rem}
figure{margin:1rem 0} figure img{max-width:100%;height:auto}
.table{overflow-x:auto} table{border-collapse:collapse;font-size:.92rem;margin:.8rem 0}
th,td{border:1px solid #ccc;padding:.3rem .55rem;text-align:left;vertical-align:top}
th{background:#f2f2f2} tr:nth-child(even) td{background:#fafafa}
.provenance{background:#fff8e6;border-left:4px solid #E69F00;padding:.6rem 1rem;margin-top:2rem}
footer{margin-top:2rem;color:#666;font-size:.9rem}
@media print{body{margin:0;max-width:none} h2{page-break-after:avoid} figure,table{page-break-inside:avoid}}
"""


def html_report(
    title: str,
    sections: Sequence[Section | Mapping[str, Any]],
    *,
    url: str | None = None,
    provenance: str | None = PROVENANCE_STATEMENT,
    generated: _dt.datetime | None = None,
    headline: str | Sequence[str] = (),
    report_id: str | None = None,
    versions: Mapping[str, str] | None = None,
) -> str:
    """A self-contained HTML page of the current view.

    Parameters
    ----------
    title : str
        Page title and top heading.
    sections : sequence of Section or mapping
        The blocks in order; a mapping takes :class:`Section`'s field names as keys.
    url : str, optional
        The link that reproduces the view; shown (and linked when it is http/https).
    provenance : str, optional
        The provenance statement, shown in a highlighted box; default :data:`PROVENANCE_STATEMENT`.
    generated : datetime, optional
        Timestamp shown in the page; default now (UTC).
    headline : str or sequence of str
        Paragraphs shown under the title (the plain-language headline).
    report_id : str, optional
        The fingerprint of the data and the view (:func:`peerstats.scripts.report_id`), shown under the title
        and in the footer: two reports with the same ID show the same numbers.
    versions : mapping, optional
        Package name -> version shown in the footer; default :func:`package_versions`.

    Returns
    -------
    str
        A complete HTML5 document with inline CSS and charts as ``data:`` images: one file that opens offline.
        All text (titles, table cells, trial names) is HTML-escaped; the page contains no script.
    """
    when = (generated or _dt.datetime.now(_dt.timezone.utc)).strftime("%Y-%m-%d %H:%M %Z").strip()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{html.escape(title)}</h1>",
        f'<p class="meta">Generated {html.escape(when)} by the peerstats dashboard.</p>',
    ]
    if url:
        safe = _safe_url(url)
        shown = html.escape(url)
        link = f'<a href="{html.escape(safe, quote=True)}">{shown}</a>' if safe else f"<code>{shown}</code>"
        parts.append(f'<p class="meta">This view: {link}</p>')
    if report_id:
        parts.append(f'<p class="meta">Report ID <code>{html.escape(report_id)}</code></p>')
    parts.append("</header>")
    parts.append(_paragraphs(headline))
    for raw in sections:
        sec = _section(raw)
        parts.append(f"<section><h2>{html.escape(sec.heading)}</h2>")
        parts.append(_paragraphs(sec.text))
        if sec.chart is not None:
            parts.append(_chart_html(sec.chart, sec.chart_format, sec.alt_text or sec.heading))
        if sec.table is not None:
            parts.append(_table_html(sec.table))
        parts.append("</section>")
    if provenance:
        parts.append(f'<div class="provenance"><strong>Provenance.</strong> {html.escape(provenance)}</div>')
    stack = ", ".join(f"{name} {ver}" for name, ver in (versions if versions is not None
                                                         else package_versions()).items())
    rid = f" Report ID {html.escape(report_id)}." if report_id else ""
    parts.append(f"<footer>Generated {html.escape(when)}.{rid} Software: {html.escape(stack)}.</footer>"
                 "</body></html>")
    return "\n".join(p for p in parts if p)


# --------------------------------------------------------------------------------------------------------------
# forwards to the Streamlit helpers (imported lazily: this module must not need streamlit)
# --------------------------------------------------------------------------------------------------------------
def chart_downloads(chart: Any, name: str, key: str) -> None:
    """Streamlit: "PNG" and "SVG" download buttons for ``chart`` (see :func:`dashboard.downloads.download_buttons`)."""
    from dashboard.downloads import download_buttons

    download_buttons(chart, name, key)


def csv_download(frame: pd.DataFrame, name: str, key: str, label: str = "Download CSV") -> None:
    """Streamlit: one CSV download button (see :func:`dashboard.downloads.download_csv`)."""
    from dashboard.downloads import download_csv

    download_csv(frame, name, key, label=label)


def report_download(title: str, sections: Sequence[Section | Mapping[str, Any]], key: str, **kwargs: Any) -> None:
    """Streamlit: a button that builds the HTML report only when clicked (see :mod:`dashboard.downloads`)."""
    from dashboard.downloads import download_report

    download_report(title, sections, key, **kwargs)
