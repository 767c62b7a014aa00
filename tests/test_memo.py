"""dashboard.memo: the process-wide memo behind a fast rerun. What it returns must equal what it memoises."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dashboard import charts, memo
from peerstats.data import load_evidence
from peerstats.meta import pool
from peerstats.select import Filters, outcome_table, select


@pytest.fixture(scope="module")
def evidence():
    return load_evidence()


@pytest.fixture(autouse=True)
def _fresh():
    memo.clear()
    yield
    memo.clear()


def test_lru_evicts_the_least_recently_used():
    cache = memo.LRU(2)
    calls = []

    def make(v):
        return lambda: calls.append(v) or v

    assert cache.get_or_compute("a", make(1)) == 1
    assert cache.get_or_compute("b", make(2)) == 2
    assert cache.get_or_compute("a", make(99)) == 1   # hit: "a" is now the most recent
    assert cache.get_or_compute("c", make(3)) == 3    # evicts "b", the least recently used
    assert cache.get_or_compute("b", make(4)) == 4    # recomputed
    assert calls == [1, 2, 3, 4]
    assert len(cache) == 2 and (cache.hits, cache.misses) == (1, 4)
    with pytest.raises(ValueError):
        memo.LRU(0)


def test_token_follows_content_not_identity(evidence):
    same = dataclasses.replace(evidence)  # a new object with the same frames
    assert memo.token(same) == memo.token(evidence)
    effects = evidence.effects.copy()
    effects.loc[effects.index[0], "yi"] = effects["yi"].iloc[0] + 0.001
    changed = dataclasses.replace(evidence, effects=effects)
    assert memo.token(changed) != memo.token(evidence)


def test_select_is_the_same_selection_and_shared(evidence):
    f = Filters(quality=("good", "fair"))
    got = memo.select(evidence, f, "personal_recovery")
    want = select(evidence, f, "personal_recovery")  # computed independently
    np.testing.assert_array_equal(got.yi, want.yi)
    np.testing.assert_array_equal(got.vi, want.vi)
    pd.testing.assert_frame_equal(got.effects, want.effects)
    assert memo.select(evidence, f, "personal_recovery") is got            # the second call is a lookup
    assert memo.select(evidence, Filters(), "personal_recovery") is not got  # another view, another entry
    with pytest.raises(ValueError):  # shared between sessions: the arrays refuse writes
        got.yi[0] = 0.0


def test_pool_and_outcome_table_equal_direct_calls(evidence):
    f = Filters(categories=("online",))
    sel = memo.select(evidence, f, "personal_recovery")
    res = memo.pool(evidence, f, "personal_recovery", "REML", "knha", lambda: pool(sel.yi, sel.vi, "REML", "knha"))
    direct = pool(select(evidence, f, "personal_recovery").yi, select(evidence, f, "personal_recovery").vi,
                  "REML", "knha")
    assert res.estimate == direct.estimate and res.ci_low == direct.ci_low and res.tau2 == direct.tau2
    # the key holds the method: a DL request is not answered with the REML result
    dl = memo.pool(evidence, f, "personal_recovery", "DL", "knha", lambda: pool(sel.yi, sel.vi, "DL", "knha"))
    assert dl.method == "DL"
    tab = memo.outcome_table(evidence, f, "DL", "z")
    pd.testing.assert_frame_equal(tab, outcome_table(evidence, f, "DL", "z"))
    assert memo.outcome_table(evidence, f, "DL", "z") is tab


def _rows(arrow: bytes) -> list[dict]:
    return pa.ipc.open_stream(arrow).read_all().to_pylist()


def test_built_chart_spec_is_the_altair_spec_with_arrow_datasets(evidence):
    sel = select(evidence, Filters(), "personal_recovery")
    res = pool(sel.yi, sel.vi)
    built = memo.chart(charts.forest, sel.effects, res, "Personal recovery")
    plain = charts.forest(sel.effects, res, "Personal recovery").to_dict()  # built independently
    assert set(built.spec) == set(plain)
    assert set(built.spec["datasets"]) == set(plain["datasets"])
    for name, rows in plain["datasets"].items():
        assert isinstance(built.spec["datasets"][name], bytes)
        decoded = _rows(built.spec["datasets"][name])
        assert len(decoded) == len(rows)
        for a, b in zip(decoded, rows):
            assert set(a) == set(b)
            for col in b:
                x, y = a[col], b[col]
                if isinstance(y, float) and np.isnan(y):
                    assert x is None or np.isnan(x)
                else:
                    assert x == y, (name, col)
    assert {k: v for k, v in built.spec.items() if k != "datasets"} == \
        {k: v for k, v in plain.items() if k != "datasets"}
    # same arguments: the same object; another outcome label: another chart
    assert memo.chart(charts.forest, sel.effects, res, "Personal recovery") is built
    assert memo.chart(charts.forest, sel.effects, res, "Hope") is not built
    assert built.params == built.chart.params


def test_arrow_datasets_hold_mixed_columns():
    """A column pyarrow cannot type from the records (numbers and text) still arrives, through pandas."""
    rows = [{"a": 1, "b": "x"}, {"a": "two", "b": None}, {"a": 3.5, "b": "z"}]
    back = _rows(memo._arrow_bytes(rows))
    assert [r["b"] for r in back] == ["x", None, "z"]
    assert [str(r["a"]) for r in back] == ["1", "two", "3.5"]
    assert _rows(memo._arrow_bytes([])) == []


def test_token_is_stable_after_other_work(evidence):
    """The token hashes content, not a pickle: pandas pickles the same frames differently once other views have been
    computed in the process (seen while testing a warm-up), which would give one evidence several tokens."""
    from peerstats.select import outcome_labels

    before = memo.token(evidence)
    for outcome in list(outcome_labels(evidence.effects))[:8]:  # the kind of work a few reruns do
        memo.select(evidence, Filters(quality=("good", "fair")), outcome)
        memo.outcome_table(evidence, Filters(), "DL", "z")
    memo.clear()  # forget the remembered token: recompute from the content
    assert memo.token(evidence) == before
    assert memo.token(load_evidence()) == before  # a fresh load of the same files


# ------------------------------------------------------------------------------------------------------------------
# the multiverse: one per (data, outcome, dimensions) in the process, single-flight
# ------------------------------------------------------------------------------------------------------------------
def _same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got.drop(columns="filters"), want.drop(columns="filters"))
    assert list(got["filters"]) == list(want["filters"])
    assert got.attrs == want.attrs


def test_the_memoised_multiverse_is_one_call_of_specifications_with_progress_in_words(evidence):
    from peerstats.multiverse import METHODS, specifications

    said = []
    got = memo.multiverse(evidence, "hope", None, progress=lambda d, t, w: said.append((d, t, w)))
    _same_frame(got, specifications(evidence, "hope"))
    assert [(d, t) for d, t, _ in said] == [(i, len(METHODS)) for i in range(len(METHODS) + 1)]
    assert "Paule-Mandel" in said[3][2] and said[-1][2] == f"{len(got):,} specifications pooled"
    said.clear()
    assert memo.multiverse(evidence, "hope", None, progress=lambda *a: said.append(a)) is got
    assert said == [], "a hit does no work and reports none"


def test_an_uploads_multiverse_is_keyed_on_its_dimensions():
    from test_multiverse import _upload

    from peerstats.multiverse import column_choices, specifications

    ev, columns = _upload()
    both = column_choices(ev.trials, columns)
    one = {c: both[c] for c in list(both)[:1]}
    _same_frame(memo.multiverse(ev, "main_outcome", both), specifications(ev, "main_outcome", dimensions=both))
    _same_frame(memo.multiverse(ev, "main_outcome", one), specifications(ev, "main_outcome", dimensions=one))
    assert len(memo.MULTIVERSE) == 2 and memo.MULTIVERSE.misses == 2


def test_single_flight_computes_a_key_once_while_other_keys_proceed():
    import threading

    cache = memo.LRU(4, single_flight=True)
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow():
        calls.append("slow")
        started.set()
        release.wait(10)
        return "value"

    out = {}
    first = threading.Thread(target=lambda: out.__setitem__("first", cache.get_or_compute("k", slow)))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=lambda: out.__setitem__("second", cache.get_or_compute("k", slow)))
    second.start()
    assert cache.get_or_compute("other", lambda: "free") == "free"   # another key is not held up
    release.set()
    first.join(10)
    second.join(10)
    assert out == {"first": "value", "second": "value"} and calls == ["slow"]
    assert cache.misses == 2 and cache.hits == 1


def test_single_flight_a_failed_computation_lets_the_waiter_compute():
    import threading

    cache = memo.LRU(4, single_flight=True)
    started, release = threading.Event(), threading.Event()

    def fails():
        started.set()
        release.wait(10)
        raise RuntimeError("boom")

    errors = []

    def first():
        try:
            cache.get_or_compute("k", fails)
        except RuntimeError as exc:
            errors.append(str(exc))

    t = threading.Thread(target=first)
    t.start()
    assert started.wait(10)
    out = []
    w = threading.Thread(target=lambda: out.append(cache.get_or_compute("k", lambda: "second")))
    w.start()
    release.set()
    t.join(10)
    w.join(10)
    assert errors == ["boom"] and out == ["second"] and cache.get("k") == "second"
