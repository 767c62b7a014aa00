"""Fixtures shared by every test module, and the suite's time by tier at the end of the run.

``app_url``: one running app for all browser test modules (each browser context is its own Streamlit session).

``site_tour``: one visit of every page of the app in one browser context, recording what each page shows (title,
tracebacks, the home page's headline, forest plot, downloads and stale-element style, the Data page's table toolbar)
and every request the pages make; the smoke, download and offline tests of ``test_browser.py`` and
``test_browser_offline.py`` assert on it, so each page is loaded once for all of them (issue 20: the browser tier on
a budget).

``browser``: one Chromium for the whole session. Playwright's sync API runs an event loop in the thread that started
it; a second ``sync_playwright()`` while the first is alive fails ("using Playwright Sync API inside the asyncio
loop"), so browser test modules must not start their own: they all take this fixture. It counts the browser contexts
opened and the documents loaded in them (``goto``, ``reload``, a link opened in a new context; not Streamlit's page
switches inside one document), for the tier summary.

Tier summary (:func:`pytest_terminal_summary`): the tests and the seconds (setup + call + teardown, fixtures included)
of each tier -- browser (marker ``browser``), AppTest (marker ``apptest``), data (:data:`DATA_MODULES`), unit/engine
(the rest) -- printed at the end of every run, so the CI log shows where the time goes. The browser tier's budget is
:data:`BROWSER_BUDGET_S`; a run over it says so in the summary (a line, not a failure: times depend on the machine's
load, and timed tests are not tests).
"""

from __future__ import annotations

import os
from collections import defaultdict
from urllib.parse import urlsplit

import live_app as live
import pytest
from live_app import CHROMIUM, CHROMIUM_ARGS, ROOT, streamlit_app

#: Test modules of the data tier: the bundled evidence, its reconstruction, and importing other people's data.
DATA_MODULES = frozenset({"test_data", "test_reconstruct", "test_metapsy", "test_importer", "test_importer_metafor",
                          "test_upload"})
#: The browser tier's written budget (issue 20), seconds of test time.
BROWSER_BUDGET_S = 300.0
TIERS = ("unit/engine", "data", "apptest", "browser")

_seconds: dict[str, float] = defaultdict(float)
_tests: dict[str, set] = defaultdict(set)
_pages = {"contexts": 0, "loads": 0}


def tier(nodeid: str, keywords) -> str:
    """The tier of a test: its marker (browser, apptest), else its module (data), else unit/engine."""
    if "browser" in keywords:
        return "browser"
    if "apptest" in keywords:
        return "apptest"
    module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
    return "data" if module in DATA_MODULES else "unit/engine"


def pytest_runtest_logreport(report):
    name = tier(report.nodeid, report.keywords)
    _seconds[name] += report.duration
    _tests[name].add(report.nodeid)


def pytest_terminal_summary(terminalreporter):
    if not _tests:
        return
    tr = terminalreporter
    tr.write_sep("=", "test time by tier (setup + call + teardown)")
    for name in TIERS:
        if name not in _tests:
            continue
        line = f"{name:<12} {len(_tests[name]):>5} tests {_seconds[name]:>8.1f} s"
        if name == "browser":
            line += (f"   {_pages['loads']} page loads in {_pages['contexts']} browser contexts;"
                     f" budget {BROWSER_BUDGET_S:.0f} s")
            if _seconds[name] > BROWSER_BUDGET_S:
                line += " -- OVER BUDGET"
        tr.write_line(line)
    tr.write_line(f"{'total':<12} {sum(len(t) for t in _tests.values()):>5} tests "
                  f"{sum(_seconds.values()):>8.1f} s")


@pytest.fixture(scope="session")
def app_url():
    """``streamlit run app.py`` on a free port, one for every browser test module; yields its base URL; stops it at
    the end of the session. The server's output goes to ``artifacts/streamlit_browser_test.log``."""
    (ROOT / "artifacts").mkdir(exist_ok=True)
    with open(ROOT / "artifacts" / "streamlit_browser_test.log", "w") as log:
        try:
            with streamlit_app(log=log) as url:
                yield url
        except RuntimeError as exc:  # the server did not start (pytest does not throw test failures in here)
            pytest.fail(str(exc))


class CountingBrowser:
    """A Playwright ``Browser`` that counts the contexts it opens and the documents loaded in their pages."""

    def __init__(self, browser):
        self._browser = browser

    def new_context(self, **kwargs):
        ctx = self._browser.new_context(**kwargs)
        _pages["contexts"] += 1
        ctx.on("page", lambda page: page.on("load", _count_load))
        return ctx

    def __getattr__(self, name):
        return getattr(self._browser, name)


def _count_load(*_) -> None:
    _pages["loads"] += 1


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the browser "
                    "tests; `bash run.sh test` does so when run as root, and CI does.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield CountingBrowser(b)
        b.close()


#: Every element container's transition once dashboard.shell's stale-element style has applied (JavaScript).
STALE_STYLE = """() => {
    const all = Array.from(document.querySelectorAll('[data-testid="stElementContainer"]'));
    const styles = new Set(all.map(e => getComputedStyle(e).transition));
    const holders = all.filter(e => e.querySelector('style') && e.getBoundingClientRect().height > 0);
    return {n: all.length, styles: Array.from(styles), holders: holders.length};
}"""


@pytest.fixture(scope="session")
def site_tour(browser, app_url, tmp_path_factory):
    """Open every page of :data:`live_app.PAGES` once, in one browser context whose every request goes through a
    handler that records its URL and aborts anything not addressed to the loopback app (so the tour never reaches
    the internet even on a machine that could). Returns :class:`live_app.Facts` with the steps:

    ``page:<path>`` (each page: its h1, tracebacks shown; screenshot ``page_<path>.png``), ``home`` (headline metric
    and the forest plot's drawn SVG; ``explore.png``), ``stale`` (:data:`STALE_STYLE`), ``downloads`` (the home
    page's CSV, PNG and HTML report), ``card`` (a control rate typed in the "what it means" card: its NNT, and how
    many elements outside the card a rerun marked stale), ``toolbar`` (the Data page's table toolbar buttons,
    hovered), ``icons`` (the favicon links) and ``requests`` (every URL asked for, and those not addressed to
    loopback).
    """
    live.SHOTS.mkdir(parents=True, exist_ok=True)
    facts = live.Facts()
    seen: list[str] = []
    outside: list[str] = []

    def handle(route):
        url = route.request.url
        seen.append(url)
        if url.startswith(("data:", "blob:")) or (urlsplit(url).hostname or "") in live.LOOPBACK:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    def open_page(pg, path: str) -> dict:
        pg.goto(app_url + path)
        live.wait_idle(pg, timeout=60.0, settle_ms=800)
        pg.wait_for_timeout(700)  # lazy chunks, fonts and the favicon load after the script run
        h1 = pg.locator("h1").filter(has_text=live.PAGES[path]).first
        h1.wait_for()
        shown = {"h1": h1.inner_text(), "exceptions": pg.locator('[data-testid="stException"]').count(),
                 "main": pg.locator('[data-testid="stMain"]').inner_text()}
        pg.screenshot(path=live.SHOTS / f"page_{path or 'explore'}.png")
        return shown

    def home(pg) -> dict:
        pg.get_by_text("peer support compared with control").first.wait_for()
        forest = pg.locator('[data-testid="stVegaLiteChart"]').first  # the forest plot, drawn by Vega in the page
        forest.locator("svg").first.wait_for()
        pg.screenshot(path=live.SHOTS / "explore.png")
        return {"headline": live.metric(pg, "Pooled SMD"), "drawn": forest.inner_html()}

    def stale(pg) -> dict:
        # Streamlit loads an element's code on first use: the style applies once the html element has loaded
        pg.wait_for_function("""() => Array.from(document.querySelectorAll('[data-testid="stElementContainer"]'))
            .some(e => getComputedStyle(e).transition.startsWith('opacity 0s'))""", timeout=30_000)
        return pg.evaluate(STALE_STYLE)

    def downloads(pg) -> dict:
        tmp = tmp_path_factory.mktemp("downloads")
        return {"csv": live.download(pg, live.download_button(pg, "Download CSV"), tmp / "outcomes.csv"),
                "png": live.download(pg, live.download_button(pg, "PNG"), tmp / "forest.png"),
                "html": live.download(pg, live.download_button(pg, "Download HTML report"), tmp / "report.html")}

    def card(pg) -> dict:
        # the "what it means" card is a fragment (dashboard.decision._card): a number typed in its box reruns the card
        # only; a full rerun would mark every element stale (data-stale="true"), the sidebar's included
        box = live.open_card_box(pg)
        pg.evaluate("""() => { window.__staleOutside = 0; new MutationObserver(rs => { for (const r of rs)
            if (r.target.getAttribute('data-stale') === 'true' && !r.target.closest('[data-testid="stExpander"]'))
                window.__staleOutside++; }).observe(document, {subtree: true, attributes: true,
                                                               attributeFilter: ['data-stale']}); }""")
        box.fill("0.45")
        box.press("Enter")
        pg.wait_for_function("""() => Array.from(document.querySelectorAll('[data-testid="stMetric"]')).some(m =>
            m.textContent.includes('Number needed to treat') && !m.closest('[data-stale="true"]'))""")
        pg.wait_for_timeout(300)
        live.wait_idle(pg, timeout=30.0, settle_ms=300)
        return {"nnt": live.metric(pg, "Number needed to treat"), "slider": box.input_value(),
                "stale_outside": pg.evaluate("window.__staleOutside")}

    def toolbar(pg) -> list[str]:
        frame = pg.locator('[data-testid="stDataFrame"]').first
        frame.scroll_into_view_if_needed()
        frame.hover()
        pg.wait_for_timeout(500)
        bar = pg.locator('[data-testid="stElementToolbar"]').first
        bar.wait_for(state="attached")
        return bar.locator("button").evaluate_all(
            "bs => bs.map(b => (b.getAttribute('aria-label') || b.title || b.innerText || '').trim())")

    ctx = browser.new_context(viewport={"width": 1400, "height": 2200}, accept_downloads=True)
    ctx.route("**/*", handle)
    try:
        pg = ctx.new_page()
        pg.set_default_timeout(30_000)
        for path in live.PAGES:
            facts.step(f"page:{path}", lambda: open_page(pg, path))  # noqa: B023 - called at once, in this loop
            if path == "":
                facts.step("home", lambda: home(pg))
                facts.step("stale", lambda: stale(pg))
                facts.step("downloads", lambda: downloads(pg))
                facts.step("card", lambda: card(pg))
            elif path == "data":
                facts.step("toolbar", lambda: toolbar(pg))
        facts.step("icons", lambda: pg.evaluate(
            "Array.from(document.querySelectorAll('link[rel~=icon]')).map(l => l.href)"))
    finally:
        ctx.close()
    facts.step("requests", lambda: {"seen": list(seen), "outside": list(outside)})
    return facts
