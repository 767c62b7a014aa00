"""effect_sizes against R metafor escalc (validation/binary_reference.json) and RevMan's rules (closed forms).

The RevMan convention is also checked row by row against RevMan's own per-study estimates in tests/test_revman.py
(Pairwise70 fixtures).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from peerstats import effect_sizes
from peerstats.escalc import binary_cells

REF = json.loads((Path(__file__).resolve().parents[1] / "validation" / "binary_reference.json").read_text())
CASES = [c for c in REF["cases"] if c["fn"] == "effect_sizes"]
RTOL = 1e-10


def _arr(x):
    return np.array([np.nan if v is None else v for v in np.atleast_1d(x)], dtype=float)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_equals_metafor_escalc(case):
    yi, vi = effect_sizes(case["measure"], **case["inputs"])
    np.testing.assert_allclose(yi, _arr(case["expected"]["yi"]), rtol=RTOL, atol=1e-13, equal_nan=True)
    np.testing.assert_allclose(vi, _arr(case["expected"]["vi"]), rtol=RTOL, atol=1e-13, equal_nan=True)


def test_reference_covers_zero_cells_and_double_zeros():
    """The pinned cases include single zeros, double zeros and all-event arms for every binary measure."""
    kinds = set()
    for c in CASES:
        d = c["inputs"]
        if "ai" not in d:
            continue
        a, n1, cc, n2 = (np.atleast_1d(d[k]) for k in ("ai", "n1i", "ci", "n2i"))
        kinds |= {"double0"} if np.any((a == 0) & (cc == 0)) else set()
        kinds |= {"single0"} if np.any((a == 0) ^ (cc == 0)) else set()
        kinds |= {"allevents"} if np.any((a == n1) & (cc == n2)) else set()
    assert kinds == {"double0", "single0", "allevents"}
    assert {c["measure"] for c in CASES} == {"RR", "OR", "RD", "PETO", "MD", "SMD"}


# --- RevMan's convention: closed forms written here -------------------------------------------------------------


def test_revman_rr_or_zero_cell_adds_half_to_all_cells():
    a, n1, c, n2 = 0, 20, 3, 22
    A, B, C, D = 0.5, 20.5, 3.5, 19.5
    yi, vi = effect_sizes("RR", ai=a, n1i=n1, ci=c, n2i=n2, convention="revman")
    assert yi[0] == pytest.approx(math.log((A / (A + B)) / (C / (C + D))), rel=1e-14)
    assert vi[0] == pytest.approx(1 / A - 1 / (A + B) + 1 / C - 1 / (C + D), rel=1e-14)
    yi, vi = effect_sizes("OR", ai=a, n1i=n1, ci=c, n2i=n2, convention="revman")
    assert yi[0] == pytest.approx(math.log(A * D / (B * C)), rel=1e-14)
    assert vi[0] == pytest.approx(1 / A + 1 / B + 1 / C + 1 / D, rel=1e-14)


@pytest.mark.parametrize("measure", ["RR", "OR", "PETO"])
def test_revman_double_zero_is_not_estimable_for_ratios(measure):
    yi, vi = effect_sizes(measure, ai=[0, 2], n1i=[10, 10], ci=[0, 1], n2i=[12, 10], convention="revman")
    assert math.isnan(yi[0]) and math.isnan(vi[0])
    assert np.isfinite(yi[1]) and np.isfinite(vi[1])
    # metafor keeps it (corrected): log ratio 0 for RR / OR, and PETO's corrected table
    yi_m, _ = effect_sizes(measure, ai=[0, 2], n1i=[10, 10], ci=[0, 1], n2i=[12, 10])
    assert np.isfinite(yi_m[0])


def test_revman_rd_double_zero_kept_uncorrected_estimate_corrected_variance():
    a, n1, c, n2 = 0, 10, 0, 12
    yi, vi = effect_sizes("RD", ai=[a, 0], n1i=[n1, 10], ci=[c, 3], n2i=[n2, 12], convention="revman")
    assert yi[0] == 0.0
    p1, p2 = 0.5 / 11, 0.5 / 13
    assert vi[0] == pytest.approx(p1 * (1 - p1) / 11 + p2 * (1 - p2) / 13, rel=1e-14)
    assert yi[1] == pytest.approx(0 / 10 - 3 / 12, rel=1e-14)  # uncorrected estimate
    yi_m, _ = effect_sizes("RD", ai=[a, 0], n1i=[n1, 10], ci=[c, 3], n2i=[n2, 12])
    assert yi_m[1] == pytest.approx(0.5 / 11 - 3.5 / 13, rel=1e-14)  # metafor corrects the estimate too


def test_revman_rr_all_events_in_both_arms_is_one():
    yi, vi = effect_sizes("RR", ai=[20], n1i=[20], ci=[18], n2i=[18], convention="revman")
    assert yi[0] == 0.0
    assert vi[0] == pytest.approx(1 / 20.5 - 1 / 21 + 1 / 18.5 - 1 / 19, rel=1e-14)
    yi, _ = effect_sizes("OR", ai=[20], n1i=[20], ci=[18], n2i=[18], convention="revman")
    assert math.isnan(yi[0])


def test_revman_peto_uses_raw_cells():
    a, n1, c, n2 = 0, 15, 4, 16
    n, m = n1 + n2, a + c
    e = n1 * m / n
    v = n1 * n2 * m * (n - m) / (n**2 * (n - 1))
    yi, vi = effect_sizes("PETO", ai=a, n1i=n1, ci=c, n2i=n2, convention="revman")
    assert yi[0] == pytest.approx((a - e) / v, rel=1e-14)
    assert vi[0] == pytest.approx(1 / v, rel=1e-14)


def test_revman_smd_is_hedges_adjusted_g_with_approximate_j():
    m1, s1, n1, m2, s2, n2 = 12.0, 4.0, 25, 10.0, 5.0, 30
    n = n1 + n2
    sp = math.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n - 2))
    g = (m1 - m2) / sp * (1 - 3 / (4 * n - 9))
    yi, vi = effect_sizes("SMD", m1i=m1, sd1i=s1, n1i=n1, m2i=m2, sd2i=s2, n2i=n2, convention="revman")
    assert yi[0] == pytest.approx(g, rel=1e-14)
    assert vi[0] == pytest.approx(n / (n1 * n2) + g**2 / (2 * (n - 3.94)), rel=1e-14)


def test_md_same_under_both_conventions():
    kw = dict(m1i=[3.0, 1.0], sd1i=[1.0, 2.0], n1i=[10, 20], m2i=[2.0, 1.5], sd2i=[1.5, 2.5], n2i=[12, 18])
    a, b = effect_sizes("MD", **kw), effect_sizes("MD", convention="revman", **kw)
    np.testing.assert_array_equal(a.yi, b.yi)
    np.testing.assert_allclose(a.vi, [1 / 10 + 2.25 / 12, 4 / 20 + 6.25 / 18], rtol=1e-14)


def test_bi_di_equivalent_to_arm_sizes():
    a = effect_sizes("OR", ai=[3, 0], bi=[7, 10], ci=[1, 2], di=[9, 8])
    b = effect_sizes("OR", ai=[3, 0], n1i=[10, 10], ci=[1, 2], n2i=[10, 10])
    np.testing.assert_array_equal(a.yi, b.yi)


def test_missing_input_gives_nan_not_zero():
    yi, vi = effect_sizes("RR", ai=[3, np.nan], n1i=[10, 10], ci=[1, 2], n2i=[10, 10])
    assert np.isfinite(yi[0]) and math.isnan(yi[1]) and math.isnan(vi[1])


@pytest.mark.parametrize("kwargs, words", [
    (dict(measure="HR", ai=[1], n1i=[2], ci=[1], n2i=[2]), "measure must be one of"),
    (dict(measure="RR", ai=[1], n1i=[2], ci=[1], n2i=[2], convention="stata"), "convention"),
    (dict(measure="RR", ai=[1, 5], n1i=[2, 4], ci=[1, 1], n2i=[2, 2]), "ai must be <= n1i; got 5.0 at index 1"),
    (dict(measure="OR", ai=[-1], n1i=[2], ci=[1], n2i=[2]), "ai must be >= 0"),
    (dict(measure="RD", ai=[1], n1i=[0], ci=[0], n2i=[2]), "n1i must be > 0"),
    (dict(measure="RR", ai=[1], n1i=[2], n2i=[2]), "ci is required"),
    (dict(measure="SMD", m1i=[1], sd1i=[-1], n1i=[5], m2i=[0], sd2i=[1], n2i=[5]), "sd1i must be >= 0"),
])
def test_bad_input_words(kwargs, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(")):
        effect_sizes(**kwargs)


def test_binary_cells_returns_four_cells():
    a, b, c, d = binary_cells([2], [10], [3], [12])
    assert (a[0], b[0], c[0], d[0]) == (2, 8, 3, 9)
