"""Browser benchmark: what one filter click and one first view cost the user's own browser. Prints figures; asserts
nothing.

One headless Chromium at 1280x800 against two single-process deployments started here (``deploy/run.sh`` behind
nginx, as the load benchmarks): the dashboard (``app.py``) and the floor page (``benchmarks/floor_app.py``: one
checkbox, one metric), so both are measured in the same run on the same machine state. Issue 22's targets:

- **main-thread task time per filter click**: CDP ``Performance.getMetrics`` ``TaskDuration`` (seconds the page's
  renderer main thread spent in tasks) read just before a click on "Exclude poor-quality trials" and again once the
  page has settled (below); median over ``--clicks`` clicks, on Explore and on the floor page; target Explore <= 2x
  the floor page's. ``ScriptDuration`` (JavaScript) and ``LayoutDuration + RecalcStyleDuration`` are printed beside it.
- **click-to-headline**: from the click (a capturing listener, page clock) to the app idle with the "Pooled SMD"
  metric showing the value ``peerstats`` computes for the new filter; median; target < 300 ms.
- **4x CPU throttling** (CDP ``Emulation.setCPUThrottlingRate``, a mid-range phone): click to settled on Explore and
  on Summary; median; target < 1.5 s.
- **first view**: a new browser context (a new visitor, empty cache) requests Explore from a server that has already
  served it (warm); from the navigation start to the headline value on screen, and to settled; median over
  ``--views``; target headline < 1.5 s. The floor page's first view is printed beside it, and both again over a
  phone's network (:data:`PHONE_NETWORK`, CDP network emulation: what the gzip of ``deploy/static.py`` is for).

A control rate typed in Explore's "what it means" card (a fragment) is measured as a click is: what an edit that
concerns one section costs when only that section reruns.

For reference the same click is measured on About (the app's shell, sidebar and page links, and static text: no
statistics, no chart): what any page of the app costs per click before its own content; and on the floor page with
the app's frame without the app: inert widgets as many and of the kinds as the app's sidebar has, page links, hidden
navigation, the shell's style element, the address bar written on every run (``floor_app.py?sidebar=app``).

**Settled** (measured, not guessed): Streamlit's app root says ``notRunning``; the expected headline value is shown
(Explore, floor); after a click, a script run was seen; every ``stVegaLiteChart`` element holds its ``svg`` or
``canvas``; and no DOM mutation at all (childList, attributes, text, anywhere in the document: Vega's SVG renderer
redraws by mutating the DOM) for ``--quiet`` ms. The settled time is that of the last mutation before the quiet
window (page clock), so the window's length does not enter it. A MutationObserver in the page records the times (no
polling of the page's layout); Python asks for them every 100 ms (one tiny task, the same on both pages).

The machine's load average and the CPU time the hypervisor stole during the run are printed with the figures: on a
shared 2-core machine they vary and every figure with them.

Usage::

    python -m benchmarks.bench_browser                 # 7 clicks per page, 3 first views
    python -m benchmarks.bench_browser --clicks 11 --views 5 --outcome hope   # k 8 <-> 4
    python -m benchmarks.bench_browser --outcome personal_recovery   # the home page's view, k 18 <-> 6
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from benchmarks.bench_load import cpu_seconds, expected_values
from tests.live_app import CHROMIUM, CHROMIUM_ARGS, open_card_box
from tests.live_deploy import deployment

VIEWPORT = {"width": 1280, "height": 800}
FILTER = "Exclude poor-quality trials"

#: Installed in every page (an init script, so it also sees a first view from the navigation start): records the
#: click time, the time of the last DOM mutation, when a script run was seen and when the headline first showed
#: ``__ps.want`` (``"*"``: any value). ``textContent`` (not ``innerText``): reading it forces no layout.
PROBE = r"""(() => {
    if (window.__ps) return;
    const ps = window.__ps = {want: null, t0: null, head: null, ran: null, last: performance.now()};
    const state = () => {
        const a = document.querySelector('[data-testid="stApp"]');
        return a ? a.getAttribute('data-test-script-state') : null;
    };
    const headline = () => {
        for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
            const t = m.textContent;
            if (t.includes('Pooled SMD') || t.includes('SMD (one trial)')) {
                const v = m.querySelector('[data-testid="stMetricValue"]');
                return v ? v.textContent.trim() : null;
            }
        }
        return null;
    };
    ps.headline = headline;
    ps.state = state;
    document.addEventListener('click', () => {
        ps.t0 = performance.now(); ps.head = null; ps.ran = null; ps.last = ps.t0;
    }, true);
    new MutationObserver(records => {
        const now = performance.now();
        ps.last = now;
        if (ps.ran === null && records.some(r => r.attributeName === 'data-test-script-state'
                && (r.oldValue === 'running' || r.target.getAttribute('data-test-script-state') === 'running'))) {
            ps.ran = now;
        }
        if (ps.head === null && ps.want !== null && state() === 'notRunning'
                && (ps.want === '*' ? headline() !== null : headline() === ps.want)) ps.head = now;
    }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true,
                          attributeOldValue: true});
})();"""

STATUS = """q => {
    const ps = window.__ps;
    const charts = Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'));
    const now = performance.now();
    return {idle: ps.state() === 'notRunning', drawn: charts.every(c => c.querySelector('svg, canvas') !== null),
            charts: charts.length, quiet: now - ps.last >= q, t0: ps.t0, head: ps.head, ran: ps.ran, last: ps.last,
            shown: ps.headline()};
}"""


def settle(pg, quiet_ms: float, timeout_s: float, *, want: str | None, clicked: bool) -> dict | None:
    """Wait until the page is settled (module docstring); its probe's record then, or None after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        st = pg.evaluate(STATUS, quiet_ms)
        if (st["idle"] and st["drawn"] and st["quiet"] and (want is None or st["head"] is not None)
                and (not clicked or st["ran"] is not None or st["head"] is not None)):
            return st
        pg.wait_for_timeout(100)
    return None


def task_metrics(cdp) -> dict[str, float]:
    """The renderer main thread's cumulative task, script and layout+style seconds (CDP Performance metrics)."""
    m = {x["name"]: x["value"] for x in cdp.send("Performance.getMetrics")["metrics"]}
    return {"task": m.get("TaskDuration", 0.0), "script": m.get("ScriptDuration", 0.0),
            "layout": m.get("LayoutDuration", 0.0) + m.get("RecalcStyleDuration", 0.0)}


def open_page(browser, url: str, want: str | None, quiet_ms: float, timeout_s: float):
    """A new context and page at ``url``, settled, with a CDP session whose Performance domain is on."""
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.add_init_script(PROBE)
    pg = ctx.new_page()
    pg.set_default_timeout(timeout_s * 1000)
    pg.goto(url)
    pg.evaluate("w => { window.__ps.want = w; }", want)
    if settle(pg, quiet_ms, timeout_s, want=want, clicked=False) is None:
        raise RuntimeError(f"{url} did not settle within {timeout_s:g} s")
    cdp = ctx.new_cdp_session(pg)
    cdp.send("Performance.enable")
    return ctx, pg, cdp


def clicks(pg, cdp, values: tuple[str, str] | None, n: int, quiet_ms: float, timeout_s: float,
           throttle: float = 1.0) -> list[dict]:
    """``n`` clicks on the filter checkbox, each measured once the page settles: task/script/layout ms, click to
    headline ms (``values``: the headline for (all trials, fair/good trials); None: no headline to wait for), click to
    settled ms. ``throttle``: CDP CPU throttling rate during each click (1: none)."""
    box = pg.get_by_text(FILTER, exact=True)
    checked = pg.get_by_role("checkbox", name=FILTER).is_checked()
    out = []
    for _ in range(n):
        checked = not checked
        want = None if values is None else values[int(checked)]
        pg.evaluate("w => { window.__ps.want = w; }", want)
        if throttle != 1.0:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        before = task_metrics(cdp)
        box.click()
        st = settle(pg, quiet_ms, timeout_s, want=want, clicked=True)
        after = task_metrics(cdp)
        if throttle != 1.0:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        if st is None:
            out.append({"error": f"not settled within {timeout_s:g} s (wanted {want})"})
            continue
        out.append({**{k: 1000 * (after[k] - before[k]) for k in before},
                    "headline": None if st["head"] is None else st["head"] - st["t0"],
                    "settled": st["last"] - st["t0"], "charts": st["charts"]})
    return out


def card_edits(pg, cdp, n: int, quiet_ms: float, timeout_s: float) -> list[dict]:
    """``n`` control rates typed in the "what it means" card's number box (0.45 and 0.30 in turn; Enter), each
    measured as a click is: task/script/layout ms and typing to settled ms. The card is a fragment
    (``dashboard.decision._card``): its reruns leave the rest of the page alone."""
    box = open_card_box(pg)
    settle(pg, quiet_ms, timeout_s, want=None, clicked=False)
    out = []
    for i in range(n):
        box.fill("0.45" if i % 2 == 0 else "0.30")
        pg.evaluate("() => { const ps = window.__ps; ps.t0 = performance.now(); ps.head = null; ps.ran = null; "
                    "ps.last = ps.t0; }")
        before = task_metrics(cdp)
        box.press("Enter")
        st = settle(pg, quiet_ms, timeout_s, want=None, clicked=True)
        after = task_metrics(cdp)
        if st is None:
            out.append({"error": f"not settled within {timeout_s:g} s"})
            continue
        out.append({**{k: 1000 * (after[k] - before[k]) for k in before}, "settled": st["last"] - st["t0"]})
    return out


#: A phone on a workshop's Wi-Fi or 4G, for the throttled first view (CDP ``Network.emulateNetworkConditions``):
#: 9 Mbit/s down, 3 Mbit/s up, 40 ms round trip.
PHONE_NETWORK = {"offline": False, "latency": 40, "downloadThroughput": 9e6 / 8, "uploadThroughput": 3e6 / 8}


def first_views(browser, url: str, want: str, n: int, quiet_ms: float, timeout_s: float,
                network: dict | None = None) -> list[dict]:
    """``n`` new visitors (new contexts: empty cache) opening ``url``: ms from the navigation start (the page
    clock's origin) to the headline showing ``want`` and to settled. ``network``: CDP network conditions (e.g.
    :data:`PHONE_NETWORK`; None: loopback as it is)."""
    out = []
    for _ in range(n):
        ctx = browser.new_context(viewport=VIEWPORT)
        ctx.add_init_script(PROBE + f"\nwindow.__ps.want = {json.dumps(want)};")
        pg = ctx.new_page()
        try:
            if network is not None:
                cdp = ctx.new_cdp_session(pg)
                cdp.send("Network.enable")
                cdp.send("Network.emulateNetworkConditions", network)
            pg.goto(url)
            st = settle(pg, quiet_ms, timeout_s, want=want, clicked=False)
            out.append({"error": "not settled"} if st is None else {"headline": st["head"], "settled": st["last"],
                                                                    "charts": st["charts"]})
        finally:
            ctx.close()
    return out


def med(rows: list[dict], key: str) -> str:
    xs = [r[key] for r in rows if r.get(key) is not None]
    if not xs:
        return "n/a"
    return f"{statistics.median(xs):.0f} ms (min {min(xs):.0f}, max {max(xs):.0f}, n = {len(xs)})"


def errors(rows: list[dict]) -> str:
    errs = [r["error"] for r in rows if "error" in r]
    return f"; {len(errs)} errors: {errs[0]}" if errs else ""


def run(app_url: str, floor_url: str, ports: list[int], outcome: str, n: int, views: int, quiet_ms: float,
        timeout_s: float, throttle: float) -> None:
    from playwright.sync_api import sync_playwright

    # (headline with all trials, with fair/good ones); an outcome whose headline the filter leaves as it is (personal
    # recovery, the home page's: k 18 <-> 6, SMD 0.20 both) is measured too, waiting for the script run, not a value
    vals = expected_values().get(outcome, (None, None))
    explore = f"{app_url}?outcome={outcome}"
    summary = f"{app_url}summary?outcome={outcome}"
    about = f"{app_url}about?outcome={outcome}"
    floor = f"{floor_url}?outcome={outcome}"
    load0, cpu0, t0 = os.getloadavg()[0], cpu_seconds(ports), time.perf_counter()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            # warm the servers: each page once, the filter both ways (the memo then holds both views)
            for url, want in ((explore, vals), (summary, None), (floor, vals)):
                ctx, pg, cdp = open_page(browser, url, want and want[0], quiet_ms, timeout_s)
                clicks(pg, cdp, want, 2, quiet_ms, timeout_s)
                ctx.close()
            res = {}
            for name, url, v in (("floor", floor, vals), ("explore", explore, vals), ("floor2", floor, vals),
                                 ("floor_sidebar", floor + "&sidebar=app", vals)):
                ctx, pg, cdp = open_page(browser, url, v[0], quiet_ms, timeout_s)
                res[name] = clicks(pg, cdp, v, n, quiet_ms, timeout_s)
                if name == "explore":
                    res["explore_throttled"] = clicks(pg, cdp, v, max(3, n // 2), quiet_ms, timeout_s * 4, throttle)
                    res["card"] = card_edits(pg, cdp, n, quiet_ms, timeout_s)
                ctx.close()
            ctx, pg, cdp = open_page(browser, summary, None, quiet_ms, timeout_s)
            res["summary"] = clicks(pg, cdp, None, max(3, n // 2), quiet_ms, timeout_s)
            res["summary_throttled"] = clicks(pg, cdp, None, max(3, n // 2), quiet_ms, timeout_s * 4, throttle)
            ctx.close()
            ctx, pg, cdp = open_page(browser, about, None, quiet_ms, timeout_s)
            res["about"] = clicks(pg, cdp, None, max(3, n // 2), quiet_ms, timeout_s)
            ctx.close()
            shown = vals[0] or "*"  # "*": the headline metric with any value
            res["first_view"] = first_views(browser, explore, shown, views, quiet_ms, timeout_s)
            res["floor_first_view"] = first_views(browser, floor, shown, views, quiet_ms, timeout_s)
            res["phone_first_view"] = first_views(browser, explore, shown, views, quiet_ms, timeout_s * 3, PHONE_NETWORK)
            res["phone_floor_first_view"] = first_views(browser, floor, shown, views, quiet_ms, timeout_s * 3,
                                                        PHONE_NETWORK)
        finally:
            browser.close()
    cpu1, wall = cpu_seconds(ports), time.perf_counter() - t0
    floor_rows = res["floor"] + res["floor2"]
    print(f"Chromium {VIEWPORT['width']}x{VIEWPORT['height']}, outcome {outcome}, headline "
          f"{'unchanged by the filter' if vals[0] is None else f'{vals[0]} <-> {vals[1]}'}; "
          f"settled = idle, headline shown, charts drawn, no DOM mutation for {quiet_ms:g} ms")
    print(f"machine: {os.cpu_count()} CPUs, load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the "
          f"end; stolen CPU {cpu1['stolen'] - cpu0['stolen']:.1f} s of {wall:.0f} s; the app servers used "
          f"{cpu1['app'] - cpu0['app']:.1f} s")
    for label, rows in (("floor page", floor_rows), ("Explore", res["explore"]), ("Summary", res["summary"]),
                        ("About (the app's shell and static text: no statistics, no chart)", res["about"]),
                        ("floor page with the app's frame: sidebar widgets, page links, navigation, style, address "
                         "bar (?sidebar=app)", res["floor_sidebar"])):
        print(f"{label}: main-thread task time per click {med(rows, 'task')}; script {med(rows, 'script')}; "
              f"layout+style {med(rows, 'layout')}{errors(rows)}")
    print(f"a control rate typed in Explore's 'what it means' card (a fragment: the card reruns alone): main-thread "
          f"task time {med(res['card'], 'task')}; typing to settled {med(res['card'], 'settled')}"
          f"{errors(res['card'])}")
    ft = [r["task"] for r in floor_rows if "task" in r]
    et = [r["task"] for r in res["explore"] if "task" in r]
    if ft and et:
        ratio = statistics.median(et) / statistics.median(ft)
        print(f"Explore / floor task time per click: {ratio:.1f}x (target <= 2x)")
    st_ = [r["task"] for r in res["floor_sidebar"] if "task" in r]
    if st_ and et and ft:
        print(f"the app's frame alone (floor page ?sidebar=app) / floor: {statistics.median(st_) / statistics.median(ft):.1f}x; "
              f"Explore / the frame alone: {statistics.median(et) / statistics.median(st_):.1f}x")
    print(f"click-to-headline: Explore {med(res['explore'], 'headline')} (target median < 300 ms); "
          f"floor page {med(floor_rows, 'headline')}")
    print(f"click-to-settled: Explore {med(res['explore'], 'settled')}; Summary {med(res['summary'], 'settled')}; "
          f"floor page {med(floor_rows, 'settled')}")
    for label, key in (("Explore", "explore_throttled"), ("Summary", "summary_throttled")):
        print(f"{throttle:g}x CPU throttling, {label}: click-to-settled {med(res[key], 'settled')} (target < 1.5 s); "
              f"task time {med(res[key], 'task')}" + (f"; headline {med(res[key], 'headline')}"
                                                      if label == "Explore" else "") + errors(res[key]))
    print(f"first view (new visitor, warm server): headline {med(res['first_view'], 'headline')} (target < 1.5 s); "
          f"settled {med(res['first_view'], 'settled')}{errors(res['first_view'])}")
    print(f"first view of the floor page: metric {med(res['floor_first_view'], 'headline')}; settled "
          f"{med(res['floor_first_view'], 'settled')}{errors(res['floor_first_view'])}")
    net = (f"{PHONE_NETWORK['downloadThroughput'] * 8 / 1e6:g} Mbit/s down, {PHONE_NETWORK['latency']:g} ms round "
           "trip")
    print(f"first view over a phone's network ({net}): headline {med(res['phone_first_view'], 'headline')}; "
          f"settled {med(res['phone_first_view'], 'settled')}{errors(res['phone_first_view'])}; the floor page "
          f"{med(res['phone_floor_first_view'], 'headline')}{errors(res['phone_floor_first_view'])}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clicks", type=int, default=7, help="filter clicks per page (median)")
    ap.add_argument("--views", type=int, default=3, help="first views (median)")
    ap.add_argument("--outcome", default="overall_symptoms",
                    help="overall symptoms: k 9 <-> 4; personal_recovery (the home page's): k 18 <-> 6, its "
                         "headline unchanged, so no click-to-headline")
    ap.add_argument("--quiet", type=float, default=300.0, help="ms without DOM mutation that make a page settled")
    ap.add_argument("--throttle", type=float, default=4.0, help="CDP CPU throttling rate of the throttled clicks")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a page to settle")
    args = ap.parse_args()
    with ExitStack() as stack:
        urls, ports = [], []
        for app in ("app.py", "benchmarks/floor_app.py"):
            prefix = Path(tempfile.mkdtemp(prefix="peerstats-bench-browser."))
            urls.append(stack.enter_context(deployment(workers=1, prefix=prefix, log=prefix / "run.log", app=app,
                                                       timeout=300.0)))
            conf = (prefix / "nginx.conf").read_text()
            ports += [int(p) for p in re.findall(r"server 127\.0\.0\.1:(\d+)", conf)]
        run(urls[0], urls[1], ports, args.outcome, max(1, args.clicks), max(1, args.views), args.quiet,
            args.timeout, args.throttle)


if __name__ == "__main__":
    main()
