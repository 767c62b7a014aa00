"""Warm freshly started app processes before the proxy sends them users: open each common view once per process.

Why: every app process keeps its own memo of selections, pooled results and chart specs (``dashboard/memo.py``). The
first user to open a view in a process pays for computing it (~0.2-0.3 s of CPU, most of it the forest plot); when a
workshop's twenty users open their first views at once on a 2-core machine, those first computations queue and the
first click takes seconds (``benchmarks/bench_protocol.py --cold``: round 1 p95 3.5 s; later rounds 0.2-0.5 s).
``deploy/run.sh`` therefore runs this script after the processes answer and *before* nginx starts: the warm-up
competes with nobody. (Warming in a background thread of a process that already takes users was tried and made the
first round worse.)

What is opened (:func:`views`), so that the shared memo holds what a workshop's users hit first
(``benchmarks/bench_workshop.py``: open the shared link, exclude poor-quality trials, change the outcome, tick "Trial
data only", go to Subgroups, change the moderator, take a preset, back to Explore):

1. Explore, every outcome with data in the bundled evidence under each workshop preset (:data:`dashboard.view.PRESETS`:
   the paper's main analysis, fair/good quality only, peers online only); the "Exclude poor-quality trials" checkbox
   gives the fair/good view.
2. Explore, every outcome as a plain link opens it (no filter), and with "Trial data only" ticked, alone and with
   "Exclude poor-quality trials".
3. Subgroups, every outcome with fair/good quality and trial data only, and with fair/good quality only (the preset
   taken on Subgroups), split by the default moderator; with ``--moderators all`` by every codebook moderator (13: a
   user's moderator change; ~4x longer).
4. The Multiverse page's default view (its multiverse and the specification curve of 3,280 points: several seconds
   the first time, a lookup after).

Measured on one process here (2 shared cores, load ~5): 121 views in 33 s cold (the 46 preset views: 12 s; the 44
plain and trial-data-only Explore views: 9 s; the 30 Subgroups views: 7 s; the Multiverse: 5 s), 16 s when the memo
is already warm (the cost of 121 sessions). ``--moderators all`` adds 360 Subgroups views (~0.2-0.35 s each cold).

Each view is a new session speaking Streamlit's websocket protocol, as a browser opening the view's link does
(``rerun_script`` with the link's query string), read until the script run finishes. Other views are computed when
first asked for, as before.

Usage::

    python -m deploy.warm --ports 8601 8602 8603 [--timeout 60] [--moderators default|all]

Prints one line per process (views, seconds, problems) and exits 0 even when a view fails (warming is an
optimisation; the failure is printed and the view is computed on first use instead); exit code 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The address the app processes listen on (deploy/run.sh --bind sets it for the warm-up).
HOST = os.environ.get("PEERSTATS_BIND", "127.0.0.1")


#: The rows the "Trial data only" checkbox keeps, and the levels "Exclude poor-quality trials" keeps, in the order the
#: sidebar's callbacks write them (``dashboard/sidebar.py``): a view's filters are memo keys, so the order matters.
REAL_ROWS = ("reported", "derived")
FAIR_GOOD = ("good", "fair")


def views(moderators: str = "default") -> list[str]:
    """The query strings to open (see the module docstring; an outcome no trial reported costs nothing to show).

    Parameters
    ----------
    moderators : {"default", "all"}
        Subgroups views split by the default moderator only, or by every codebook moderator.

    Returns
    -------
    list of str
        ``urlencode(dashboard.view.encode(view))`` query strings (``""`` is the default view), each decoding back
        to its view with :func:`dashboard.view.decode` (tested), in the order a workshop meets them.
    """
    from urllib.parse import urlencode

    from dashboard import view as V
    from peerstats.data import load_evidence
    from peerstats.select import MODERATORS, Filters, outcome_labels

    if moderators not in ("default", "all"):
        raise ValueError(f"moderators must be 'default' or 'all'; got {moderators!r}")
    effects = load_evidence().effects
    reported = set(effects["outcome"])
    outcomes = [o for o in outcome_labels(effects) if o in reported]
    out = [""]  # the default view (the home page as first opened), then every preset

    def add(view) -> None:
        query = urlencode(V.encode(view))
        if query not in out:
            out.append(query)

    for _label, (_key, preset) in V.PRESETS.items():
        for outcome in outcomes:
            add(preset(V.ViewState(outcome=outcome)))
    trial_data = (Filters(), Filters(provenance=REAL_ROWS), Filters(quality=FAIR_GOOD, provenance=REAL_ROWS))
    for outcome in outcomes:
        for filters in trial_data:
            add(V.ViewState(outcome=outcome, filters=filters))
    split_by = list(MODERATORS) if moderators == "all" else [V.DEFAULT.moderator]
    for outcome in outcomes:
        for filters in (Filters(quality=FAIR_GOOD, provenance=REAL_ROWS), Filters(quality=FAIR_GOOD)):
            for moderator in split_by:
                add(V.ViewState(page="subgroups", outcome=outcome, filters=filters, moderator=moderator))
    add(V.ViewState(page="multiverse"))
    return out


async def visit(port: int, query: str, timeout: float) -> str | None:
    """Open ``http://127.0.0.1:port/?query`` as a new session and wait for its script run to finish (a ``page=``
    link first ends a run early to switch pages: the page's own run is awaited, not that one).

    Returns
    -------
    str or None
        ``None`` when the run finished without an exception element; otherwise a one-line description.
    """
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    import websockets  # a dependency of Streamlit itself

    try:
        conn = await asyncio.wait_for(websockets.connect(f"ws://{HOST}:{port}/_stcore/stream",
                                                         subprotocols=["streamlit"], max_size=None), timeout)
    except Exception as exc:  # noqa: BLE001 - reported in words, the warm-up goes on
        return f"?{query}: could not connect ({type(exc).__name__})"
    try:
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.context_info.timezone = "UTC"
        await conn.send(msg.SerializeToString())
        deadline = time.monotonic() + timeout
        failed = None
        while True:
            raw = await asyncio.wait_for(conn.recv(), max(0.01, deadline - time.monotonic()))
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element" and \
                    fwd.delta.new_element.WhichOneof("type") == "exception":
                failed = f"?{query}: the page raised {fwd.delta.new_element.exception.type or 'an exception'}"
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # a link to another page: the app switched pages and runs that page's script now
                return failed
    except asyncio.TimeoutError:
        return f"?{query}: no finished run within {timeout:g} s"
    except websockets.ConnectionClosed:
        return f"?{query}: the server closed the connection"
    finally:
        await conn.close()


async def warm_process(port: int, queries: list[str], timeout: float) -> tuple[float, list[str]]:
    """Open every query on one process, one after another; return (seconds, problems)."""
    t0 = time.perf_counter()
    problems = [p for p in [await visit(port, q, timeout) for q in queries] if p]
    return time.perf_counter() - t0, problems


async def warm(ports: list[int], queries: list[str], timeout: float) -> list[tuple[int, float, list[str]]]:
    """Warm the processes on ``ports`` side by side (each one view at a time); one (port, seconds, problems) each."""
    done = await asyncio.gather(*(warm_process(p, queries, timeout) for p in ports))
    return [(p, s, problems) for p, (s, problems) in zip(ports, done)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ports", type=int, nargs="+", required=True, help="the app processes' ports on 127.0.0.1")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one view (default 60)")
    ap.add_argument("--moderators", choices=("default", "all"), default="default",
                    help="Subgroups views split by the default moderator only (default) or by every moderator")
    args = ap.parse_args(argv)
    queries = views(args.moderators)
    t0 = time.perf_counter()
    for port, seconds, problems in asyncio.run(warm(args.ports, queries, args.timeout)):
        print(f"warm-up: port {port}: {len(queries) - len(problems)} of {len(queries)} views in {seconds:.1f} s"
              + "".join(f"\n  - {p}" for p in problems[:10]), flush=True)
    print(f"warm-up: {len(args.ports)} processes warmed in {time.perf_counter() - t0:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
