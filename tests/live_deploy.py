"""Start the real deployment (``deploy/run.sh``: several Streamlit processes behind nginx) on free loopback ports.

Used by ``tests/test_browser_deploy.py`` and ``benchmarks/bench_load.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

try:
    from live_app import ROOT, free_port
except ModuleNotFoundError:  # imported as tests.live_deploy (python -m benchmarks.bench_load from the repository root)
    from tests.live_app import ROOT, free_port

NGINX = "/usr/sbin/nginx"


@contextmanager
def deployment(workers: int = 2, timeout: float = 120.0, log: Path | None = None,
               prefix: Path | None = None, app: str = "app.py", warm: bool = False) -> Iterator[str]:
    """Run ``bash deploy/run.sh`` with ``workers`` app processes; yield the proxy's base URL; stop it all on exit.

    The script's own process group is signalled on exit (TERM, then KILL after 15 s), so no app process outlives
    the block. ``prefix``: nginx's directory (config, ``access.log``); default a fresh temporary one. ``app``: the
    Streamlit script (``deploy/run.sh --app``), relative to the repository. ``warm``: let the script warm the
    processes before serving (``deploy/warm.py``, ~15 s of CPU each); off for tests, which need no warm memo.
    Raises RuntimeError if the script exits or does not report "serving" within ``timeout`` seconds.
    """
    port = free_port()
    base = free_port()
    while any(p == port for p in range(base, base + workers)):
        base = free_port()
    if log is None:
        import tempfile

        log = Path(tempfile.mkdtemp(prefix="peerstats-deploy-log.")) / "run.log"
    out = open(log, "w")
    proc = subprocess.Popen(["bash", str(ROOT / "deploy" / "run.sh"), "--workers", str(workers), "--port", str(port),
                             "--base-port", str(base), "--app", app, *([] if warm else ["--no-warm"]), *(["--prefix", str(prefix)] if prefix else [])],
                            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while "peerstats: serving" not in Path(log).read_text():
            if proc.poll() is not None:
                raise RuntimeError(f"deploy/run.sh exited with code {proc.returncode}: {Path(log).read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"deploy/run.sh did not serve within {timeout:g} s")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
        out.close()
