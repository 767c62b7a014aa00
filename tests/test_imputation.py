"""peerstats.imputation: the range of a pooled result over re-assignments of the imputed (reconstructed) values.

Expected values are computed here independently: inverse-variance formulas written out (fixed effect and
DerSimonian-Laird), permutations listed by hand, and the engine's ``pool`` (checked against metafor elsewhere) for the
bundled data.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from peerstats.data import load_evidence
from peerstats.imputation import for_view, imputation_range
from peerstats.meta import pool
from peerstats.select import Filters, select


def _v(y, n1, n2):
    return 1 / n1 + 1 / n2 + y * y / (2 * (n1 + n2))


def _fe(ys, vs):
    w = [1 / v for v in vs]
    return sum(wi * yi for wi, yi in zip(w, ys)) / sum(w)


def _dl(ys, vs):
    w = [1 / v for v in vs]
    mu = _fe(ys, vs)
    q = sum(wi * (yi - mu) ** 2 for wi, yi in zip(w, ys))
    c = sum(w) - sum(wi * wi for wi in w) / sum(w)
    tau2 = max(0.0, (q - (len(ys) - 1)) / c)
    ws = [1 / (v + tau2) for v in vs]
    mu_re = sum(wi * yi for wi, yi in zip(ws, ys)) / sum(ws)
    se = math.sqrt(1 / sum(ws))
    return mu_re, mu_re - 1.959963984540054 * se, mu_re + 1.959963984540054 * se


# two reported rows and one cell of three reconstructed trials (values 0.1, 0.5, 0.9 dealt in id order)
REPORTED = [("r1", 0.30, 40, 40), ("r2", -0.10, 25, 30)]
RECON = [("a", 0.10, 20, 20), ("b", 0.50, 60, 55), ("c", 0.90, 100, 100)]
PERMS_OF_3 = [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]


def _rows(recon=RECON):
    out = []
    for t, y, n1, n2 in REPORTED:
        out.append(dict(effect_id=f"{t}:x:1", trial_id=t, yi=y, vi=_v(y, n1, n2), n_peer=n1, n_control=n2,
                        provenance="reported", target_cell=None))
    for t, y, n1, n2 in recon:
        out.append(dict(effect_id=f"{t}:x:1", trial_id=t, yi=y, vi=_v(y, n1, n2), n_peer=n1, n_control=n2,
                        provenance="reconstructed", target_cell="all:x"))
    return pd.DataFrame(out)


def _expected(perms, pooler, trials=RECON):
    """Pool the reported rows plus ``trials`` receiving the cell's values in each order of ``perms``."""
    values = [y for _, y, _, _ in RECON]
    out = []
    for perm in perms:
        ys = [y for _, y, _, _ in REPORTED]
        vs = [_v(y, n1, n2) for _, y, n1, n2 in REPORTED]
        for (_t, _y, n1, n2), i in zip(trials, perm):
            ys.append(values[i])
            vs.append(_v(values[i], n1, n2))  # the value takes the receiving trial's variance
        out.append(pooler(ys, vs))
    return out


@pytest.mark.parametrize("method", ["FE", "DL"])
def test_three_values_all_permutations(method):
    res = imputation_range(_rows(), method=method)
    if method == "FE":
        ests = _expected(PERMS_OF_3, _fe)
        assert res.estimate_low == pytest.approx(min(ests), abs=1e-12)
        assert res.estimate_high == pytest.approx(max(ests), abs=1e-12)
    else:
        got = _expected(PERMS_OF_3, _dl)
        ests = [g[0] for g in got]
        assert res.estimate_low == pytest.approx(min(ests), abs=1e-12)
        assert res.estimate_high == pytest.approx(max(ests), abs=1e-12)
        assert res.ci_low_low == pytest.approx(min(g[1] for g in got), abs=1e-12)
        assert res.ci_low_high == pytest.approx(max(g[1] for g in got), abs=1e-12)
        assert res.ci_high_low == pytest.approx(min(g[2] for g in got), abs=1e-12)
        assert res.ci_high_high == pytest.approx(max(g[2] for g in got), abs=1e-12)
    assert res.exhaustive and res.n_assignments == 6 and res.n_distinct == 6
    assert res.n_reconstructed == 3 and res.cells == (("all:x", 3, 3),)
    assert res.estimate == pytest.approx(ests[0], abs=1e-12)  # the data's own assignment is the identity
    assert res.estimate_low <= res.estimate <= res.estimate_high and res.width > 0.05


def test_trial_outside_the_view_still_holds_a_value():
    """The view keeps trials a and b; trial c is filtered out but its value 0.9 can land on a or b: the view sees
    the 6 ordered pairs of the three values."""
    all_rows = _rows()
    view = all_rows[all_rows["trial_id"] != "c"]
    pairs = [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]
    ests = [e[0] for e in _expected(pairs, _dl, trials=RECON[:2])]
    res = imputation_range(view, all_rows, method="DL")
    assert res.n_assignments == 6 and res.cells == (("all:x", 2, 3),)
    assert res.estimate_low == pytest.approx(min(ests), abs=1e-12)
    assert res.estimate_high == pytest.approx(max(ests), abs=1e-12)
    # without the cell's other rows, only the view's own two values are re-assigned
    own = imputation_range(view, method="DL")
    ests_own = [e[0] for e in _expected([(0, 1), (1, 0)], _dl, trials=RECON[:2])]
    assert own.n_assignments == 2
    assert (own.estimate_low, own.estimate_high) == pytest.approx((min(ests_own), max(ests_own)), abs=1e-12)


def test_equal_values_pool_once_and_scaled_variances_keep_their_scale():
    rows = _rows([("a", 0.4, 20, 20), ("b", 0.4, 60, 55), ("c", 0.4, 100, 100)])
    rows.loc[rows["provenance"] == "reconstructed", "vi"] *= 0.5  # an old data set's per-cell variance scale
    res = imputation_range(rows)
    assert res.n_assignments == 6 and res.n_distinct == 1 and not res.varies
    expected = pool(rows["yi"], rows["vi"]).estimate
    assert res.estimate_low == pytest.approx(expected, abs=1e-12)
    assert res.estimate_high == pytest.approx(expected, abs=1e-12)


def test_no_reconstructed_row_no_range():
    rows = _rows()
    assert imputation_range(rows[rows["provenance"] == "reported"]) is None
    assert imputation_range(rows.iloc[:0]) is None


def test_sample_when_many_is_deterministic_and_inside_the_exhaustive_range():
    rng = np.random.default_rng(1)
    recon = [(f"t{i}", float(v), int(n), int(n)) for i, (v, n) in
             enumerate(zip(rng.normal(0.3, 0.3, 8), rng.integers(20, 200, 8)))]
    rows = _rows(recon)
    sampled = imputation_range(rows)  # 8! = 40,320 > 5,040: a sample
    again = imputation_range(rows)
    assert sampled == again
    assert not sampled.exhaustive and sampled.n_assignments == 1000
    full = imputation_range(rows, max_exhaustive=50_000)
    assert full.exhaustive and full.n_assignments == math.factorial(8)
    assert full.estimate_low <= sampled.estimate_low <= sampled.estimate <= sampled.estimate_high
    assert sampled.estimate_high <= full.estimate_high
    with pytest.raises(ValueError, match="200"):
        imputation_range(rows, n_sample=100)


@pytest.mark.parametrize("method,test", [("REML", "z"), ("PM", "knha"), ("DL", "knha")])
def test_every_assignment_agrees_with_the_engine(method, test):
    """Each assignment pooled by ``pool`` one at a time gives the same range."""
    res = imputation_range(_rows(), method=method, test=test)
    values = [y for _, y, _, _ in RECON]
    ests = []
    for perm in PERMS_OF_3:
        ys = [y for _, y, _, _ in REPORTED] + [values[i] for i in perm]
        vs = [_v(y, n1, n2) for _, y, n1, n2 in REPORTED] + [_v(values[i], n1, n2)
                                                               for (_t, _y, n1, n2), i in zip(RECON, perm)]
        ests.append(pool(ys, vs, method=method, test=test))
    assert res.estimate_low == pytest.approx(min(r.estimate for r in ests), abs=1e-8)
    assert res.estimate_high == pytest.approx(max(r.estimate for r in ests), abs=1e-8)
    assert res.ci_high_high == pytest.approx(max(r.ci_high for r in ests), abs=1e-8)


@pytest.fixture(scope="module")
def evidence():
    return load_evidence()


@pytest.mark.parametrize("filters,outcome", [
    (Filters(), "personal_recovery"),
    (Filters(quality=("good", "fair")), "personal_recovery"),
    (Filters(), "anxiety"),
    (Filters(categories=("hospital_added",)), "hope"),
])
@pytest.mark.parametrize("method", ["DL", "REML"])
def test_bundled_range_contains_the_estimate(evidence, filters, outcome, method):
    sel = select(evidence, filters, outcome)
    res = for_view(evidence, filters, outcome, method=method)
    expected = pool(sel.yi, sel.vi, method=method).estimate
    assert res.estimate == pytest.approx(expected, abs=1e-9)
    assert res.estimate_low - 1e-12 <= expected <= res.estimate_high + 1e-12
    assert res.n_reconstructed == sel.provenance_counts["reconstructed"]
    assert for_view(evidence, filters, outcome, method=method) == res  # deterministic
    assert for_view(evidence, filters, outcome, method=method, selection=sel) == res


def test_bundled_no_range_without_reconstructed_rows(evidence):
    assert for_view(evidence, Filters(provenance=("reported", "derived")), "personal_recovery") is None
    # an outcome no reconstructed row has
    outcomes = set(evidence.effects["outcome"])
    recon = set(evidence.effects.loc[evidence.effects["provenance"] == "reconstructed", "outcome"])
    for outcome in sorted(outcomes - recon)[:2]:
        assert for_view(evidence, Filters(), outcome) is None


def test_duplicate_trial_rows_each_keep_a_value():
    """Two view rows of one trial (an upload without effect ids) are two values, not one."""
    rows = _rows().drop(columns="effect_id")
    rows.loc[rows["trial_id"] == "b", "trial_id"] = "a"
    res = imputation_range(rows)
    ests = [e[0] for e in _expected(PERMS_OF_3, _dl)]
    assert res.n_assignments == 6
    assert (res.estimate_low, res.estimate_high) == pytest.approx((min(ests), max(ests)), abs=1e-12)
