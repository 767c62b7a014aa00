"""Start the real app for browser tests and benchmarks (``streamlit run app.py`` on a free loopback port), and the
few ways the browser tests read a page (wait for Streamlit to be idle, no traceback, a metric's value, a download).

Used by ``tests/conftest.py`` (session fixture), the ``tests/test_browser*.py`` modules and ``benchmarks/bench_app.py``,
so all start, probe and stop the server, and read pages, the same way.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
#: Headless Debian chromium as root on a machine with no network but loopback (see the env notes).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    """True when Streamlit's health endpoint answers ``ok``."""
    try:
        with urllib.request.urlopen(url + "_stcore/health", timeout=2) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


@contextmanager
def streamlit_app(log: IO | int = subprocess.DEVNULL, timeout: float = 90.0) -> Iterator[str]:
    """Run ``streamlit run app.py`` on a free port and yield its base URL; stop it on exit.

    Raises
    ------
    RuntimeError
        If the server exits, or does not answer its health endpoint within ``timeout`` seconds.
    """
    port = free_port()
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while not healthy(url):
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit run app.py exited with code {proc.returncode} before serving")
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit run app.py did not answer /_stcore/health within {timeout:g} s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# ------------------------------------------------------------------------------------------- reading a live page
#: The app's pages (url path -> text of the page's title, h1) that the site tour opens.
PAGES = {
    "": "peer support compared with control",
    "subgroups": "Subgroups",
    "sensitivity": "Sensitivity",
    "small-study-effects": "Small-study effects",
    "risk-of-bias": "Risk of bias",
    "reproduce": "Reproduc",
    "data": "Data",
    "about": "About",
}
SHOTS = ROOT / "artifacts" / "screenshots"
#: Hosts a request may go to: the app on this machine (the offline test aborts and lists every other one).
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
MINUS = "\u2212"


def wait_idle(pg, timeout: float = 45.0, settle_ms: int = 300) -> None:
    """Wait until the Streamlit script run is over (the app root says notRunning), ``settle_ms``, and again (a rerun
    may start right after the first)."""
    pg.wait_for_selector(IDLE, timeout=timeout * 1000)
    pg.wait_for_timeout(settle_ms)
    pg.wait_for_selector(IDLE, timeout=timeout * 1000)


def no_exception(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0, "the page shows a traceback"
    assert "Traceback" not in pg.locator('[data-testid="stMain"]').inner_text()


def metric(pg, label: str) -> str:
    """The value shown by the ``st.metric`` labelled ``label``."""
    box = pg.locator('[data-testid="stMetric"]').filter(has=pg.get_by_text(label, exact=True)).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def open_card_box(pg):
    """Open Explore's "What it means for patients" card and return its control-rate number box (a locator), used
    by the site tour's card step and by ``benchmarks/bench_browser.py``."""
    pg.get_by_text("What it means for patients", exact=True).first.click()
    box = pg.get_by_role("spinbutton", name="Control response rate, as a number")
    box.wait_for()
    return box


def expected_headline(quality: tuple[str, ...] = (), outcome: str = "personal_recovery") -> str:
    """The pooled SMD peerstats computes for ``outcome`` (default: the home page's) with the paper's DL, as shown."""
    from peerstats.data import load_evidence
    from peerstats.meta import pool
    from peerstats.select import Filters, select

    sel = select(load_evidence(), Filters(quality=quality), outcome)
    return f"{pool(sel.yi, sel.vi, method='DL').estimate:.2f}".replace("-", MINUS)


def download_button(pg, label: str):
    """The first st.download_button whose label is ``label`` (not the chart toolbar's "Download as PNG")."""
    return pg.get_by_role("button", name=label, exact=True).first


def download(pg, button, path: Path) -> bytes:
    with pg.expect_download(timeout=60_000) as info:
        button.click()
    info.value.save_as(path)
    return path.read_bytes()


class Facts:
    """What one browser visit found, step by step: a step that raised keeps its error, and the test that reads that
    step fails with it (the other steps' tests still run on what the visit saw)."""

    def __init__(self):
        self._facts: dict = {}
        self._errors: dict = {}

    def step(self, name: str, fn):
        try:
            self._facts[name] = fn()
        except Exception as exc:  # noqa: BLE001 - recorded, raised in the test that reads this step
            self._errors[name] = f"{type(exc).__name__}: {exc}"
        return self._facts.get(name)

    def once(self, name: str, fn):
        """The step ``name``, run by ``fn`` the first time it is asked for (as :meth:`__getitem__`)."""
        if name not in self._facts and name not in self._errors:
            self.step(name, fn)
        return self[name]

    def __getitem__(self, name: str):
        if name in self._errors:
            import pytest

            pytest.fail(f"{name}: {self._errors[name]}")
        return self._facts[name]
