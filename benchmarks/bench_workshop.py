"""Workshop benchmark (issue 22, "a room of 300"): many people open the shared link within the same 10 s, then each
clicks through a realistic mix, speaking Streamlit's websocket protocol to the deployment (deploy/run.sh: nginx + N
app processes on 127.0.0.1) as ``bench_protocol.py`` does (no browser: each user's browser runs on their own device).
Prints figures; asserts nothing.

Each simulated user (``bench_protocol.Session``: its own sticky cookie and websocket) starts at a random moment in the
first ``--open-within`` seconds (default 10), opens Explore on its own outcome, then, with ``--think`` seconds of
think time (default 5-15 s, uniform) before each step:

1. a filter: ticks "Exclude poor-quality trials";           2. an outcome change: the Outcome selectbox;
3. a second filter: ticks "Trial data only";                 4. a second page: Subgroups (a page-link click);
5. a subgroup moderator change: "Split by (moderator)";      6. a preset: "Fair/good quality only";
7. back to Explore.

An update counts when its script run finishes without an exception or error box, and, on Explore, with the headline
SMD that peerstats computes for that user's own state (``peerstats.select`` + ``peerstats.meta.pool``): a wrong
number would also be a cross-session leak. Printed per run (``--sessions 100,300`` runs one workshop after the other
in the same deployment): time from each user's arrival to their first page (target: all within 3 s), click latency
p50/p95/max overall and per step (target p95 < 1 s), errors (target 0), server memory per session, app CPU per
click, the CPU stolen by the hypervisor, and this client's own CPU (it shares the machine with the servers).

``--ramp`` runs workshops of 50, 100, 150, ... sessions (``--sessions`` gives the steps) until the p95 passes 1 s
and prints how many sessions per core the deployment held at p95 <= 1 s (the largest step that did, divided by the
machine's cores), with the estimate from CPU per click (what the cores could serve at 100 % busy).

Usage::

    python -m benchmarks.bench_workshop                           # 300 sessions, 3 app processes
    python -m benchmarks.bench_workshop --sessions 100,300
    python -m benchmarks.bench_workshop --ramp --sessions 50,100,150,200,250,300
    python -m benchmarks.bench_workshop --profile 20                 # each step alone: latency and app CPU
    python -m benchmarks.bench_workshop --url https://peerstats.example.org/ --sessions 300   # a running deployment
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.bench_load import MINUS, cpu_seconds, pct, rss_kib
from benchmarks.bench_protocol import Session, cookie_for

ROOT = Path(__file__).resolve().parents[1]

OUTCOME = "Outcome"
REAL_ONLY = "Trial data only (no reconstructed rows)"
MODERATOR = "Split by (moderator)"
PRESET = "Fair/good quality only"
GOOD_FAIR = ("good", "fair")
REAL_ROWS = ("reported", "derived")
STEPS = ("filter: exclude poor", "outcome", "filter: trial data only", "page: Subgroups", "moderator",
         "preset", "page: Explore")


class Expect:
    """The headline the app should show for an outcome and filters, computed by peerstats (memoised)."""

    def __init__(self) -> None:
        from peerstats.data import OUTCOMES, load_evidence

        self.ev = load_evidence()
        self.labels = {o: f"{lab} · {dom}" for o, (dom, lab, _b) in OUTCOMES.items()}
        self._memo: dict = {}

    def headline(self, outcome: str, quality: tuple = (), provenance: tuple = ()) -> str | None:
        key = (outcome, quality, provenance)
        if key not in self._memo:
            from peerstats.meta import pool
            from peerstats.select import Filters, select

            sel = select(self.ev, Filters(quality=quality, provenance=provenance), outcome)
            self._memo[key] = (f"{pool(sel.yi, sel.vi, method='DL').estimate:.2f}".replace("-", MINUS)
                               if sel.k else None)
        return self._memo[key]

    def outcomes(self) -> list[str]:
        """Outcomes whose headline differs between every pair of the states a user passes through, so each step's
        number shows that step was applied."""
        out = []
        for o in self.labels:
            vals = [self.headline(o), self.headline(o, GOOD_FAIR), self.headline(o, GOOD_FAIR, REAL_ROWS)]
            if None not in vals[:2] and vals[0] != vals[1]:
                out.append(o)
        return out


class Tab(Session):
    """A session that also notes every labelled widget (id, options), the pages and anything shown as an error."""

    def __init__(self, ws, query: str) -> None:
        super().__init__(ws, query)
        self.elements: dict[str, tuple[str, list[str], str | None]] = {}  # label -> (id, options, value)
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.problems: list[str] = []

    def note(self, kind: str, msg) -> None:
        super().note(kind, msg)
        if kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            self.pages.update({"explore": p.page_script_hash for p in msg.navigation.app_pages if p.is_default})
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            which = el.WhichOneof("type")
            if which in ("selectbox", "checkbox", "button"):
                w = getattr(el, which)
                opts = list(w.options) if which == "selectbox" else []
                value = w.raw_value if which == "selectbox" and w.HasField("raw_value") else None
                self.elements[w.label] = (w.id, opts, value)
            elif which == "exception":
                self.problems.append(f"exception {el.exception.type}: {el.exception.message[:120]}")
            elif which == "alert" and el.alert.format == 1:  # Alert.ERROR
                self.problems.append(f"error box: {el.alert.body[:120]}")

    async def act(self, timeout: float, **rerun) -> float:
        """One click: send it, read until the script run finishes; returns the seconds it took."""
        self.problems = []
        t0 = time.perf_counter()
        await self.rerun(**rerun)
        await self.until_finished(timeout)
        return time.perf_counter() - t0


@dataclass
class Run:
    """What one workshop run collects."""

    first: list = field(default_factory=list)           # seconds from arrival to the first page
    latencies: dict = field(default_factory=dict)       # step name -> seconds
    errors: list = field(default_factory=list)
    opened: int = 0
    open_failed: int = 0
    done: int = 0       # users who went through the whole mix
    finished: int = 0   # users who stopped clicking, for whatever reason
    meter: object = None                                # --profile: () -> app CPU seconds so far
    cpu: dict = field(default_factory=dict)             # --profile: step name -> app CPU seconds

    def all_latencies(self) -> list[float]:
        return [x for v in self.latencies.values() for x in v]


async def user(i: int, base: str, exp: Expect, outcomes: list[str], start_at: float, think: tuple[float, float],
               timeout: float, rng: random.Random, run: Run, finish: asyncio.Event) -> None:
    import websockets

    o1 = outcomes[i % len(outcomes)]
    o2 = outcomes[(i + 1 + i // len(outcomes)) % len(outcomes)]
    if o2 == o1:
        o2 = outcomes[(i + 1) % len(outcomes)]
    step = "open"
    counted = False  # in run.finished
    try:
        await asyncio.sleep(start_at)
        t0 = time.perf_counter()
        cookie = await cookie_for(base)
        ws_url = re.sub(r"^http", "ws", base).rstrip("/") + "/_stcore/stream"  # https -> wss
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=timeout,
                                      additional_headers={"Cookie": cookie} if cookie else None) as ws:
            tab = Tab(ws, f"outcome={o1}")
            c0 = run.meter() if run.meter else 0.0
            await tab.rerun()
            await tab.until_finished(timeout)
            if run.meter:
                run.cpu.setdefault("first page", []).append(run.meter() - c0)
            if tab.problems or tab.headline != exp.headline(o1):
                run.errors.append(f"user {i} first page: {tab.headline!r} (expected {exp.headline(o1)}) "
                                  f"{'; '.join(tab.problems)}")
                run.open_failed += 1
                return
            run.first.append(time.perf_counter() - t0)
            run.opened += 1

            async def click(name: str, want: str | None = None, need: str | None = None, **rerun) -> bool:
                nonlocal step
                step = name
                await asyncio.sleep(rng.uniform(*think))
                c0 = run.meter() if run.meter else 0.0
                took = await tab.act(timeout, **rerun)
                if run.meter:
                    run.cpu.setdefault(name, []).append(run.meter() - c0)
                bad = list(tab.problems)
                if want is not None and tab.headline != want:
                    bad.append(f"headline {tab.headline!r}, expected {want}")
                if need is not None and need not in tab.elements:
                    bad.append(f"no '{need}' on the page")
                if bad:
                    run.errors.append(f"user {i} {name}: {'; '.join(bad)}")
                    return False
                run.latencies.setdefault(name, []).append(took)
                return True

            option = next((o for o in tab.elements[OUTCOME][1] if o.startswith(exp.labels[o2])), None)
            ok = (await click(STEPS[0], exp.headline(o1, GOOD_FAIR), changes=[(tab.checkbox_id, True)])
                  and option is not None
                  and await click(STEPS[1], exp.headline(o2, GOOD_FAIR), changes=[(tab.elements[OUTCOME][0], option)])
                  and await click(STEPS[2], exp.headline(o2, GOOD_FAIR, REAL_ROWS),
                                  changes=[(tab.elements[REAL_ONLY][0], True)])
                  and await click(STEPS[3], need=MODERATOR, page=tab.pages["subgroups"]))
            if ok:
                mid, opts, current = tab.elements[MODERATOR]
                other = [m for m in opts if m != current]
                ok = (bool(other) and await click(STEPS[4], changes=[(mid, rng.choice(other))])
                      and await click(STEPS[5], trigger=tab.elements[PRESET][0])
                      and await click(STEPS[6], exp.headline(o2, GOOD_FAIR), page=tab.pages["explore"]))
            if option is None:
                run.errors.append(f"user {i}: no option for {o2} in the Outcome selectbox")
            run.done += ok
            run.finished += 1
            counted = True
            await finish.wait()  # stay connected until the figures are read
    except Exception as exc:  # noqa: BLE001 - counted, the benchmark goes on
        msg = str(exc).splitlines()[0][:160] if str(exc) else ""
        run.errors.append(f"user {i} {step}: {type(exc).__name__} {msg}")
        run.open_failed += step == "open"
    finally:
        if not counted:
            run.finished += 1


async def workshop(url: str, ports: list[int], n: int, open_within: float, think: tuple[float, float],
                   timeout: float, exp: Expect, seed: int) -> dict:
    """One workshop of ``n`` users; prints its figures and returns the headline ones."""
    outcomes = exp.outcomes()
    rng = random.Random(seed)
    run = Run()
    finish = asyncio.Event()
    base_rss = rss_kib(ports)
    cpu0, client0, t0 = cpu_seconds(ports), time.process_time(), time.perf_counter()
    tasks = [asyncio.create_task(user(i, url, exp, outcomes, rng.uniform(0, open_within), think, timeout,
                                      random.Random(seed * 1000 + i), run, finish)) for i in range(n)]
    open_rss = base_rss
    limit = time.monotonic() + open_within + timeout + len(STEPS) * (think[1] + timeout) + 30
    seen_open = False
    while run.finished < n and time.monotonic() < limit:
        if not seen_open and run.opened + run.open_failed >= n:
            open_rss, seen_open = rss_kib(ports), True  # every user's first page is drawn (or failed)
        await asyncio.sleep(0.2)
    if not seen_open:
        open_rss = rss_kib(ports)
    cpu1, client1, wall = cpu_seconds(ports), time.process_time(), time.perf_counter() - t0
    finish.set()
    for t in tasks:
        if not t.done():
            t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    cores = os.cpu_count() or 1
    lat = run.all_latencies()
    clicks = len(lat)
    app = cpu1["app"] - cpu0["app"]
    stolen = cpu1["stolen"] - cpu0["stolen"]
    print(f"\n== workshop: {n} users open the link within {open_within:g} s, then {len(STEPS)} steps each after "
          f"{think[0]:g}-{think[1]:g} s of think time; {len(ports)} app processes behind nginx; {cores} CPUs "
          f"(shared with other work on this machine), load average {os.getloadavg()[0]:.1f} at the end")
    if run.first:
        over = sum(1 for x in run.first if x > 3.0)
        print(f"first page (arrival -> page drawn): n = {len(run.first)}, p50 = {statistics.median(run.first):.2f} s, "
              f"p95 = {pct(run.first, 0.95):.2f} s, max = {max(run.first):.2f} s; over 3 s: {over}")
    if lat:
        print(f"click-to-update: n = {clicks}, p50 = {1000 * statistics.median(lat):.0f} ms, "
              f"p95 = {1000 * pct(lat, 0.95):.0f} ms, max = {1000 * max(lat):.0f} ms")
        print("  by step (p50 / p95 ms): " + "; ".join(
            f"{s} {1000 * statistics.median(run.latencies[s]):.0f} / {1000 * pct(run.latencies[s], 0.95):.0f}"
            for s in STEPS if run.latencies.get(s)))
    print(f"errors: {len(run.errors)} ({run.done} of {n} users finished the mix)"
          + "".join(f"\n  - {e}" for e in run.errors[:15]))
    print(f"app CPU over the {wall:.0f} s: {app:.1f} s ({1000 * app / max(1, clicks + len(run.first)):.0f} ms per "
          f"page or click); CPU stolen by the hypervisor: {stolen:.1f} s of {cores * wall:.0f} core-seconds; this "
          f"client: {client1 - client0:.1f} s")
    per_session = (open_rss - base_rss) / 1024 / max(1, run.opened)
    print(f"server RSS: {base_rss / 1024:.0f} MiB before, {open_rss / 1024:.0f} MiB with {run.opened} sessions "
          f"open: {per_session:.1f} MiB per session")
    p95 = pct(lat, 0.95) if lat else float("inf")
    cpu_per_action = app / max(1, clicks + len(run.first))
    return {"n": n, "p95": p95, "errors": len(run.errors), "first_max": max(run.first) if run.first else None,
            "cpu_per_action": cpu_per_action}


async def profile(url: str, ports: list[int], n: int, timeout: float, exp: Expect) -> None:
    """``n`` users one after another, no think time, nobody else on the deployment: each step's latency unloaded
    and the app CPU it costs (from /proc, 10 ms ticks: medians over the users), and what that makes a user's mix."""
    outcomes = exp.outcomes()
    run = Run(meter=lambda: cpu_seconds(ports)["app"])
    for i in range(n):
        finish = asyncio.Event()
        finish.set()
        await user(i, url, exp, outcomes, 0.0, (0.0, 0.0), timeout, random.Random(i), run, finish)
    print(f"\n== profile: {n} users one after another, no think time; errors: {len(run.errors)}"
          + "".join(f"\n  - {e}" for e in run.errors[:10]))
    names = ["first page", *STEPS]
    for name in names:
        lat = run.first if name == "first page" else run.latencies.get(name, [])
        if lat and run.cpu.get(name):
            print(f"  {name}: latency p50 {1000 * statistics.median(lat):.0f} ms, app CPU p50 "
                  f"{1000 * statistics.median(run.cpu[name]):.0f} ms")
    per_user = sum(statistics.median(run.cpu[k]) for k in names if run.cpu.get(k))
    per_step = per_user / len(names)
    # One core as an M/M/1 queue: the time in the system is exponential with mean s / (1 - rho), so its p95 is
    # ln(20) s / (1 - rho), at most 1 s while rho <= 1 - ln(20) s (an estimate: real clicks are neither Poisson nor
    # exponential, and a core shared with other work serves less).
    rho = max(0.0, 1 - math.log(20) * per_step)
    full = len(STEPS) * 10 / per_user
    print(f"app CPU for one user's whole mix: {per_user:.2f} s ({1000 * per_step:.0f} ms per page or click); with "
          f"5-15 s think time (10 s mean) before each of {len(STEPS)} steps, one core at 100 % busy serves "
          f"{full:.0f} users; at p95 1 s (M/M/1 per core: busy at most 1 - ln 20 x {per_step:.2f} s = "
          f"{100 * rho:.0f} %) about {full * rho:.0f} users per core, if the core is the app's alone")


async def main_async(url: str, ports: list[int], steps: list[int], ramp: bool, open_within: float,
                     think: tuple[float, float], timeout: float, profile_n: int = 0) -> None:
    exp = Expect()
    if profile_n:
        await profile(url, ports, profile_n, timeout, exp)
        return
    results = []
    for k, n in enumerate(steps):
        r = await workshop(url, ports, n, open_within, think, timeout, exp, seed=k + 1)
        results.append(r)
        if ramp and (r["p95"] > 1.0 or r["errors"]):
            break
        await asyncio.sleep(5)  # let the closed sessions go
    if ramp:
        cores = os.cpu_count() or 1
        held = [r["n"] for r in results if r["p95"] <= 1.0 and not r["errors"]]
        mean_think = sum(think) / 2
        cpu = statistics.median(r["cpu_per_action"] for r in results)
        print("\n== ramp: " + "; ".join(f"{r['n']} users p95 {1000 * r['p95']:.0f} ms, {r['errors']} errors"
                                       for r in results))
        print(f"held at p95 <= 1 s: {max(held) if held else 0} users on {cores} cores = "
              f"{(max(held) if held else 0) / cores:.0f} sessions per core"
              + ("" if len(held) < len(results) else " (the largest step tried; the limit is higher)"))
        print(f"from CPU per page or click ({1000 * cpu:.0f} ms) and one click per {mean_think:g} s of think time: "
              f"{mean_think / cpu:.0f} sessions per core at 100 % busy (this machine's cores are shared: less here)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", default="300", help="users per workshop, comma-separated for several runs")
    ap.add_argument("--ramp", action="store_true", help="stop at the first run over p95 1 s; print sessions per core")
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--open-within", type=float, default=10.0, help="seconds over which the users arrive")
    ap.add_argument("--think", default="5,15", help="think time before each step: min,max seconds")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one page or update")
    ap.add_argument("--cold", action="store_true", help="no warm-up (deploy/run.sh --no-warm)")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="instead: N users one after another, no think time: each step's latency and app CPU alone")
    ap.add_argument("--url", help="use a deployment already running there (e.g. several machines behind one proxy, "
                                  "deploy/README.md) instead of starting one here")
    ap.add_argument("--ports", type=int, nargs="*", default=[],
                    help="with --url: ports of app processes on this machine, for the CPU and memory figures")
    args = ap.parse_args()
    steps = [int(s) for s in args.sessions.split(",") if s.strip()]
    lo, hi = (float(x) for x in args.think.split(","))
    if args.url:
        print(f"using {args.url}; server CPU and memory: " + (f"app processes on ports {args.ports} of this machine"
                                                              if args.ports else "not measured (no --ports)"))
        asyncio.run(main_async(args.url, args.ports, steps, args.ramp, args.open_within, (lo, hi), args.timeout,
                               args.profile))
        return
    from tests.live_deploy import deployment

    prefix = Path(tempfile.mkdtemp(prefix="peerstats-bench-workshop."))
    print("serving app.py, processes " + ("not warmed" if args.cold else "warmed (deploy/warm.py)"))
    with deployment(workers=args.workers, prefix=prefix, log=prefix / "run.log", warm=not args.cold,
                    timeout=300.0) as url:
        ports = [int(p) for p in re.findall(r"server 127\.0\.0\.1:(\d+)", (prefix / "nginx.conf").read_text())]
        asyncio.run(main_async(url, ports, steps, args.ramp, args.open_within, (lo, hi), args.timeout,
                               args.profile))


if __name__ == "__main__":
    main()
