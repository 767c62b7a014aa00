"""Start the real app for browser tests and benchmarks: ``streamlit run app.py`` on a free loopback port.

Used by ``tests/test_browser.py`` (session fixture) and ``benchmarks/bench_app.py``, so both start, probe and stop the
server the same way.
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
