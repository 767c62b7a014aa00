"""peerstats.specifications: every row equals pool(select(evidence, filters, outcome), method, test)."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_evidence import evidence

from peerstats import specifications
from peerstats.data import load_evidence
from peerstats.meta import pool
from peerstats.multiverse import MULTIVERSE_COLUMNS, choice_sets
from peerstats.select import Filters, select

# The batch sums the same terms as pool() in another order (matrix products over a 0/1 mask instead of sums over the
# selected rows); REML/PM tau2 solve the same equations for all rows at once (Fisher scoring with the engine's
# stopping rule; PM by bisection to floating-point resolution). Differences are rounding only: 1e-9 relative.
RTOL = 1e-9
ATOL = 1e-12


@pytest.fixture(scope="module")
def bundled():
    ev = load_evidence()
    return ev, specifications(ev, "personal_recovery")


def test_at_least_1000_specifications_for_personal_recovery(bundled):
    _, df = bundled
    assert list(df.columns) == list(MULTIVERSE_COLUMNS)
    assert len(df) >= 1000
    assert (df["k"] >= 2).all()
    assert set(df["method"]) == {"FE", "DL", "REML", "PM"} and set(df["test"]) == {"z", "knha"}
    # each filter combination appears once per method x test
    assert (df.groupby([df["filters"].map(repr)]).size() == 8).all()


def _check_row(ev, row, outcome):
    sel = select(ev, row.filters, outcome)
    assert sel.k == row.k
    ref = pool(sel.yi, sel.vi, method=row.method, test=row.test)
    for f in ("estimate", "ci_low", "ci_high", "pval", "tau2"):
        assert np.isclose(getattr(row, f), getattr(ref, f), rtol=RTOL, atol=ATOL), (f, row, getattr(ref, f))


def test_sample_of_rows_recomputed_one_by_one(bundled):
    ev, df = bundled
    rng = np.random.default_rng(11)
    sample = rng.choice(len(df), size=120, replace=False)
    for i in sample:
        _check_row(ev, df.iloc[i], "personal_recovery")


def test_extreme_rows_recomputed(bundled):
    # the largest, smallest estimates and the widest intervals: where a mistake would show first on the curve
    ev, df = bundled
    width = df["ci_high"] - df["ci_low"]
    for i in {df["estimate"].idxmax(), df["estimate"].idxmin(), width.idxmax(), width.idxmin(), df["k"].idxmax()}:
        _check_row(ev, df.loc[i], "personal_recovery")


def test_synthetic_evidence_every_row():
    ev = evidence()
    df = specifications(ev, "personal_recovery")
    assert len(df) > 0
    for row in df.itertuples(index=False):
        _check_row(ev, row, "personal_recovery")


def test_real_rows_choice_keeps_only_reported_and_derived(bundled):
    ev, df = bundled
    real = df[df["rows"] == "real rows"]
    for f in real["filters"].head(20):
        assert set(select(ev, f, "personal_recovery").effects["provenance"]) <= {"reported", "derived"}


def test_choice_sets_are_distinct():
    for name, options in choice_sets().items():
        kept = [frozenset(v) for _, v in options]
        assert len(set(kept)) == len(kept), name


def test_bad_options_raise():
    with pytest.raises(ValueError, match="method"):
        specifications(evidence(), "personal_recovery", methods=("ML",))


def test_unknown_outcome_gives_empty_frame():
    df = specifications(evidence(), "no_such_outcome")
    assert len(df) == 0 and list(df.columns) == list(MULTIVERSE_COLUMNS)


def test_base_filters_are_kept():
    ev = evidence()
    base = Filters(excluded_trials=("t1",))
    df = specifications(ev, "personal_recovery", base=base)
    assert all(f.excluded_trials == ("t1",) for f in df["filters"])


@pytest.mark.parametrize("method", ["FE", "DL", "REML", "PM"])
@pytest.mark.parametrize("test", ["z", "knha"])
def test_batch_pool_rows_of_different_effects_agree_with_pool(method, test):
    """batch_pool on a matrix of effects and variances (one analysis per row, as the imputation range uses it),
    including rows of k = 1 and k = 2 and rows on a tiny variance scale, equals pool row by row."""
    from peerstats.multiverse import batch_pool

    rng = np.random.default_rng(11)
    n, k = 40, 9
    Y = rng.normal(0.2, 0.4, (n, k))
    V = rng.uniform(0.005, 0.2, (n, k))
    V[5] *= 1e-8  # rescaled internally, as the engine does
    Y[5] *= 1e-4
    masks = rng.random((n, k)) < 0.7
    masks[0] = False
    masks[0, 3] = True  # k = 1
    masks[1] = False
    masks[1, :2] = True  # k = 2
    masks[masks.sum(axis=1) == 0, 0] = True
    got = batch_pool(Y, V, masks, method, test, 0.95)
    for i in range(n):
        ref = pool(Y[i, masks[i]], V[i, masks[i]], method=method, test=test)
        np.testing.assert_allclose([got["estimate"][i], got["ci_low"][i], got["ci_high"][i]],
                                   [ref.estimate, ref.ci_low, ref.ci_high], rtol=1e-7, atol=1e-10 * abs(ref.se))


def _upload():
    """An imported file with its own columns (no codebook category, quality, control, leadership)."""
    import io

    import pandas as pd

    from peerstats.importer import import_studies

    rng = np.random.default_rng(5)
    k = 14
    df = pd.DataFrame({"study": [f"S{i}" for i in range(k)], "yi": np.round(rng.normal(0.3, 0.3, k), 3),
                       "vi": np.round(rng.uniform(0.02, 0.1, k), 4),
                       "setting": [["clinic", "online", "home"][i % 3] for i in range(k)],
                       "blinded": [["yes", "no"][i % 2] for i in range(k)],
                       "precalc_g": np.round(rng.normal(0, 1, k), 2)})
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    res = import_studies(buf.getvalue().encode(), "u.csv")
    return res.evidence, {c: res.moderator_names[c] for c, kind in res.moderators.items() if kind == "categorical"}


def test_an_uploads_multiverse_varies_its_own_columns():
    from peerstats.multiverse import column_choices

    ev, columns = _upload()
    assert set(columns) == {"setting", "blinded"}  # precalc_g is a number, not a choice
    dims = column_choices(ev.trials, columns)
    labels = {c: [label for label, _ in opts] for c, (_w, opts) in dims.items()}
    assert labels == {"blinded": ["all", "no", "yes"],
                      "setting": ["all", "clinic", "home", "online", "not clinic", "not home", "not online"]}
    df = specifications(ev, "main_outcome", dimensions=dims)
    assert [c for c, _ in df.attrs["choices"]] == ["blinded", "setting", "method", "test"]
    # every combination leaves >= 2 of 14 studies here: 3 x 7 filter combinations x 4 estimators x 2 tests
    assert len(df) == 3 * 7 * 8 and "categories" not in df
    for row in df.itertuples(index=False):
        _check_row(ev, row, "main_outcome")
    one = df[(df["setting"] == "online") & (df["blinded"] == "yes")].iloc[0]
    assert one["filters"].columns == (("blinded", ("yes",)), ("setting", ("online",)))
    assert one["k"] == sum(1 for i in range(14) if i % 3 == 1 and i % 2 == 0)


@pytest.mark.apptest
def test_two_sessions_on_the_same_view_compute_the_multiverse_once(monkeypatch, bundled):
    """The multiverse goes through the shared memo (dashboard.memo's cache policy): a second session opening the
    same view, and the first coming back to it, compute nothing; another outcome computes its own."""
    from streamlit.testing.v1 import AppTest

    import peerstats.multiverse as mv
    from dashboard import memo
    from test_apptest import APP, assert_clean, metrics

    memo.clear()
    calls = []
    real = mv.specifications

    def counting(*args, **kwargs):
        calls.append((args[1], kwargs.get("methods")))
        return real(*args, **kwargs)

    monkeypatch.setattr(mv, "specifications", counting)
    sessions = []
    for _ in range(2):
        at = AppTest.from_file(APP, default_timeout=120)
        at.switch_page("pages/multiverse.py").run()
        assert_clean(at)
        sessions.append(at)
    per_estimator = len(mv.METHODS)   # one call per estimator, each reported as progress
    assert len(calls) == per_estimator and {o for o, _ in calls} == {"personal_recovery"}
    want = bundled[1]   # computed before any session, by specifications itself
    for at in sessions:
        assert metrics(at)["Specifications"] == f"{int(np.isfinite(want['estimate']).sum()):,}"
    sessions[0].sidebar.selectbox(key="v_outcome").set_value("hope").run()
    assert_clean(sessions[0])
    assert len(calls) == 2 * per_estimator and calls[-1][0] == "hope"
    sessions[1].sidebar.selectbox(key="v_outcome").set_value("hope").run()
    assert len(calls) == 2 * per_estimator, "the second session's hope multiverse came from the memo"
    memo.clear()
