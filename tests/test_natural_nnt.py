"""The natural NNT of a binary analysis (issue 19): peerstats.translate.natural_nnt and control_risk against the
Cochrane Handbook's formulas (15.4.4) written out here."""

from __future__ import annotations

import math

import numpy as np
import pytest

from peerstats.translate import control_risk, natural_nnt


def handbook_rr(cer, rr):
    return 1 / (cer - cer * rr)


def handbook_or(cer, or_):
    return (1 - cer * (1 - or_)) / ((1 - cer) * cer * (1 - or_))


@pytest.mark.parametrize("cer", [0.02, 0.2, 0.5, 0.9])
@pytest.mark.parametrize("ratio, lo, hi", [(0.7, 0.55, 0.9), (1.3, 1.05, 1.6), (0.9, 0.6, 1.35)])
def test_risk_ratio_and_odds_ratio_equal_the_handbook(cer, ratio, lo, hi):
    for measure, f in (("RR", handbook_rr), ("OR", handbook_or), ("PETO", handbook_or)):
        r = natural_nnt(measure, math.log(ratio), math.log(lo), math.log(hi), cer)
        assert r.nnt == pytest.approx(f(cer, ratio), rel=1e-12)
        # the interval: the formula at the ratio's CI limits (the ratio's upper limit gives the smaller reduction)
        assert r.ard_low == pytest.approx(1 / f(cer, hi), rel=1e-12)
        assert r.ard_high == pytest.approx(1 / f(cer, lo), rel=1e-12)
        assert r.crosses_null == (lo < 1 < hi)
        if lo < 1 < hi:  # Altman: NNT(fewer) a to infinity to NNT(more) b
            assert r.nntb_low == pytest.approx(f(cer, lo)) and r.nnth_low == pytest.approx(-f(cer, hi))
        elif hi < 1:
            assert r.nntb_low == pytest.approx(f(cer, lo)) and math.isnan(r.nnth_low)


def test_odds_ratio_nnt_is_one_over_the_risk_difference_it_implies():
    cer, or_ = 0.3, 0.5
    eer = or_ * cer / (1 - cer + or_ * cer)  # the intervention's risk from the odds ratio
    assert natural_nnt("OR", math.log(or_), math.log(0.3), math.log(0.9), cer).nnt == pytest.approx(1 / (cer - eer))


def test_risk_difference_and_no_effect():
    r = natural_nnt("RD", -0.05, -0.08, -0.02, 0.3)  # 5 fewer events per 100 treated
    assert r.nnt == pytest.approx(20) and (r.ard_low, r.ard_high) == pytest.approx((0.02, 0.08))
    assert math.isinf(natural_nnt("RR", 0.0, -0.1, 0.1, 0.3).nnt)


def test_control_risk_pools_the_control_arms():
    assert control_risk([3, 10, np.nan, 7], [30, 50, 40, np.nan]) == pytest.approx(13 / 80)
    with pytest.raises(ValueError, match="unknown"):
        control_risk([np.nan], [10])
    with pytest.raises(ValueError, match="between 0"):
        control_risk([12], [10])


def test_refuses_what_it_cannot_translate():
    with pytest.raises(ValueError, match="risk ratios"):
        natural_nnt("SMD", 0.2, 0.1, 0.3, 0.3)
    with pytest.raises(ValueError, match="strictly between"):
        natural_nnt("RR", 0.2, 0.1, 0.3, 0.0)
