"""pool_mh / pool_peto against R metafor rma.mh / rma.peto (validation/binary_reference.json)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from peerstats import NoStudiesError, pool, pool_mh, pool_peto
from peerstats.mh import BinaryPoolResult

REF = json.loads((Path(__file__).resolve().parents[1] / "validation" / "binary_reference.json").read_text())
CASES = [c for c in REF["cases"] if c["fn"] in ("pool_mh", "pool_peto")]
FIELDS = ("estimate", "se", "ci_low", "ci_high", "statistic", "pval", "tau2", "i2", "h2", "q", "q_pval")


def _run(case):
    d = case["inputs"]
    args = (d["ai"], d["n1i"], d["ci"], d["n2i"])
    level = case.get("level", 0.95)
    if case["fn"] == "pool_mh":
        return pool_mh(*args, measure=case["measure"], level=level)
    return pool_peto(*args, level=level)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_equals_metafor(case):
    exp = case["expected"]
    r = _run(case)
    assert isinstance(r, BinaryPoolResult)
    assert r.k == exp["k"] and r.k_yi == exp["k_yi"]
    assert r.q_df == max(exp["k_yi"] - 1, 0)
    for f in FIELDS:
        assert getattr(r, f) == pytest.approx(exp[f], rel=1e-9, abs=1e-12), f
    w = np.array([np.nan if x is None else x for x in np.atleast_1d(exp["weights"])], dtype=float)
    np.testing.assert_allclose(r.weights, w, rtol=1e-9, atol=1e-12)


def test_reference_has_every_measure_and_sparse_data():
    ids = {c["id"] for c in CASES}
    for m in ("RR", "OR", "RD"):
        assert f"mh-{m}-sim-k6-forced" in ids
    assert "peto-sim-k10-rare" in ids
    assert any(c["expected"]["k_yi"] < c["expected"]["k"] for c in CASES)  # double zeros left out of Q


def test_natural_scale_and_ratio_flag():
    r = pool_mh([4, 6], [50, 60], [8, 9], [50, 58], measure="RR")
    est, lo, hi = r.natural()
    assert r.ratio and est == pytest.approx(math.exp(r.estimate)) and lo < est < hi
    rd = pool_mh([4, 6], [50, 60], [8, 9], [50, 58], measure="RD")
    assert not rd.ratio and rd.natural() == (rd.estimate, rd.ci_low, rd.ci_high)


def test_single_table_mh_equals_the_table_itself():
    """One table: the MH risk ratio is the table's risk ratio, with the Greenland-Robins variance = the usual one."""
    r = pool_mh([7], [40], [12], [41], measure="RR")
    assert r.estimate == pytest.approx(math.log((7 / 40) / (12 / 41)), rel=1e-13)
    assert r.se**2 == pytest.approx(1 / 7 - 1 / 40 + 1 / 12 - 1 / 41, rel=1e-12)
    assert (r.q, r.q_pval, r.i2, r.h2, r.tau2) == (0.0, 1.0, 0.0, 1.0, 0.0)


def test_peto_field_names_match_pool():
    """Fields shared with PoolResult carry the same names."""
    shared = set(BinaryPoolResult.__dataclass_fields__) & set(type(pool([0.1, 0.2], [0.1, 0.1])).__dataclass_fields__)
    assert set(FIELDS) | {"k", "level", "method", "q_df", "weights", "df"} <= shared
    assert pool_peto([1, 3], [20, 20], [4, 5], [20, 21]).df == math.inf


@pytest.mark.parametrize("call, words", [
    (lambda: pool_mh([0, 0], [10, 10], [1, 2], [10, 10], measure="RR"), "not estimable: no events in the intervention"),
    (lambda: pool_mh([0, 0], [10, 10], [0, 0], [10, 10], measure="OR"), "odds ratio is not estimable"),
    (lambda: pool_peto([0, 0], [10, 10], [0, 0], [10, 10]), "never occurred"),
    (lambda: pool_mh([1], [10], [1], [10], measure="SMD"), "pools RR, OR or RD"),
    (lambda: pool_mh([1, np.nan], [10, 10], [1, 1], [10, 10]), "missing at index 1"),
    (lambda: pool_mh([11], [10], [1], [10]), "ai must be <= n1i"),
    (lambda: pool_peto([1], [10], [1], [10], level=95), "level must be between 0 and 1"),
    (lambda: pool_mh([10, 8], [10, 8], [9, 7], [9, 7], measure="RR"), "no usable standard error"),
])
def test_bad_input_words(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_no_tables():
    with pytest.raises(NoStudiesError):
        pool_mh([], [], [], [])
