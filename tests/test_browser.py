"""Real-browser tests: Debian's Chromium, driven by Playwright, against ``streamlit run app.py`` on a free port.

What a user does: open the home page, tick "Exclude poor-quality trials" and see the headline change to the number
peerstats computes for that selection, open every page, download a CSV and a PNG, and reload a copied link to see the
same view. Screenshots go to ``artifacts/screenshots/`` (gitignored; CI keeps them as artifacts).

The tier has a budget (issue 20: under 5 minutes, printed in the run's summary by ``conftest.py``): every page is
loaded once, by the ``site_tour`` fixture, and the smoke, home page, download, stale-style and offline tests assert
on what that visit recorded; a test that needs its own session (a click, an upload, a second browser) loads as few
documents as it can. Geometry that needs no browser text metrics is checked on vl-convert SVG
(``test_chart_geometry.py``).

Chromium is Debian's ``/usr/bin/chromium`` (``apt-get install chromium``; ``bash run.sh test`` installs it when run as
root). When it is missing these tests fail with that message: they are part of the suite, not optional.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from live_app import MINUS, PAGES, SHOTS, expected_headline, metric, no_exception, wait_idle
from upload_files import text_bytes, xlsx_bytes

pytestmark = pytest.mark.browser

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def page(browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1400, "height": 2200}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()


def open_app(pg, url: str) -> None:
    pg.goto(url)
    wait_idle(pg)
    no_exception(pg)


# ------------------------------------------------------------------------- one visit of every page (site_tour)
@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_opens_without_error(site_tour, path):
    shown = site_tour[f"page:{path}"]
    assert PAGES[path] in shown["h1"]
    assert shown["exceptions"] == 0, "the page shows a traceback"
    assert "Traceback" not in shown["main"]


def test_home_page_shows_the_papers_headline(site_tour):
    home = site_tour["home"]
    assert home["headline"] == expected_headline()  # 0.20 in the paper for personal recovery
    drawn = home["drawn"]  # the forest plot's SVG as Vega drew it in the page
    assert "reconstructed (not trial data)" in drawn and "favours peer support" in drawn
    assert "SMD (Hedges' g)" in drawn or "SMD (Hedges&#39; g)" in drawn or "SMD (Hedges&apos; g)" in drawn


def test_download_csv_png_and_html_report(site_tour):
    got = site_tour["downloads"]
    rows = list(csv.reader(io.StringIO(got["csv"].decode("utf-8"))))
    assert rows[0][:3] == ["Outcome", "Domain", "k"]  # the outcome table as shown
    assert any(r[0] == "Personal recovery" for r in rows[1:])
    png = got["png"]
    assert png[:8] == PNG_MAGIC and png[12:16] == b"IHDR"
    width = int.from_bytes(png[16:20], "big")
    assert width > 1000  # rendered at scale 2, not a thumbnail
    page_html = got["html"].decode()
    assert page_html.startswith("<!DOCTYPE html>") and "<script" not in page_html.lower()
    assert "data:image/svg+xml;base64," in page_html  # the forest plot, embedded
    assert "Personal recovery" in page_html and "Provenance" in page_html


def test_stale_elements_dim_in_one_step_after_the_same_delay(site_tour):
    """dashboard.shell.STALE_WITHOUT_FADE: every element container (main page and sidebar) carries the one-step
    transition (Streamlit's own is a 1 s fade after 0.5 s), and the style element itself takes no room."""
    got = site_tour["stale"]
    assert got["n"] > 20
    assert got["styles"] == ["opacity 0s linear 0.5s"], got
    assert got["holders"] == 0, got


def test_the_what_it_means_card_reruns_alone(site_tour):
    """A control rate typed in the card's number box gives the NNT of Furukawa & Leucht (2011) at that rate for the
    home page's pooled SMD, and the rerun is the card's own (a fragment, issue 22): no element outside it, the
    sidebar's, the headline's and the forest plot's included, is marked stale as a full rerun marks them all."""
    import math
    from statistics import NormalDist

    from peerstats.data import load_evidence
    from peerstats.meta import pool
    from peerstats.select import Filters, select

    got = site_tour["card"]
    sel = select(load_evidence(), Filters(), "personal_recovery")
    est = pool(sel.yi, sel.vi, method="DL").estimate  # more recovery is better
    n = NormalDist()
    assert got["nnt"] == str(math.ceil(1 / (n.cdf(est + n.inv_cdf(0.45)) - 0.45))), got
    assert got["slider"] == "0.45"
    assert got["stale_outside"] == 0, got


# ------------------------------------------------------------------------------------------- a view's link
def test_a_view_travels_by_its_link_and_its_page_links(page, browser, app_url):
    """Tick "Exclude poor-quality trials" and the headline changes to the number peerstats computes for that
    selection, and the view goes into the URL; a colleague opening the copied link sees the same view; a reload keeps
    it; and a sidebar page link opened in a new tab (its href, issue 12) shows the same view on that page.

    One session and one colleague for all of it (the Hope outcome, so the link carries a non-default outcome too);
    the home page's outcome with the box ticked is checked through the proxy (test_browser_deploy)."""
    open_app(page, app_url + "?outcome=hope")
    before = metric(page, "Pooled SMD")
    page.get_by_text("Exclude poor-quality trials", exact=True).click()
    page.wait_for_function(
        """(before) => {
            const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
                .find(e => e.innerText.includes('Pooled SMD'));
            return m && m.querySelector('[data-testid="stMetricValue"]').innerText.trim() !== before;
        }""", arg=before, timeout=30_000)
    wait_idle(page)
    no_exception(page)
    shown = metric(page, "Pooled SMD")
    assert shown != before
    assert shown == expected_headline(("good", "fair"), "hope")
    page.wait_for_function("() => location.search.includes('quality=')", timeout=10_000)  # the view is in the URL
    page.screenshot(path=SHOTS / "explore_fair_good_only.png")
    link = page.url
    trials = metric(page, "Trials (k)")
    href = page.locator('[data-testid="stSidebar"] a[href*="sensitivity"]').first.get_attribute("href")
    assert "outcome=hope" in href and "quality=" in href, href

    other = browser.new_context(viewport={"width": 1400, "height": 2200})  # a colleague opening the link
    try:
        pg2 = other.new_page()
        open_app(pg2, link)
        assert metric(pg2, "Pooled SMD") == shown
        assert metric(pg2, "Trials (k)") == trials
        assert pg2.get_by_role("checkbox", name="Exclude poor-quality trials").is_checked()
        pg2.screenshot(path=SHOTS / "copied_link.png")
        open_app(pg2, app_url.rstrip("/") + "/" + href.lstrip("/"))  # the page link, "opened in a new tab"
        assert pg2.locator("h1").first.inner_text() == "Sensitivity: Hope"
        assert pg2.get_by_role("checkbox", name="Exclude poor-quality trials").is_checked()
        assert metric(pg2, "Pooled SMD") == shown
    finally:
        other.close()
    page.reload()
    wait_idle(page)
    assert metric(page, "Pooled SMD") == shown  # and a reload keeps it too


# ------------------------------------------------------------------------------- bring your own review (issue 9)
# Upload a semicolon-separated latin-1 file and an .xlsx on the Data page, use them, and see the forest plot of those
# studies (with their accented names) and the headline peerstats computes; a reload of the tab (its URL carries the
# data's fingerprint) shows the same upload. (Here, not in a module of its own: the browser fixtures are per module.)
BYOR_NAMES = ["Müller 2010", "Ørsted 2012", "Smith 2015", "García 2018", "Lefèvre 2020", "O'Brien 2021"]


def byor_table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    k = len(BYOR_NAMES)
    return pd.DataFrame({
        "study": BYOR_NAMES, "n1i": rng.integers(20, 80, k), "m1i": np.round(rng.normal(22, 2, k), 1),
        "sd1i": np.round(rng.uniform(4, 7, k), 1), "n2i": rng.integers(20, 80, k),
        "m2i": np.round(rng.normal(20, 2, k), 1), "sd2i": np.round(rng.uniform(4, 7, k), 1),
    })


def semicolon_latin1() -> bytes:
    return text_bytes(byor_table(), sep=";", decimal=",", encoding="latin-1")


def xlsx() -> bytes:
    return xlsx_bytes(byor_table())


@pytest.mark.parametrize("name,make,mime", [
    ("studies_semicolon_latin1.csv", semicolon_latin1, "text/csv"),
    ("studies.xlsx", xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
], ids=["semicolon-latin1", "xlsx"])
def test_upload_and_see_the_forest_plot(page, app_url, name, make, mime):
    from peerstats.importer import import_studies
    from peerstats.meta import pool
    from peerstats.select import Filters, select

    raw = make()
    res = import_studies(raw, name)
    sel = select(res.evidence, Filters(), "main_outcome")
    want = f"{pool(sel.yi, sel.vi).estimate:.2f}".replace("-", MINUS)

    page.goto(app_url + "data")
    wait_idle(page)
    page.get_by_role("tab", name="Your own studies").click()
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Your studies file").first
    uploader.locator('input[type="file"]').set_input_files(files=[{"name": name, "mimeType": mime, "buffer": raw}])
    wait_idle(page)
    page.get_by_role("button", name="Use these data").click()
    wait_idle(page)
    page.get_by_text("The whole app now uses").first.wait_for()
    no_exception(page)
    page.wait_for_function("() => location.search.includes('data=')", timeout=30_000)

    page.get_by_role("link", name="Explore").first.click()
    wait_idle(page)
    no_exception(page)
    assert metric(page, "Pooled SMD") == want
    forest = page.locator('[data-testid="stVegaLiteChart"]').first
    forest.locator("svg").first.wait_for()
    drawn = forest.inner_html()
    # the file's own intervention words (issue 21), or "the intervention" when the file names none
    assert "Müller 2010" in drawn and "Ørsted 2012" in drawn
    assert f"favours {res.intervention or 'the intervention'}" in drawn
    page.screenshot(path=SHOTS / f"byor_{name.replace('.', '_')}.png")

    page.reload()                                   # the URL's fingerprint brings the upload back
    wait_idle(page)
    no_exception(page)
    assert metric(page, "Pooled SMD") == want


def test_click_on_the_specification_curve_selects_and_links_that_specification(page, app_url):
    """Hover down the middle of the curve until Vega's tooltip shows a specification, click it: the selectbox, the
    description and the "Open this specification" link switch to that specification (the same one peerstats ranks
    there), and the link carries its view."""
    import re
    from urllib.parse import parse_qs, urlsplit

    from dashboard import view as V
    from dashboard import text
    from peerstats import specifications
    from peerstats.data import load_evidence

    open_app(page, app_url + "multiverse")
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    tip = page.locator("#vg-tooltip-element.visible")
    hit = None
    for x in (0.5, 0.4, 0.6):  # the points run left to right across the upper third (the choice matrix is below)
        for dy in range(0, int(box["height"] * 0.5)):
            page.mouse.move(box["x"] + box["width"] * x, box["y"] + dy)
            if tip.count() and "SMD" in tip.inner_text():
                hit = (box["x"] + box["width"] * x, box["y"] + dy, tip.inner_text())
                break
        if hit:
            break
    assert hit, "no specification point found under the mouse"
    page.mouse.click(hit[0], hit[1])
    wait_idle(page)
    no_exception(page)
    desc = page.locator('[data-testid="stMarkdown"]').filter(has_text="Specification #").first.inner_text()
    rank = int(re.search(r"Specification #(\d+) of", desc).group(1))
    specs = specifications(load_evidence(), "personal_recovery")
    ranked = specs[np.isfinite(specs["estimate"])].sort_values("estimate", kind="stable").reset_index(drop=True)
    chosen = ranked.iloc[rank - 1]
    assert text.fmt(chosen["estimate"]) in hit[2] and f"SMD {text.fmt(chosen['estimate'])}" in desc
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Open one specification").first
    shown = box.evaluate("e => e.textContent + ' ' + [...e.querySelectorAll('input')].map(i => i.value).join(' ')")
    assert f"#{rank}: SMD" in shown, shown  # the selectbox (keyboard users' way) shows the clicked specification
    href = page.get_by_role("link", name="Open this specification").get_attribute("href")
    expected = V.encode(V.ViewState(page="multiverse", filters=chosen["filters"], outcome="personal_recovery",
                                    method=chosen["method"], test=chosen["test"]))
    got = {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}
    assert got == expected
    page.screenshot(path=SHOTS / "multiverse_click.png")
