"""Fixtures shared by every test module, and the suite's time by tier at the end of the run.

``app_url``: one running app for all browser test modules (each browser context is its own Streamlit session).

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
