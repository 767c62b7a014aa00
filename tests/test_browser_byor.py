"""Real browser, bring your own review: upload a semicolon-separated latin-1 file and an .xlsx on the Data page, use
them, and see the forest plot of those studies (with their accented names) and the headline peerstats computes.
Then a reload of the tab (its URL carries the data's fingerprint) shows the same upload.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from test_browser import MINUS, SHOTS, app_url, no_exception, page, wait_idle  # noqa: F401 - fixtures

from peerstats.importer import import_studies
from peerstats.meta import pool
from peerstats.select import Filters, select

pytestmark = pytest.mark.browser

NAMES = ["Müller 2010", "Ørsted 2012", "Smith 2015", "García 2018", "Lefèvre 2020", "O'Brien 2021"]


def table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    k = len(NAMES)
    return pd.DataFrame({
        "study": NAMES, "n1i": rng.integers(20, 80, k), "m1i": np.round(rng.normal(22, 2, k), 1),
        "sd1i": np.round(rng.uniform(4, 7, k), 1), "n2i": rng.integers(20, 80, k),
        "m2i": np.round(rng.normal(20, 2, k), 1), "sd2i": np.round(rng.uniform(4, 7, k), 1),
    })


def semicolon_latin1() -> bytes:
    return table().to_csv(index=False, sep=";", decimal=",").encode("latin-1")


def xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    df = table()
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append([v.item() if hasattr(v, "item") else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def metric(pg, label: str) -> str:
    box = pg.locator('[data-testid="stMetric"]').filter(has=pg.get_by_text(label, exact=True)).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


@pytest.mark.parametrize("name,make,mime", [
    ("studies_semicolon_latin1.csv", semicolon_latin1, "text/csv"),
    ("studies.xlsx", xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
], ids=["semicolon-latin1", "xlsx"])
def test_upload_and_see_the_forest_plot(page, app_url, name, make, mime):  # noqa: F811 - fixtures
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
    assert "Müller 2010" in drawn and "Ørsted 2012" in drawn and "favours peer support" in drawn
    page.screenshot(path=SHOTS / f"byor_{name.replace('.', '_')}.png")

    page.reload()                                   # the URL's fingerprint brings the upload back
    wait_idle(page)
    no_exception(page)
    assert metric(page, "Pooled SMD") == want
