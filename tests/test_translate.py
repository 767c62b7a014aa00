"""peerstats.translate: every translation against a hand formula (stdlib NormalDist, not scipy) or a numerical
integral, plus published values where they exist."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy import integrate

from peerstats import translate
from peerstats.translate import cles, interval, nnt, nnt_interval, prop_above, to_points, u3

N = NormalDist()
# Closed forms evaluated two ways (scipy.special vs Python's statistics.NormalDist): both accurate to ~1e-15
# relative; 1e-12 leaves room for the inverse CDF's last digits.
REL = 1e-12
# quad's default epsabs is 1.49e-8; the integrands here are smooth, so 1e-9 absolute is met with a margin.
QUAD_ABS = 1e-9


@pytest.mark.parametrize("smd, cer", [(0.5, 0.2), (0.2, 0.5), (0.8, 0.1), (-0.3, 0.4), (1.2, 0.9), (0.05, 0.02)],
                         ids=lambda v: str(v))
def test_nnt_hand_formula(smd, cer):
    # NNT = 1 / (Phi(d + Phi^-1(CER)) - CER)   (Furukawa & Leucht 2011, eq. 2)
    expected = 1.0 / (N.cdf(smd + N.inv_cdf(cer)) - cer)
    assert nnt(smd, cer) == pytest.approx(expected, rel=REL)
    assert isinstance(nnt(smd, cer), float)


def test_nnt_published_table():
    # Furukawa & Leucht 2011, Table 1: CER 20 %, d = 0.5 -> NNT 6 (rounded); CER 50 %, d = 0.2 -> NNT 13 (12.56)
    assert round(nnt(0.5, 0.2)) == 6
    assert round(nnt(0.2, 0.5)) == 13


def test_nnt_sign_and_null():
    assert nnt(-0.5, 0.2) < 0           # harm: negative NNT (number needed to harm)
    assert nnt(0.0, 0.3) == math.inf    # no difference
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        nnt(0.3, 0.0)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        nnt(0.3, 1.0)


def test_nnt_broadcasts():
    d = np.array([0.2, 0.5, 0.8])
    cer = np.array([[0.1], [0.3]])
    out = nnt(d, cer)
    assert out.shape == (2, 3)
    for i, c in enumerate((0.1, 0.3)):
        for j, dd in enumerate(d):
            assert out[i, j] == pytest.approx(1.0 / (N.cdf(dd + N.inv_cdf(c)) - c), rel=REL)


@pytest.mark.parametrize("smd", [-1.0, -0.14, 0.0, 0.2, 0.5, 2.0])
def test_u3_and_cles_hand_formula(smd):
    assert u3(smd) == pytest.approx(N.cdf(smd), rel=REL)             # U3 = Phi(d)
    assert cles(smd) == pytest.approx(N.cdf(smd / math.sqrt(2)), rel=REL)   # CLES = Phi(d / sqrt 2)


@pytest.mark.parametrize("smd", [-0.6, 0.0, 0.3, 1.1])
def test_cles_by_integration(smd):
    # P(X > Y) with X ~ N(d, 1) (peer support), Y ~ N(0, 1) (control): integral of phi(y) * P(X > y) dy
    val, _ = integrate.quad(lambda y: N.pdf(y) * (1 - N.cdf(y - smd)), -np.inf, np.inf, epsabs=1e-12)
    assert cles(smd) == pytest.approx(val, abs=QUAD_ABS)


@pytest.mark.parametrize("mu, tau2, q", [(0.2, 0.04, 0.1), (0.14, 0.01, 0.0), (-0.1, 0.3, 0.2), (0.5, 1e-4, 0.5)],
                         ids=lambda v: str(v))
def test_prop_above_by_integration(mu, tau2, q):
    # integral of the N(mu, tau2) density from q to infinity
    dist = NormalDist(mu, math.sqrt(tau2))
    val, _ = integrate.quad(dist.pdf, q, np.inf, epsabs=1e-12)
    assert prop_above(mu, tau2, q) == pytest.approx(val, abs=QUAD_ABS)
    assert prop_above(mu, tau2, q) == pytest.approx(1 - dist.cdf(q), rel=REL, abs=1e-15)


def test_prop_above_step_at_tau2_zero():
    assert prop_above(0.2, 0.0, 0.1) == 1.0
    assert prop_above(0.05, 0.0, 0.1) == 0.0
    assert prop_above(0.1, 0.0, 0.1) == 0.5
    out = prop_above(np.array([0.0, 0.2]), np.array([0.0, 0.04]), 0.1)
    assert out[0] == 0.0 and out[1] == pytest.approx(1 - NormalDist(0.2, 0.2).cdf(0.1), rel=REL)
    with pytest.raises(ValueError, match="tau2"):
        prop_above(0.2, -0.01, 0.1)


def test_to_points():
    # SMD 0.25 on an instrument with SD 12 points: 3 points
    assert to_points(0.25, 12.0) == pytest.approx(3.0, rel=REL)
    assert np.allclose(to_points(np.array([0.1, -0.2]), 10.0), [1.0, -2.0])
    with pytest.raises(ValueError, match="reference_sd"):
        to_points(0.2, 0.0)


def test_interval_applies_monotone_translations_to_bounds():
    lo, hi = interval(u3, -0.04, 0.32)
    assert (lo, hi) == (pytest.approx(N.cdf(-0.04)), pytest.approx(N.cdf(0.32)))


def test_nnt_interval_crossing_the_null():
    # the issue's example: SMD 0.14 (95% CI -0.04 to 0.32), CER 0.3
    r = nnt_interval(0.14, -0.04, 0.32, 0.3)
    z = N.inv_cdf(0.3)
    ard_hi = N.cdf(0.32 + z) - 0.3
    ard_lo = N.cdf(-0.04 + z) - 0.3
    assert r.crosses_null
    assert r.nnt == pytest.approx(1 / (N.cdf(0.14 + z) - 0.3), rel=REL)
    assert r.nntb_low == pytest.approx(1 / ard_hi, rel=REL)
    assert r.nnth_low == pytest.approx(1 / -ard_lo, rel=REL)


def test_nnt_interval_not_crossing():
    r = nnt_interval(0.3, 0.1, 0.5, 0.2)
    assert not r.crosses_null and math.isnan(r.nnth_low)
    hi_nnt, lo_nnt = r.bounds
    assert hi_nnt == pytest.approx(nnt(0.5, 0.2), rel=REL)
    assert lo_nnt == pytest.approx(nnt(0.1, 0.2), rel=REL)
    assert hi_nnt < r.nnt < lo_nnt


def test_module_names_fixed_by_the_issue():
    for name in ("nnt", "u3", "cles", "prop_above"):
        assert callable(getattr(translate, name))
