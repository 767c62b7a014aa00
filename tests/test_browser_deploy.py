"""Real browser through the real deployment (``deploy/run.sh``: Streamlit processes behind nginx, issue 12).

The proxy must send the security headers on every response, keep each browser on one app process (Streamlit holds
the session in that process: websocket, uploads, downloads), and the app must work through it under its CSP.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict

import pytest
from live_deploy import NGINX, deployment

pytestmark = pytest.mark.browser

MINUS = "\u2212"


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    if not os.path.exists(NGINX):
        pytest.fail(f"{NGINX} is missing: apt-get install nginx (the deployment test needs Debian's nginx)")
    prefix = tmp_path_factory.mktemp("nginx")
    try:
        with deployment(workers=2, prefix=prefix, log=prefix / "run.log") as url:
            yield url, prefix
    except RuntimeError as exc:
        pytest.fail(str(exc))


def wait_idle(pg, timeout: float = 60.0) -> None:
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout * 1000)
    pg.wait_for_timeout(500)
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout * 1000)


def metric(pg, label: str) -> str:
    box = pg.locator('[data-testid="stMetric"]').filter(has=pg.get_by_text(label, exact=True)).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def expected_smd(quality: tuple[str, ...] = ()) -> str:
    from peerstats.data import load_evidence
    from peerstats.meta import pool
    from peerstats.select import Filters, select

    sel = select(load_evidence(), Filters(quality=quality), "personal_recovery")
    return f"{pool(sel.yi, sel.vi, method='DL').estimate:.2f}".replace("-", MINUS)


def check_headers(headers: dict) -> None:
    csp = headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, csp
    assert "unsafe-eval" not in csp
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("referrer-policy") == "no-referrer"


def test_app_works_through_the_proxy_with_security_headers(browser, deployed):
    url, _ = deployed
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    problems, responses = [], []
    pg.on("console", lambda m: m.type == "error" and "Content Security Policy" in m.text and problems.append(m.text))
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.on("response", lambda r: responses.append(r))
    first = pg.goto(url)
    check_headers(first.headers)
    wait_idle(pg)
    assert metric(pg, "Pooled SMD") == expected_smd()
    pg.get_by_text("Exclude poor-quality trials", exact=True).click()  # a rerun over the proxied websocket
    wait_idle(pg)
    assert metric(pg, "Pooled SMD") == expected_smd(("good", "fair"))
    pg.locator('[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas').first.wait_for()
    ctx.close()
    assert problems == [], problems  # nothing blocked by the CSP, no script error
    scripts = [r for r in responses if r.url.endswith(".js") and r.status == 200]
    assert scripts, "no script came through the proxy"
    for r in scripts[:3]:  # static files carry the headers too
        check_headers(r.headers)


def test_each_browser_sticks_to_one_process(browser, deployed):
    url, prefix = deployed
    for _ in range(4):
        ctx = browser.new_context(viewport={"width": 1024, "height": 768})
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(url + "subgroups")
        wait_idle(pg)
        assert ctx.cookies()[0]["name"] in {c["name"] for c in ctx.cookies()}
        assert any(c["name"] == "peerstats_node" and c["httpOnly"] for c in ctx.cookies())
        ctx.close()
    served = defaultdict(set)
    for line in (prefix / "access.log").read_text().splitlines():
        m = re.search(r"node=(\S+) upstream=(\S+)", line)
        if m and m.group(2) != "-":
            served[m.group(1)].add(m.group(2))
    assert len(served) >= 4  # one key per browser (plus any test probes)
    assert all(len(ups) == 1 for ups in served.values()), dict(served)  # every key stayed on one process
    assert len(set().union(*served.values())) == 2  # and both processes took browsers
