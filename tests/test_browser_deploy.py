"""Real browser through the real deployment (``deploy/run.sh``: Streamlit processes behind nginx, issue 12).

The proxy must send the security headers on every response, keep each browser on one app process (Streamlit holds
the session in that process: websocket, uploads, downloads), and the app must work through it under its CSP.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict

import live_app
import pytest
from live_app import MINUS, expected_headline, metric
from live_deploy import NGINX, deployment

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    if not os.path.exists(NGINX):
        pytest.fail(f"{NGINX} is missing: apt-get install nginx (the deployment test needs Debian's nginx)")
    prefix = tmp_path_factory.mktemp("nginx")
    try:
        # warmed as a real deployment is (deploy/warm.py, checked by test_processes_are_warmed_before_serving)
        with deployment(workers=2, prefix=prefix, log=prefix / "run.log", warm=True, timeout=300.0) as url:
            yield url, prefix
    except RuntimeError as exc:
        pytest.fail(str(exc))


def wait_idle(pg) -> None:
    live_app.wait_idle(pg, timeout=60.0, settle_ms=500)


def check_headers(headers: dict) -> None:
    csp = headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, csp
    assert "unsafe-eval" not in csp
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("referrer-policy") == "no-referrer"


def test_processes_are_warmed_before_serving(deployed):
    """run.sh opens every view of the warm-up list (deploy/warm.py) in each process, and only then starts nginx."""
    from deploy.warm import views

    _, prefix = deployed
    log = (prefix / "run.log").read_text()
    # every view of the warm-up list (what the list holds is tests/test_warm.py's business: the presets, plain and
    # trial-data-only views, Subgroups and the Multiverse, written out there): 121 on the bundled data
    n = len(views())
    assert n > 100
    warmed = re.findall(r"warm-up: port (\d+): (\d+) of (\d+) views", log)
    ports = re.findall(r"server 127\.0\.0\.1:(\d+)", (prefix / "nginx.conf").read_text())
    assert sorted(p for p, _, _ in warmed) == sorted(ports), log
    assert all(int(done) == int(total) == n for _, done, total in warmed), log
    assert log.index("warm-up: 2 processes warmed") < log.index("peerstats: serving"), log


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
    assert metric(pg, "Pooled SMD") == expected_headline()
    pg.get_by_text("Exclude poor-quality trials", exact=True).click()  # a rerun over the proxied websocket
    wait_idle(pg)
    assert metric(pg, "Pooled SMD") == expected_headline(("good", "fair"))
    pg.locator('[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas').first.wait_for()
    ctx.close()
    assert problems == [], problems  # nothing blocked by the CSP, no script error
    scripts = [r for r in responses if r.url.endswith(".js") and r.status == 200]
    assert scripts, "no script came through the proxy"
    for r in scripts[:3]:  # static files carry the headers too
        check_headers(r.headers)


def log_entries(prefix) -> list[tuple[str, str]]:
    """``(browser key (the peerstats_node cookie), upstream)`` of every proxied request in nginx's access log."""
    found = (re.search(r"node=(\S+) upstream=(\S+)", line)
             for line in (prefix / "access.log").read_text().splitlines())
    return [(m.group(1), m.group(2)) for m in found if m and m.group(2) != "-"]


def served(prefix) -> dict:
    """``{browser key: {upstreams that served it}}``."""
    out = defaultdict(set)
    for node, up in log_entries(prefix):
        out[node].add(up)
    return out


def test_browsers_stick_to_one_process_and_a_link_to_an_upload_opens_on_the_other(browser, deployed):
    """Browser A uses the Data page's example; a second browser opens A's link and lands (by its own cookie) on the
    other process, which never saw the upload: it re-imports it from the deployment's private upload folder and
    shows the same pooled SMD. Browsers are opened until one lands on the other process (at most 12).

    And every browser's cookie stays on one process, and browsers spread over both: the cookie is random and nginx
    hashes it, so each new browser lands on either process with probability 1/2. The browsers above (which reach both
    processes) count; more are opened until at least 4 are in the log. (One test for both, issue 20: the same
    browsers show both.)"""
    from urllib.parse import parse_qs, urlsplit

    from dashboard import byor
    from dashboard.view import DEFAULT_OUTCOME
    from peerstats.importer import import_studies
    from peerstats.meta import pool
    from peerstats.select import Filters, select

    url, prefix = deployed
    res = import_studies(byor.example_bytes(), byor.EXAMPLE.name, dict(byor.EXAMPLE_MAPPING))
    outcome = DEFAULT_OUTCOME  # the home page's outcome (the example has personal recovery)

    def upstream(ctx) -> str | None:
        node = next((c["value"] for c in ctx.cookies() if c["name"] == "peerstats_node"), None)
        return next((up for key, up in reversed(log_entries(prefix)) if key == node), None)

    def has_cookie(ctx) -> bool:
        return any(c["name"] == "peerstats_node" and c["httpOnly"] for c in ctx.cookies())

    a = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = a.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(url + "data")
    wait_idle(pg)
    pg.get_by_role("tab", name="Your own studies").click()
    pg.get_by_role("button", name="Try an example: Metapsy peer-support data (28 trials)").click()
    wait_idle(pg)
    pg.get_by_role("button", name="Use these data").click()
    wait_idle(pg)
    pg.wait_for_function("() => location.search.includes('data=')", timeout=30_000)
    fp = parse_qs(urlsplit(pg.url).query)["data"][0]
    link = f"{url}?data={fp}"  # the upload's link, on the home page (Explore)
    first = upstream(a)
    assert has_cookie(a)
    assert first and len(list((prefix / "uploads").glob("*.bin"))) >= 1
    a.close()

    for _ in range(12):
        b = browser.new_context(viewport={"width": 1280, "height": 900})
        pb = b.new_page()
        pb.set_default_timeout(60_000)
        pb.goto(link)
        wait_idle(pb)
        assert has_cookie(b)
        if upstream(b) != first:
            shown = pb.inner_text("body")
            assert "does not hold" not in shown and "not understood" not in shown, shown[:3000]
            sel = select(res.evidence, Filters(), outcome)
            assert metric(pb, "Pooled SMD") == f"{pool(sel.yi, sel.vi).estimate:.2f}".replace("-", MINUS)
            b.close()
            break
        b.close()
    else:
        pytest.fail("twelve browsers all landed on the uploading process")

    for _ in range(4):  # at most two more are needed: A and the browser on the other process are in the log
        if len(served(prefix)) >= 4:
            break
        ctx = browser.new_context(viewport={"width": 1024, "height": 768})
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(url + "subgroups")
        wait_idle(pg)
        assert has_cookie(ctx)
        ctx.close()
    keys = served(prefix)
    assert len(keys) >= 4  # one key per browser (plus any test probes)
    assert all(len(ups) == 1 for ups in keys.values()), dict(keys)  # every key stayed on one process
    assert len(set().union(*keys.values())) == 2  # and both processes took browsers


def test_a_nested_path_that_is_no_page_is_redirected_and_said_in_words(browser, deployed):
    """``/data/x`` (Streamlit alone: a blank page, its relative scripts fail) is redirected by nginx to its first
    segment, or the root when that is no page, with ``?unknown=<path>`` and the link's own query; Streamlit's own
    nested paths go through; the browser lands on the page and the shell says what happened (issue 21)."""
    import urllib.error
    import urllib.request

    url, _ = deployed

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def answer(path: str) -> tuple[int, str | None]:
        try:
            with opener.open(url + path.lstrip("/"), timeout=30) as r:
                return r.status, r.headers.get("Location")
        except urllib.error.HTTPError as e:
            check_headers({k.lower(): v for k, v in e.headers.items()})
            return e.code, e.headers.get("Location")

    assert answer("/data/x") == (302, "/data?unknown=/data/x")
    assert answer("/risk-of-bias/a/b/?outcome=hope") == (302, "/risk-of-bias?unknown=/risk-of-bias/a/b/&outcome=hope")
    assert answer("/nowhere/x") == (302, "/?unknown=/nowhere/x")
    assert answer("/_stcore/health") == (200, None)
    assert answer("/data/_stcore/health")[0] != 302  # Streamlit's client probes its base path under a page first
    script = re.search(r'src="\./(static/js/[^"]+)"', opener.open(url, timeout=30).read().decode()).group(1)
    assert answer("/" + script) == (200, None)
    assert answer("/data")[0] == 200

    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(url + "data/x")
    wait_idle(pg)
    pg.get_by_text("The address /data/x is not a page of this app; showing Data.").first.wait_for()
    assert pg.url.split("?")[0] == url + "data" and "unknown" not in pg.url, pg.url  # the parameter is dropped
    ctx.close()


def test_streamlit_front_end_comes_from_nginx_gzipped_with_the_headers(deployed):
    """Streamlit's front end (``/static/``) is served by nginx from the mirror ``deploy/static.py`` writes, not by
    the app processes: gzipped (Streamlit itself sends these uncompressed), byte for byte the installed Streamlit's
    file once unzipped, kept a year by browsers (content-hashed names), with the security headers, and absent from
    the proxy's log of proxied requests (issue 22: a new visitor's ~100 requests no longer queue on Python)."""
    import gzip
    import urllib.request

    from deploy.static import streamlit_static

    url, prefix = deployed
    html = urllib.request.urlopen(url, timeout=30).read().decode()
    names = re.findall(r'"\./(static/(?:js|css)/[^"]+)"', html)
    assert len(names) > 10, html[:500]
    for name in (names[0], next(n for n in names if n.endswith(".css"))):
        req = urllib.request.Request(url + name, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req, timeout=30) as r:
            body, headers = r.read(), {k.lower(): v for k, v in r.headers.items()}
        assert headers.get("content-encoding") == "gzip", headers
        assert gzip.decompress(body) == (streamlit_static() / name.removeprefix("static/")).read_bytes()
        assert "max-age=31536000" in headers.get("cache-control", ""), headers
        check_headers(headers)
        plain = urllib.request.urlopen(url + name, timeout=30)  # a client that takes no gzip gets the file itself
        assert plain.headers.get("Content-Encoding") is None
        assert plain.read() == (streamlit_static() / name.removeprefix("static/")).read_bytes()
    assert not any("/static/" in line for line in (prefix / "access.log").read_text().splitlines())
