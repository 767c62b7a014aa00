"""A Cochrane review's RevMan data file in a real browser (issue 19): Debian's Chromium, driven by Playwright, against
``streamlit run app.py`` (the session's ``app_url``, as every browser module).

One visit: upload the committed fixture (tests/fixtures/revman/CD013715_pub2.csv, MIT) on the Data page, use it, pick
a binary analysis (1.22 Total adverse events, a risk ratio in 3 subgroups) in the sidebar, see the headline's risk
ratio equal exp of the pooled log RR computed here with peerstats from the file read with pandas, the forest plot on a
log axis with its null line at 1, the subgroups on the Subgroups page, then switch to a continuous analysis (1.6 Mean
CHAQ, a mean difference) and see its pooled MD.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from live_app import SHOTS, metric, no_exception, wait_idle

from dashboard import text
from peerstats import effect_sizes, pool

pytestmark = pytest.mark.browser

FILE = Path(__file__).resolve().parent / "fixtures" / "revman" / "CD013715_pub2.csv"
BINARY, CONTINUOUS = "1.22 Total adverse events", "1.6 Mean CHAQ at up to 16 weeks"


def rows(group: int, number: int) -> pd.DataFrame:
    d = pd.read_csv(FILE)
    return d[(d["Analysis group"] == group) & (d["Analysis number"] == number) & d["Study"].notna()]


def pick_outcome(pg, label: str) -> None:
    combo = pg.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Outcome")
    combo.click()
    combo.fill(label)  # the list is long: type to filter it, as a user would
    pg.get_by_role("option", name=f"{label} · clinical", exact=True).click()
    wait_idle(pg)
    no_exception(pg)


def forest_svg(pg) -> str:
    chart = pg.locator('[data-testid="stVegaLiteChart"]').first
    chart.locator("svg").first.wait_for()
    return chart.inner_html()


def test_a_revman_file_binary_and_continuous_analyses_subgroups_and_log_axis(browser, app_url):
    r = rows(1, 22)
    es = effect_sizes("RR", ai=r["Experimental cases"], n1i=r["Experimental N"], ci=r["Control cases"],
                      n2i=r["Control N"], convention="revman")
    rr = pool(es.yi, es.vi, method="DL")  # the app's default estimator
    c = rows(1, 6)
    md = pool(*effect_sizes("MD", m1i=c["Experimental mean"], sd1i=c["Experimental SD"], n1i=c["Experimental N"],
                            m2i=c["Control mean"], sd2i=c["Control SD"], n2i=c["Control N"], convention="revman"),
              method="DL")

    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1400, "height": 2200})
    pg = ctx.new_page()
    pg.set_default_timeout(45_000)
    try:
        pg.goto(app_url + "data")
        wait_idle(pg)
        pg.get_by_role("tab", name="Your own studies").click()
        up = pg.locator('[data-testid="stFileUploader"]').filter(has_text="Your studies file").first
        up.locator('input[type="file"]').set_input_files(
            files=[{"name": FILE.name, "mimeType": "text/csv", "buffer": FILE.read_bytes()}])
        wait_idle(pg)
        pg.get_by_text("RevMan data file").first.wait_for()  # recognised: no mapping form
        pg.get_by_role("button", name="Use these data").click()
        wait_idle(pg)
        pg.get_by_text("The whole app now uses").first.wait_for()
        no_exception(pg)

        pg.get_by_role("link", name="Explore").first.click()
        wait_idle(pg)
        pick_outcome(pg, BINARY)
        assert metric(pg, "Pooled RR") == text.fmt(math.exp(rr.estimate))
        assert metric(pg, "95% CI") == text.fmt_ci(math.exp(rr.ci_low), math.exp(rr.ci_high))
        drawn = forest_svg(pg)
        assert "Risk ratio (log scale)" in drawn
        # a log axis: with the x of the tick labels 1 and 2, each study's square sits at x(1) + (x(2) - x(1)) log2(RR)
        drawn_x = pg.evaluate(r"""() => {
            const svg = document.querySelector('[data-testid="stVegaLiteChart"] svg');
            const x = el => parseFloat((el.getAttribute('transform') || '').match(/translate\(([-\d.e]+)/)[1]);
            const ticks = {};
            svg.querySelectorAll('g.role-axis-label text').forEach(t => { ticks[t.textContent] = x(t); });
            const points = Array.from(svg.querySelectorAll('g.mark-symbol.role-mark path')).map(x);
            const rules = Array.from(svg.querySelectorAll('g.mark-rule.role-mark')).map(g => g.children.length === 1
                ? x(g.children[0]) : null).filter(v => v !== null);
            return {ticks, points, rules};
        }""")
        x1, x2 = drawn_x["ticks"]["1"], drawn_x["ticks"]["2"]
        want = sorted(x1 + (x2 - x1) * np.log2(np.exp(es.yi)))
        assert sorted(drawn_x["points"]) == pytest.approx(want, abs=1.5)
        assert any(abs(v - x1) < 1.0 for v in drawn_x["rules"])  # the no-effect line at RR 1
        pg.screenshot(path=SHOTS / "revman_binary_forest.png")

        pg.get_by_role("link", name="Subgroups").first.click()
        wait_idle(pg)
        no_exception(pg)
        main = pg.locator('[data-testid="stMain"]')
        main.get_by_text("Etanercept vs Placebo").first.wait_for()
        shown = main.inner_text() + " ".join(pg.locator('[data-testid="stVegaLiteChart"]').all_inner_texts())
        page_html = pg.content()
        for sub in r["Subgroup"].unique():
            assert sub in shown or sub in page_html, sub

        pg.get_by_role("link", name="Explore").first.click()
        wait_idle(pg)
        pick_outcome(pg, CONTINUOUS)
        assert metric(pg, "Pooled MD") == text.fmt(md.estimate)
        assert "log scale" not in forest_svg(pg)
        pg.screenshot(path=SHOTS / "revman_continuous_forest.png")
    finally:
        ctx.close()
