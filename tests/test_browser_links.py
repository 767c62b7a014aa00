"""Real browser, issue 21 "Links": ONE visit of a link with GRADE overrides and a flag, under the documented
loopback server (``run.sh app``: 127.0.0.1): the link opens without a "not understood" notice, the Share dialog's link
decodes to the view on screen, its QR code is the QR code of exactly that link, and the dialog warns in words that
phones cannot open a loopback address and says how to serve on the network.

The QR image is compared module by module with segno's matrix of the link shown in the dialog (no QR decoder is
installed here): the PNG the browser received, sampled at each module's centre, must give the same dark/light grid.
"""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

GRADE = "hope.indirectness.1.inpatients%20only"


def wait_idle(pg, timeout: float = 60.0) -> None:
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout * 1000)
    pg.wait_for_timeout(800)
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout * 1000)


def qr_grid(png: bytes, border: int = 4) -> list[list[bool]]:
    """Dark modules of a QR PNG with a ``border``-module quiet zone, sampled at each module's centre."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("L")
    side = img.size[0]
    # the symbol's size in modules: the first dark pixel row/column is the finder pattern's edge at ``border``
    first = next(x for x in range(side) if img.getpixel((x, x)) < 128)  # the top-left finder's corner
    module = first / border
    n = round(side / module) - 2 * border
    return [[img.getpixel((int((border + c + 0.5) * module), int((border + r + 0.5) * module))) < 128
             for c in range(n)] for r in range(n)]


def test_share_dialog_link_qr_and_loopback_warning(browser, app_url):
    import segno

    from dashboard.view import ViewState, decode
    from peerstats.select import Filters

    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(app_url + f"?outcome=hope&nohighrisk=1&grade={GRADE}")
    wait_idle(pg)
    body = pg.inner_text("body")
    assert "not understood" not in body
    pg.get_by_role("button", name="Share this view").click()
    pg.wait_for_selector('[data-testid="stDialog"] [data-testid="stCode"]')
    box = pg.locator('[data-testid="stDialog"]')
    link = box.locator('[data-testid="stCode"]').inner_text().strip()
    warning = box.inner_text()
    src = box.locator("img").first.get_attribute("src")
    png = pg.request.get(src if src.startswith("http") else app_url.rstrip("/") + src).body()
    ctx.close()

    assert urlsplit(link).hostname == "127.0.0.1"
    params = {k: v[-1] for k, v in parse_qs(urlsplit(link).query).items()}
    assert decode(params) == ViewState(outcome="hope", filters=Filters(exclude_high_risk=True)).with_settings(
        grade=GRADE)
    assert "cannot open it" in warning and "PEERSTATS_ADDRESS=0.0.0.0" in warning and "deploy/" in warning
    expected = [[bool(v) for v in row] for row in segno.make(link, error="m", micro=False).matrix]
    assert qr_grid(png) == expected
