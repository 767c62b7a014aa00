"""The pairwise comparison of two subgroups (peerstats.subgroups.pairwise_difference) against R metafor.

Every case of ``validation/pairwise_reference.json`` (written by ``validation/pairwise_reference.R``): metafor pools
each subgroup with ``rma(..., subset = g == level)`` and takes the difference as the slope of
``rma(yi = c(est1, est2), sei = c(se1, se2), mods = ~ c(1, 0), method = "FE")``; peerstats runs ``subgroup_test``
on the same inputs and ``pairwise_difference`` on its result. Plus the closed form written out here, and the
identity z^2 = Q-between for two subgroups.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from peerstats.subgroups import pairwise_difference, subgroup_test

REFERENCE = Path(__file__).resolve().parent.parent / "validation" / "pairwise_reference.json"
DATA = json.loads(REFERENCE.read_text())
CASES = DATA["cases"]
REL = 1e-8    # REML runs to 1e-12 in both; the JSON keeps 12 significant digits


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_pairwise_matches_metafor(case):
    d = DATA["datasets"][case["dataset"]]
    res = subgroup_test(np.array(d["yi"], float), np.array(d["vi"], float), d["g"], method=case["method"])
    got = pairwise_difference(res, case["group1"], case["group2"], level=case["level"])
    exp = case["expected"]
    assert (got.k1, got.k2) == (exp["k1"], exp["k2"])
    for name in ("estimate", "se", "zval", "ci_low", "ci_high"):
        assert getattr(got, name) == pytest.approx(exp[name], rel=REL, abs=1e-10), name
    assert got.pval == pytest.approx(exp["pval"], rel=1e-6, abs=1e-12)


def test_closed_form_and_q_between():
    yi = np.array([0.1, 0.3, 0.5, -0.2, 0.0, 0.25])
    vi = np.array([0.04, 0.05, 0.03, 0.02, 0.06, 0.05])
    g = ["a", "a", "a", "b", "b", "b"]
    res = subgroup_test(yi, vi, g, method="FE")
    got = pairwise_difference(res, "b", "a", level=0.9)
    # common-effect pooling by hand: weights 1/vi
    wa, wb = 1 / vi[:3], 1 / vi[3:]
    ea, eb = (wa * yi[:3]).sum() / wa.sum(), (wb * yi[3:]).sum() / wb.sum()
    se = math.sqrt(1 / wa.sum() + 1 / wb.sum())
    assert got.estimate == pytest.approx(eb - ea, rel=1e-13)
    assert got.se == pytest.approx(se, rel=1e-13)
    z = (eb - ea) / se
    assert got.pval == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-12)
    assert got.ci_high - got.estimate == pytest.approx(stats.norm.ppf(0.95) * se, rel=1e-12)
    assert got.zval ** 2 == pytest.approx(res.q_between, rel=1e-12)


def test_bad_groups_say_so():
    res = subgroup_test([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], ["a", "a", "b"])
    with pytest.raises(ValueError, match="no subgroup 'c'"):
        pairwise_difference(res, "a", "c")
    with pytest.raises(ValueError, match="two different"):
        pairwise_difference(res, "a", "a")
