"""Fixtures shared by every test module.

``app_url``: one running app for all browser test modules (each browser context is its own Streamlit session).

``browser``: one Chromium for the whole session. Playwright's sync API runs an event loop in the thread that started
it; a second ``sync_playwright()`` while the first is alive fails ("using Playwright Sync API inside the asyncio
loop"), so browser test modules must not start their own: they all take this fixture.
"""

from __future__ import annotations

import os

import pytest
from live_app import CHROMIUM, CHROMIUM_ARGS, ROOT, streamlit_app


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


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the browser "
                    "tests; `bash run.sh test` does so when run as root, and CI does.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
