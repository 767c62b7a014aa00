"""Real browser, issue 12 "offline and safe by default": no request leaves 127.0.0.1, Streamlit's table toolbar has no
raw CSV download, and the favicon is the bundled one.

Every request the pages make is routed through a handler that records its URL and aborts anything not addressed to
the loopback app, so the test itself never reaches the internet even on a machine that could.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

PAGES = ["", "subgroups", "sensitivity", "small-study-effects", "risk-of-bias", "reproduce", "data", "about"]
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


def wait_idle(pg, timeout: float = 60.0) -> None:
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout * 1000)
    pg.wait_for_timeout(800)
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout * 1000)


def test_no_request_leaves_loopback(browser, app_url):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    seen: list[str] = []
    outside: list[str] = []

    def handle(route):
        url = route.request.url
        seen.append(url)
        host = urlsplit(url).hostname or ""
        if url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    ctx.route("**/*", handle)
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    for path in PAGES:
        pg.goto(app_url + path)
        wait_idle(pg)
        pg.wait_for_timeout(700)  # lazy chunks, fonts and the favicon load after the script run
    icon = pg.evaluate("Array.from(document.querySelectorAll('link[rel~=icon]')).map(l => l.href)")
    ctx.close()
    assert len(seen) > 20  # the handler really saw the page's traffic
    assert outside == [], f"requests left the machine: {sorted(set(outside))}"
    assert icon and all(urlsplit(h).hostname in LOOPBACK or h.startswith("data:") for h in icon), icon


def test_table_toolbar_has_no_raw_csv_download(browser, app_url):
    """Streamlit's own "Download as CSV" writes formula cells raw: the toolbar must not offer it (our button
    defuses them). Hover the Data page's table and list its toolbar's buttons."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(app_url + "data")
    wait_idle(pg)
    frame = pg.locator('[data-testid="stDataFrame"]').first
    frame.scroll_into_view_if_needed()
    frame.hover()
    pg.wait_for_timeout(500)
    toolbar = pg.locator('[data-testid="stElementToolbar"]').first
    toolbar.wait_for(state="attached")
    labels = toolbar.locator("button").evaluate_all(
        "bs => bs.map(b => (b.getAttribute('aria-label') || b.title || b.innerText || '').trim())")
    ctx.close()
    assert labels, "the table toolbar did not appear on hover"
    assert any("search" in lab.lower() or "fullscreen" in lab.lower() for lab in labels), labels
    assert not any("download" in lab.lower() or "csv" in lab.lower() for lab in labels), labels
