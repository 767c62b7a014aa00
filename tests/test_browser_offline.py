"""Real browser, issue 12 "offline and safe by default": no request leaves 127.0.0.1, Streamlit's table toolbar has no
raw CSV download, and the favicon is the bundled one.

Both read the ``site_tour`` fixture (``conftest.py``): one visit of every page, in a context whose every request is
routed through a handler that records its URL and aborts anything not addressed to the loopback app, so the tour
itself never reaches the internet even on a machine that could.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from live_app import LOOPBACK

pytestmark = pytest.mark.browser


def test_no_request_leaves_loopback(site_tour):
    requests = site_tour["requests"]
    assert len(requests["seen"]) > 20  # the handler really saw the pages' traffic
    assert requests["outside"] == [], f"requests left the machine: {sorted(set(requests['outside']))}"
    icon = site_tour["icons"]
    assert icon and all(urlsplit(h).hostname in LOOPBACK or h.startswith("data:") for h in icon), icon


def test_table_toolbar_has_no_raw_csv_download(site_tour):
    """Streamlit's own "Download as CSV" writes formula cells raw: the toolbar must not offer it (our button
    defuses them). The tour hovers the Data page's table and lists its toolbar's buttons."""
    labels = site_tour["toolbar"]
    assert labels, "the table toolbar did not appear on hover"
    assert any("search" in lab.lower() or "fullscreen" in lab.lower() for lab in labels), labels
    assert not any("download" in lab.lower() or "csv" in lab.lower() for lab in labels), labels
