"""Defuse what users' data could smuggle into the page: links are http(s) only (issue 12).

An uploaded ``source_url`` such as ``javascript:alert(1)`` or ``data:text/html,...`` would otherwise become a
clickable link in the Data page's tables (``st.column_config.LinkColumn``). Pure functions (pandas only).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import pandas as pd

__all__ = ["is_http_url", "http_links"]

LINK_COLUMNS = ("source_url",)


def is_http_url(value: object) -> bool:
    """True for an absolute ``http://`` or ``https://`` URL with a host (case-insensitive scheme), else False."""
    if not isinstance(value, str):
        return False
    v = value.strip()
    if any(ord(c) < 32 for c in v):
        return False
    try:
        parts = urlsplit(v)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def http_links(frame: pd.DataFrame, columns: Iterable[str] = LINK_COLUMNS) -> pd.DataFrame:
    """A copy of ``frame`` in which every value of the link ``columns`` that is not an http(s) URL is empty (None).

    The cell then shows nothing instead of a link (and the shown table's CSV has it empty too); the Data page's
    "all columns" CSV keeps the original text, formula-defused by :func:`dashboard.export.frame_csv`.
    """
    out = frame.copy()
    for c in columns:
        if c in out:
            out[c] = out[c].map(lambda v: v.strip() if is_http_url(v) else None).astype(object)
    return out
