"""Server load benchmark without a browser: many sessions speaking Streamlit's websocket protocol to the deployment
(deploy/run.sh: nginx + N app processes on 127.0.0.1). Prints figures; asserts nothing.

Why a second load benchmark: ``bench_load.py`` drives real pages in one Chromium on the same 2 cores as the servers,
and its own figures show Chromium using ~4x the app's CPU per click (drawing 20 pages); on a real deployment each
user's browser runs on the user's device. This client does what a browser's Streamlit frontend does on the wire and
nothing else: it opens ``/_stcore/stream`` through nginx (with the sticky cookie nginx sets, so each session stays on
one process), asks for a script run with the page's query string, reads the ForwardMsgs (deltas, page_info_changed,
script_finished), finds the "Exclude poor-quality trials" checkbox's widget id and the headline metric, and then
toggles the checkbox by sending a rerun with its new widget state, exactly the BackMsg a click sends.

Printed: click-to-update latency (rerun sent -> script_finished with the expected headline received): p50, p95, max;
errors (a wrong headline would also be a cross-session leak: each session's expected value is its own); CPU seconds
of the app processes per click; memory per session.

The deployment warms its processes before serving (deploy/warm.py), as ``deploy/run.sh`` does by default; ``--cold``
skips that, so the first round shows twenty users meeting cold per-process memos at once. ``--floor`` is for
``bench_load.py`` only (this client looks for the dashboard's widgets).

Usage::

    python -m benchmarks.bench_protocol                    # 20 sessions, 3 rounds, 3 app processes
    python -m benchmarks.bench_protocol --cold             # no warm-up
    python -m benchmarks.bench_protocol --sessions 50 --rounds 5
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
import urllib.request
from pathlib import Path

from benchmarks.bench_load import cli, expected_values, memory, pct, phases, report, rss_kib

ROOT = Path(__file__).resolve().parents[1]

CHECKBOX = "Exclude poor-quality trials"
HEADLINES = ("Pooled SMD", "SMD (one trial)")


class Session:
    """One simulated browser tab: a websocket, the current query string, the widget id and the headline seen."""

    def __init__(self, ws, query: str) -> None:
        self.ws = ws
        self.query = query
        self.checkbox_id: str | None = None
        self.headline: str | None = None
        #: widget id -> (WidgetState field, value): every value widget drawn, as a browser reports them all on
        #: each rerun (a widget missing from a rerun's states loses its value)
        self.widgets: dict[str, tuple[str, object]] = {}

    def _track(self, which: str, w) -> None:
        """Note a value widget's current value from its proto (the server's ``set_value`` wins, then what this
        client last sent, then the widget's default)."""
        known = self.widgets.get(w.id)
        if which == "checkbox":
            value = w.value if w.set_value else (known[1] if known else w.default)
            self.widgets[w.id] = ("bool_value", bool(value))
        elif which in ("selectbox", "radio"):
            if w.set_value or w.HasField("raw_value"):
                value = w.raw_value
            elif known:
                value = known[1]
            else:
                value = w.options[w.default] if w.HasField("default") and w.default < len(w.options) else None
            if value is not None:
                self.widgets[w.id] = ("string_value", value)
        elif which == "multiselect":
            value = list(w.raw_values) if w.set_value or w.raw_values else (
                known[1] if known else [w.options[i] for i in w.default])
            self.widgets[w.id] = ("string_array_value", value)
        elif which == "number_input":
            value = w.value if w.set_value or w.HasField("value") else (known[1] if known else w.default)
            self.widgets[w.id] = ("double_value", float(value))

    async def rerun(self, changes=(), trigger: str | None = None, page: str | None = None) -> None:
        """Ask for a script run, sending every widget's value (``changes``: (id, value) pairs set before;
        ``trigger``: the id of a button clicked, true for this run only; ``page``: the page script hash to switch
        to, as a click on a page link sends it)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        for wid, value in changes:
            self.widgets[wid] = (self.widgets.get(wid, ("bool_value", None))[0], value)
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        if page:
            msg.rerun_script.page_script_hash = page
        if trigger:
            msg.rerun_script.widget_states.widgets.add(id=trigger, trigger_value=True)
        msg.rerun_script.context_info.timezone = "UTC"
        msg.rerun_script.context_info.locale = "en-GB"
        for wid, (field, value) in self.widgets.items():
            w = msg.rerun_script.widget_states.widgets.add()
            w.id = wid
            if field == "string_array_value":
                w.string_array_value.data.extend(value)
            else:
                setattr(w, field, value)
        await self.ws.send(msg.SerializeToString())

    async def until_finished(self, timeout: float) -> None:
        """Read ForwardMsgs until the script run finishes, noting the checkbox id, the headline and the query."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.headline = None
        deadline = time.monotonic() + timeout
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), max(0.01, deadline - time.monotonic()))
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "script_finished":
                return
            self.note(kind, msg)

    def note(self, kind: str, msg) -> None:
        """Read one ForwardMsg of a script run (``kind``: its type), other than ``script_finished``."""
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            which = el.WhichOneof("type")
            if which in ("checkbox", "selectbox", "radio", "multiselect", "number_input"):
                self._track(which, getattr(el, which))
            if which == "checkbox" and el.checkbox.label == CHECKBOX:
                self.checkbox_id = el.checkbox.id
            elif which == "metric" and self.headline is None and el.metric.label in HEADLINES:
                self.headline = el.metric.body
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string


async def cookie_for(base: str) -> str:
    """The sticky cookie nginx sets on a first page request (each simulated user gets its own)."""
    def get() -> str:
        with urllib.request.urlopen(base, timeout=30) as r:
            return "; ".join(c.split(";", 1)[0] for c in r.headers.get_all("Set-Cookie") or [])
    return await asyncio.to_thread(get)


async def user(base: str, outcome: str, values: tuple[str, str], rounds: int, timeout: float, think: float,
               rng: random.Random, ready: asyncio.Event, opened: list, latencies: list, errors: list,
               clicked: list, finish: asyncio.Event, by_round: dict) -> None:
    import websockets

    ws_url = base.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
    counted = False  # this session is in ``clicked`` (outcomes repeat across sessions: a flag, not a lookup)
    try:
        cookie = await cookie_for(base)
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None,
                                      additional_headers={"Cookie": cookie} if cookie else None) as ws:
            s = Session(ws, f"outcome={outcome}")
            await s.rerun()
            await s.until_finished(timeout)
            if s.headline != values[0] or s.checkbox_id is None:
                errors.append(f"{outcome}: first page shows {s.headline!r} (expected {values[0]}), checkbox "
                              f"{'found' if s.checkbox_id else 'missing'}")
                return
            opened.append(outcome)
            await ready.wait()
            state = 0
            for r in range(rounds):
                await asyncio.sleep(rng.uniform(0, think))
                state = 1 - state
                t0 = time.perf_counter()
                await s.rerun([(s.checkbox_id, bool(state))])
                await s.until_finished(timeout)
                if s.headline != values[state]:
                    errors.append(f"{outcome}: expected {values[state]}, got {s.headline}")
                    continue
                latencies.append(time.perf_counter() - t0)
                by_round.setdefault(r, []).append(latencies[-1])
            clicked.append(outcome)
            counted = True
            await finish.wait()  # stay connected until the CPU figures are read
    except Exception as exc:  # noqa: BLE001 - counted, the benchmark goes on
        errors.append(f"{outcome}: {type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}")
    finally:
        if not counted:
            clicked.append(outcome)


async def run(url: str, ports: list[int], n: int, rounds: int, timeout: float, think: float) -> None:
    values = expected_values()
    outcomes = list(values)
    base_rss = rss_kib(ports)
    latencies: list[float] = []
    errors: list[str] = []
    opened: list[str] = []
    clicked: list[str] = []
    ready, finish = asyncio.Event(), asyncio.Event()
    by_round: dict[int, list[float]] = {}
    t0 = time.perf_counter()
    tasks = [asyncio.create_task(user(url, outcomes[i % len(outcomes)], values[outcomes[i % len(outcomes)]], rounds,
                                      timeout, think, random.Random(i), ready, opened, latencies, errors, clicked,
                                      finish, by_round)) for i in range(n)]
    deadline = time.monotonic() + timeout * 4
    ph = await phases(tasks, ports, t0, opened, errors, clicked, ready, finish, open_deadline=deadline,
                      click_deadline=deadline + timeout * rounds, poll=0.05)
    open_s, open_rss, cpu0, cpu1, click_s = ph.open_s, ph.open_rss, ph.cpu0, ph.cpu1, ph.click_s

    print(f"sessions: {n} websocket clients (Streamlit's protocol, no browser), {rounds} checkbox toggles each after "
          f"0-{think:g} s of think time, {len(ports)} app processes behind nginx; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    print(f"all sessions open (first script run finished) in {open_s:.1f} s ({len(opened)} opened)")
    report(latencies, errors)
    if len(by_round) > 1:  # with --cold the first clicks meet cold per-process memos (dashboard/memo.py)
        print("  by round: " + "; ".join(f"{r + 1}: p50 {1000 * statistics.median(v):.0f} / p95 {1000 * pct(v, 0.95):.0f}"
                                         " ms" for r, v in sorted(by_round.items())))
    used = cpu1["app"] - cpu0["app"]
    stolen = cpu1["stolen"] - cpu0["stolen"]
    print(f"app CPU during the {click_s:.1f} s of clicks: {used:.1f} s ({1000 * used / max(1, len(latencies)):.0f} ms "
          f"per click); CPU time stolen by the hypervisor: {stolen:.1f} s of the "
          f"{(os.cpu_count() or 1) * click_s:.0f} core-seconds")
    memory(base_rss, open_rss, opened)


def main() -> None:
    cli(__doc__, run, timeout_unit=1.0)


if __name__ == "__main__":
    main()
