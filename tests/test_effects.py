"""Effect-size conversions (Cochrane Handbook 6.5.2) checked by hand and against each other.

``smd()`` itself is checked against metafor's ``escalc(measure="SMD")`` in test_metafor_alignment.py; here the
other conversions are checked by reconstructing their inputs from arm-level data, so that each must give back
exactly what ``smd()`` gives.
"""

import math

import numpy as np
import pytest
from scipy import stats

import peerstats as ps

CLOSED_FORM = 1e-12  # pure arithmetic on the same inputs: only floating-point rounding separates the two sides


def test_hedges_j_exact_value_by_hand():
    # J(10) = Gamma(5) / (sqrt(5) * Gamma(4.5)) = 24 / (2.2360680 * 11.6317284) = 24 / 26.009139 = 0.9227456
    assert ps.hedges_j(10) == pytest.approx(0.9227456, abs=1e-7)
    # and it approaches the familiar approximation 1 - 3 / (4m - 1) for large m
    assert ps.hedges_j(1000) == pytest.approx(1 - 3 / 3999, rel=1e-6)


def test_smd_by_hand():
    # m1=10, sd1=2, n1=20; m2=9, sd2=2.5, n2=22:
    # sp = sqrt((19*4 + 21*6.25) / 40) = sqrt(5.18125) = 2.276236; d = 1 / 2.276236 = 0.4393216
    # J(40) = 0.981094...; g = 0.4310239; vi = 1/20 + 1/22 + g^2 / 84 = 0.0977... (0.09766623)
    yi, vi = ps.smd(10, 2, 20, 9, 2.5, 22)
    assert yi == pytest.approx(0.4310239, abs=1e-7)
    assert vi == pytest.approx(1 / 20 + 1 / 22 + 0.4310239**2 / 84, abs=1e-8)


ARMS = [  # m1, sd1, n1, m2, sd2, n2: small and large arms, positive and negative differences
    (10.0, 2.0, 20, 9.0, 2.5, 22),
    (3.1, 1.2, 8, 3.9, 0.9, 7),
    (55.0, 14.0, 400, 52.5, 15.5, 390),
    (1.0, 0.5, 2, 1.4, 0.4, 3),
]


@pytest.mark.parametrize("arms", ARMS, ids=lambda a: f"n{a[2]}v{a[5]}")
def test_t_statistic_round_trip(arms):
    m1, sd1, n1, m2, sd2, n2 = arms
    sp = math.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (n1 + n2 - 2))
    t = (m1 - m2) / (sp * math.sqrt(1 / n1 + 1 / n2))  # the pooled-variance two-sample t statistic
    expected = ps.smd(m1, sd1, n1, m2, sd2, n2)
    got = ps.smd_from_t(t, n1, n2)
    assert got.yi == pytest.approx(expected.yi, rel=CLOSED_FORM)
    assert got.vi == pytest.approx(expected.vi, rel=CLOSED_FORM)
    # F(1, df) = t^2 loses the sign, which the caller supplies
    got_f = ps.smd_from_f(t * t, n1, n2, sign=np.sign(t))
    assert got_f.yi == pytest.approx(expected.yi, rel=CLOSED_FORM)


@pytest.mark.parametrize("arms", ARMS, ids=lambda a: f"n{a[2]}v{a[5]}")
def test_mean_difference_with_t_based_ci_round_trip(arms):
    m1, sd1, n1, m2, sd2, n2 = arms
    sp = math.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (n1 + n2 - 2))
    se = sp * math.sqrt(1 / n1 + 1 / n2)
    half = stats.t.ppf(0.975, n1 + n2 - 2) * se  # the CI a trial reports for its mean difference
    md = m1 - m2
    got = ps.smd_from_md_ci(md, md - half, md + half, n1, n2)
    expected = ps.smd(m1, sd1, n1, m2, sd2, n2)
    assert got.yi == pytest.approx(expected.yi, rel=1e-10)
    assert got.vi == pytest.approx(expected.vi, rel=1e-10)


def test_smd_from_reported_ci_by_hand():
    # SMD 0.30 (0.10 to 0.50): se = 0.40 / 3.919928 = 0.1020427, vi = 0.01041271
    yi, vi = ps.smd_from_smd_ci(0.30, 0.10, 0.50)
    assert yi == 0.30
    assert vi == pytest.approx(0.01041271, rel=1e-6)


def test_broadcasting_over_arrays():
    yi, vi = ps.smd([10, 3.1], [2, 1.2], [20, 8], [9, 3.9], [2.5, 0.9], [22, 7])
    assert yi.shape == (2,) and vi.shape == (2,)
    assert yi[0] == pytest.approx(ps.smd(10, 2, 20, 9, 2.5, 22).yi, rel=CLOSED_FORM)


def test_align_sign_flips_only_reversed_scales():
    # a fall of 0.4 SD on a hopelessness scale (higher = less hope) is +0.4 in the direction of hope
    np.testing.assert_array_equal(ps.align_sign([-0.4, 0.2], [False, True]), [0.4, 0.2])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(m1=1, sd1=-1, n1=10, m2=1, sd2=1, n2=10), "sd1"),
        (dict(m1=1, sd1=1, n1=10, m2=1, sd2=0, n2=10), "sd2"),
        (dict(m1=1, sd1=1, n1=1, m2=1, sd2=1, n2=10), "n1"),
        (dict(m1=np.nan, sd1=1, n1=10, m2=1, sd2=1, n2=10), "m1"),
    ],
    ids=["negative-sd", "zero-sd", "n-below-2", "nan-mean"],
)
def test_bad_arm_data_names_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ps.smd(**kwargs)


def test_bad_value_names_the_index():
    with pytest.raises(ValueError, match="index 1"):
        ps.smd([1, 1], [1, -2], [10, 10], [1, 1], [1, 1], [10, 10])


def test_f_needs_a_sign():
    with pytest.raises(ValueError, match="sign"):
        ps.smd_from_f(4.0, 10, 10, sign=0)
