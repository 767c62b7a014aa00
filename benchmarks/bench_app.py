"""Benchmark of the dashboard's speed on the bundled data. Prints figures; asserts nothing.

1. Server-side rerun time of every page (Streamlit AppTest, the whole script: sidebar, statistics, charts, tables),
   median of N reruns after two warm-ups, and the rerun after a filter change (the "Exclude poor-quality trials"
   checkbox toggled on Explore). Target: < 150 ms.
2. The chart builders alone: build + the conversion Streamlit does on every rerun, and the PNG/SVG export cost
   (paid only when a download button is clicked).
3. In a real browser (Debian's Chromium via Playwright, against ``streamlit run app.py``): the time from a click on
   "Exclude poor-quality trials" to the updated "Pooled SMD" headline on screen. Target: < 1 s.

Usage::

    python -m benchmarks.bench_app            # everything
    python -m benchmarks.bench_app --n 30     # more repetitions
    python -m benchmarks.bench_app --no-browser

The machine matters: the figures of the closing note came from a 2-core container shared with other jobs.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.chdir(ROOT)

from tests.live_app import CHROMIUM, CHROMIUM_ARGS, streamlit_app  # noqa: E402 - the one way the project starts the app

PAGES = [
    ("Explore", "pages/explore.py"),
    ("Subgroups", "pages/subgroups.py"),
    ("Sensitivity", "pages/sensitivity.py"),
    ("Small-study effects", "pages/small-study-effects.py"),
    ("Risk of bias", "pages/risk-of-bias.py"),
    ("Reproduce the paper", "pages/reproduce.py"),
    ("Data", "pages/data.py"),
    ("About", "pages/about.py"),
]
RERUN_TARGET_MS = 150.0
CLICK_TARGET_MS = 1000.0


def _ms(seconds: list[float]) -> tuple[float, float, float]:
    ms = [1000 * s for s in seconds]
    return statistics.median(ms), min(ms), max(ms)


def _row(name: str, seconds: list[float], target: float | None = None) -> str:
    med, lo, hi = _ms(seconds)
    verdict = "" if target is None else ("  ok" if med < target else f"  OVER {target:.0f} ms")
    return f"  {name:<34} median {med:7.1f} ms   min {lo:7.1f}   max {hi:7.1f}   (n={len(seconds)}){verdict}"


# --------------------------------------------------------------------------------------------------------- reruns
class _ErrorCounter(logging.Handler):
    """Collects the messages of errors Streamlit logs (an uncaught exception in a page) during AppTest runs."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        self.records.append(f"{type(exc).__name__}: {exc}" if exc else record.getMessage())


def bench_reruns(n: int) -> None:
    from streamlit.testing.v1 import AppTest

    print("\n1. Server-side rerun per page (AppTest, whole script, bundled data)")
    errors = _ErrorCounter()
    page_errors = logging.getLogger("streamlit.error_util")  # logs "Uncaught app execution"
    page_errors.handlers = [errors]  # count page errors instead of printing their tracebacks
    page_errors.propagate = False
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    for name, path in PAGES:
        errors.records.clear()
        at.switch_page(path)
        at.run()
        at.run()
        if at.exception or errors.records:
            what = at.exception[0].value if at.exception else errors.records[-1]
            print(f"  {name:<34} NOT TIMED: the page raised an error ({what})")
            continue
        times = []
        for _ in range(n):
            t = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t)
        print(_row(name, times, RERUN_TARGET_MS))

    at.switch_page("pages/explore.py")
    at.run()
    times = []
    for i in range(n):
        box = at.checkbox(key="f_exclude_poor")
        (box.uncheck() if box.value else box.check())
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    print(_row("Explore, after a filter toggle", times, RERUN_TARGET_MS))


# --------------------------------------------------------------------------------------------------------- charts
def bench_charts(n: int) -> None:
    import streamlit.elements.vega_charts as vega

    from dashboard import charts, export
    from peerstats import meta
    from peerstats.data import load_evidence
    from peerstats.select import Filters, select

    print("\n2. Chart builders (personal recovery, all trials): build + Streamlit's per-rerun conversion")
    ev = load_evidence()
    sel = select(ev, Filters(), "personal_recovery")
    pooled = meta.pool(sel.yi, sel.vi)
    eff = sel.effects.assign(weight=pooled.weights)
    labels = eff["label"].to_numpy()
    tf = meta.trim_and_fill(sel.yi, sel.vi)
    builders = {
        f"forest (k = {sel.k})": lambda: charts.forest(eff, pooled, "Personal recovery"),
        "subgroup_forest (category)": lambda: charts.subgroup_forest(
            meta.subgroup_test(sel.yi, sel.vi, eff["category"].to_numpy()).table(), pooled),
        "funnel + trim-and-fill": lambda: charts.funnel(
            eff, pooled.estimate, meta.funnel_limits(pooled.estimate, float(sel.vi.max() ** 0.5)), tf.filled),
        "leave_one_out_plot": lambda: charts.leave_one_out_plot(
            meta.leave_one_out(sel.yi, sel.vi).pipe(lambda f: f.assign(label=labels[f["omitted"]])),
            overall=pooled.estimate),
        "cumulative_plot": lambda: charts.cumulative_plot(
            meta.cumulative(sel.yi, sel.vi, order=eff["year"].to_numpy()).pipe(
                lambda f: f.assign(label=labels[f["added"]]))),
        f"rob_traffic_light ({len(ev.trials)} trials)": lambda: charts.rob_traffic_light(ev.trials),
        "rob_summary": lambda: charts.rob_summary(ev.trials),
    }
    for name, build in builders.items():
        build()
        times = []
        for _ in range(n):
            t = time.perf_counter()
            vega._convert_altair_to_vega_lite_spec(build())
            times.append(time.perf_counter() - t)
        print(_row(name, times))

    print("\n   Exports (only when a download button is clicked; memoised by spec afterwards)")
    forest = builders[f"forest (k = {sel.k})"]()
    for name, fn in (("forest -> PNG (scale 2)", lambda: export.chart_png(forest, scale=2)),
                     ("forest -> SVG", lambda: export.chart_svg(forest)),
                     ("HTML report (forest as SVG + table)", lambda: export.html_report(
                         "bench", [export.Section("Forest", chart=forest, table=eff[["label", "yi", "vi"]])]))):
        fn()
        times = []
        for _ in range(max(3, n // 3)):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        print(_row(name, times))


# -------------------------------------------------------------------------------------------------------- browser
METRIC_JS = """() => {
    const m = [...document.querySelectorAll('[data-testid="stMetric"]')].find(e => e.innerText.includes('Pooled SMD'));
    return m ? m.querySelector('[data-testid="stMetricValue"]').innerText.trim() : null;
}"""
CHANGED_JS = """(before) => {
    const m = [...document.querySelectorAll('[data-testid="stMetric"]')].find(e => e.innerText.includes('Pooled SMD'));
    return m && m.querySelector('[data-testid="stMetricValue"]').innerText.trim() !== before;
}"""
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def bench_browser(n: int) -> None:
    print("\n3. Browser: click on 'Exclude poor-quality trials' -> updated 'Pooled SMD' headline (Chromium)")
    if not os.path.exists(CHROMIUM):
        print(f"  skipped: {CHROMIUM} is missing (apt-get install chromium)")
        return
    from playwright.sync_api import sync_playwright

    try:
        with streamlit_app() as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t = time.perf_counter()
            page.goto(url)
            page.wait_for_function(METRIC_JS, timeout=60_000)
            first_load = time.perf_counter() - t
            page.wait_for_selector(IDLE, timeout=60_000)
            box = page.get_by_text("Exclude poor-quality trials", exact=True)
            times, values = [], []
            for _ in range(n):
                page.wait_for_selector(IDLE, timeout=60_000)
                page.wait_for_timeout(150)
                before = page.evaluate(METRIC_JS)
                t = time.perf_counter()
                box.click()
                page.wait_for_function(CHANGED_JS, arg=before, timeout=30_000, polling="raf")
                times.append(time.perf_counter() - t)
                values.append(page.evaluate(METRIC_JS))
            browser.close()
    except RuntimeError as exc:  # the server did not start
        print(f"  {exc}")
        return
    print(f"  first load (cold server, to headline)    {1000 * first_load:7.1f} ms")
    print(_row("click -> headline updated", times, CLICK_TARGET_MS))
    print(f"  headline values seen: {sorted(set(values))}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=15, help="repetitions per measurement (default 15)")
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium measurement")
    ap.add_argument("--only", choices=["reruns", "charts", "browser"], help="run one part only")
    args = ap.parse_args()
    print(f"peerstats dashboard benchmark · python {sys.version.split()[0]} · {os.cpu_count()} CPUs · "
          f"load average {os.getloadavg()[0]:.2f}")
    if args.only in (None, "reruns"):
        bench_reruns(args.n)
    if args.only in (None, "charts"):
        bench_charts(args.n)
    if args.only in (None, "browser") and not args.no_browser:
        bench_browser(max(5, args.n // 2))


if __name__ == "__main__":
    main()
