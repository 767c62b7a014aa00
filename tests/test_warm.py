"""deploy/warm.py: the views a deployment opens in each app process before nginx sends it users (issue 12).

The list is checked against the presets written out here (not read from ``dashboard.view.PRESETS``) and each query
must decode to its view; ``visit`` is checked against a live app (one success, one refused connection). The whole
warm-up through ``deploy/run.sh`` is checked in ``test_browser_deploy.py`` (its deployment warms its processes).
"""

from __future__ import annotations

import asyncio
import importlib.util
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
from live_app import ROOT

from dashboard import view as V
from peerstats.select import Filters

_spec = importlib.util.spec_from_file_location("warm", ROOT / "deploy" / "warm.py")
warm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(warm)

#: The workshop presets' filters, written out: the paper (the rows it pooled), fair/good quality only, peers online
#: only.
PRESET_FILTERS = (Filters(paper_analysis=True), Filters(quality=("good", "fair")), Filters(categories=("online",)))


def bundled_outcomes() -> list[str]:
    """Outcomes with at least one effect row in the bundled data, read from the CSV itself."""
    effects = pd.read_csv(ROOT / "data" / "effects.csv")
    return sorted(effects["outcome"].dropna().unique())


#: "Trial data only" (reported and derived rows) and "Exclude poor-quality trials", written out.
REAL = ("reported", "derived")
GOOD_FAIR = ("good", "fair")


def _decoded(queries):
    outcomes = bundled_outcomes()
    seen = []
    for q in queries:
        params = {k: v[0] for k, v in parse_qs(q).items()}
        view = V.decode(params, outcomes=outcomes)
        assert view.method == "DL" and view.test == "z", q
        assert V.encode(view) == params, f"{q}: not the canonical query"
        seen.append((view.page, view.outcome, view.filters, view.moderator))
    return seen


def test_views_are_what_a_workshop_opens_first():
    queries = warm.views()
    assert len(queries) == len(set(queries)), "a view listed twice"
    outcomes = bundled_outcomes()
    seen = _decoded(queries)
    explore = {(o, f) for o in outcomes for f in PRESET_FILTERS} | {
        (o, f) for o in outcomes for f in (Filters(), Filters(provenance=REAL),
                                           Filters(quality=GOOD_FAIR, provenance=REAL))}
    subgroups = {(o, f) for o in outcomes for f in (Filters(quality=GOOD_FAIR, provenance=REAL),
                                                    Filters(quality=GOOD_FAIR))}
    assert {(o, f) for page, o, f, _m in seen if page == "explore"} == explore
    assert {(o, f) for page, o, f, _m in seen if page == "subgroups"} == subgroups
    assert {m for page, *_rest, m in seen if page == "subgroups"} == {"category"}  # the default moderator
    assert [v for v in seen if v[0] == "multiverse"] == [("multiverse", "personal_recovery", Filters(), "category")]
    assert len(seen) == len(explore) + len(subgroups) + 1
    assert queries[0] == ""  # the default view (the home page as first opened) first
    assert "quality=good%2Cfair" in queries  # what "Exclude poor-quality trials" shows on the home page


def test_every_moderator_on_request():
    from peerstats.select import MODERATORS

    seen = _decoded(warm.views("all"))
    split = {(o, f, m) for page, o, f, m in seen if page == "subgroups"}
    assert split == {(o, f, m) for o in bundled_outcomes() for f in (Filters(quality=GOOD_FAIR, provenance=REAL),
                                                                     Filters(quality=GOOD_FAIR))
                     for m in MODERATORS}
    with pytest.raises(ValueError, match="moderators"):
        warm.views("some")


def test_the_workshop_benchmarks_filters_are_the_warmed_ones():
    """The benchmark's users tick the same boxes (same values, same order: filters are memo keys)."""
    from benchmarks import bench_workshop

    assert warm.REAL_ROWS == bench_workshop.REAL_ROWS == REAL
    assert warm.FAIR_GOOD == bench_workshop.GOOD_FAIR == GOOD_FAIR
    view = V.ViewState(outcome="hope", filters=Filters(quality=GOOD_FAIR, provenance=REAL))
    assert V.from_widgets(V.to_widgets(view), "explore").filters == view.filters


def run(coro):
    """Run a coroutine in its own thread: Playwright's sync API may hold this thread's event loop (browser tests)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_visit_reports_success_and_failure_in_words(app_url):
    port = urlparse(app_url).port
    assert run(warm.visit(port, "outcome=hope&quality=good%2Cfair", 120)) is None
    assert run(warm.visit(port, "page=subgroups&outcome=hope&quality=good%2Cfair&provenance=reported%2Cderived",
                          120)) is None
    assert run(warm.visit(port, "page=multiverse", 180)) is None
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    problem = run(warm.visit(closed, "", 10))
    assert problem is not None and problem.startswith("?: could not connect"), problem


def test_bad_arguments_exit_with_usage():
    with pytest.raises(SystemExit) as exc:
        warm.main([])
    assert exc.value.code == 2
