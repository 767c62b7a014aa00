"""peerstats.benefit against an independent numerical integration of the unnormalised joint posterior.

The engine reduces the model analytically (mu integrated out given tau) and integrates over log tau with a fixed
Gauss-Legendre rule. The tests instead integrate the joint posterior p(mu) p(tau) prod N(y_i; mu, v_i + tau^2) over
(mu, tau) with scipy.integrate's adaptive quadrature (QUADPACK), with no conjugate reduction.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy import integrate, stats

from peerstats.benefit import (HALF_NORMAL_05, RHODES_GENERAL, RHODES_MENTAL_HEALTH_NONPHARM, TauPrior,
                               prob_benefit)

# Both sides are numerical integrals: QUADPACK is asked for 1e-8 relative / 1e-10 absolute per dimension; the
# engine's 800-node composite Gauss-Legendre rule in log tau is exact to ~1e-10 for these smooth integrands, and its
# lump at tau = 0 (prior mass below tau = 1e-4) is off by at most ~tau^2 / min(vi) = 1e-6 of that small mass
# (P(tau < 1e-4) is 1.6e-4 for the half-normal, ~2e-3 for the log-t: ~1e-9). Observed: ~5e-12. 1e-8 absolute on a
# probability is far below any digit the app shows (whole percent).
ATOL = 1e-8

DATA = {
    # five small trials with moderate heterogeneity (SMDs in the beneficial direction)
    "k5-het": ([0.10, 0.45, -0.05, 0.30, 0.62], [0.04, 0.06, 0.03, 0.05, 0.09]),
    # the example scale: effects near 0.14, one large trial
    "k4-small": ([0.05, 0.20, 0.14, 0.31], [0.01, 0.05, 0.03, 0.08]),
    "k1": ([0.25], [0.04]),
}


def _logv_logpdf(prior: TauPrior, v: float) -> float:
    """log density of v = log(tau^2) under the prior, written out independently of the engine's helper."""
    if prior.kind == "log_t":   # v ~ location + scale * t_df
        return _T5.logpdf((v - prior.location) / prior.scale) - math.log(prior.scale)
    tau = math.exp(v / 2)       # half-normal 2 phi(tau / s) / s, times the Jacobian d tau / d v = tau / 2
    return (math.log(2.0) - 0.5 * (tau / prior.scale) ** 2 - math.log(prior.scale * math.sqrt(2 * math.pi))
            + v / 2 - math.log(2.0))


_T5 = stats.t(5)


def _reference(yi, vi, mid, prior, m0=0.0, s0=1.0):
    """P(mu > mid) and P(theta_new > mid) by nested adaptive quadrature of the joint posterior."""
    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    nd = NormalDist()
    opts = dict(epsabs=1e-10, epsrel=1e-8, limit=200)
    lo, hi = -6.0, 6.0   # mu window: the N(0, 1) prior alone puts 2e-9 outside it

    def loglik(mu, sd):  # sum of log N(y_i; mu, sd_i^2), written out
        return float(np.sum(-0.5 * ((yi - mu) / sd) ** 2 - np.log(sd))) - 0.5 * yi.size * math.log(2 * math.pi)

    def inner(v, g, a=lo):
        if v > 100:   # tau > e^50: the likelihood is below 1e-21 of its value at tau = 1 (exp overflows later)
            return 0.0
        tau = math.exp(v / 2)
        sd = np.sqrt(vi + tau * tau)
        lp = _logv_logpdf(prior, v) + 5.0
        f = lambda mu: math.exp(lp + loglik(mu, sd) - 0.5 * ((mu - m0) / s0) ** 2) * g(mu, tau)  # noqa: E731
        return integrate.quad(f, a, hi, **opts)[0]

    def outer(g, a=lo):
        # over v = log tau^2 on the whole real line: smooth in v for both priors (the engine integrates over log tau
        # on a fixed grid instead)
        return integrate.quad(lambda v: inner(v, g, a), -np.inf, np.inf, **opts)[0]

    one = lambda mu, tau: 1.0  # noqa: E731
    z = outer(one)
    p_mean = outer(one, a=mid) / z
    # (tau underflows to 0 far in the v tail: there theta_new = mu)
    p_new = outer(lambda mu, tau: 1 - nd.cdf((mid - mu) / tau) if tau > 0 else float(mu > mid)) / z
    return p_mean, p_new


@pytest.mark.parametrize("name, mid, prior", [
    ("k5-het", 0.2, HALF_NORMAL_05), ("k5-het", 0.2, RHODES_MENTAL_HEALTH_NONPHARM),
    ("k4-small", 0.1, HALF_NORMAL_05), ("k1", 0.2, RHODES_MENTAL_HEALTH_NONPHARM),
], ids=["k5-het-mid0.2-halfnormal", "k5-het-mid0.2-rhodes", "k4-small-mid0.1-halfnormal", "k1-mid0.2-rhodes"])
def test_against_independent_integration(name, mid, prior):
    yi, vi = DATA[name]
    r = prob_benefit(yi, vi, mid, tau_prior=prior)
    p_mean, p_new = _reference(yi, vi, mid, prior)
    assert r.p_mean_above == pytest.approx(p_mean, abs=ATOL)
    assert r.p_new_above == pytest.approx(p_new, abs=ATOL)


def test_credible_interval_holds_its_level():
    yi, vi = DATA["k5-het"]
    r = prob_benefit(yi, vi, 0.0, level=0.9)
    # P(mu > ci_low) = 0.95 and P(mu > ci_high) = 0.05: check with the engine's own P(mu > x) at those points
    assert prob_benefit(yi, vi, r.mu_ci_low).p_mean_above == pytest.approx(0.95, abs=1e-9)
    assert prob_benefit(yi, vi, r.mu_ci_high).p_mean_above == pytest.approx(0.05, abs=1e-9)
    assert r.p_mean_positive == pytest.approx(r.p_mean_above, abs=1e-15)  # mid = 0


def test_new_setting_is_less_certain_than_the_mean():
    # a prediction adds tau^2 to the spread: when the mean is above the MID, a new setting is less surely above it
    yi, vi = DATA["k5-het"]
    r = prob_benefit(yi, vi, 0.0)
    assert 0.5 < r.p_new_above < r.p_mean_above


def test_large_k_approaches_the_normal_approximation():
    # with 200 precise, homogeneous trials the posterior of mu is ~ N(FE estimate, 1/sum w): P(mu > MID) by hand
    rng = np.random.default_rng(1)
    vi = rng.uniform(0.005, 0.02, 200)
    yi = 0.15 + rng.normal(0, np.sqrt(vi))
    r = prob_benefit(yi, vi, 0.15, tau_prior=RHODES_GENERAL)
    w = 1 / vi
    est = (w * yi).sum() / w.sum()
    expected = 1 - NormalDist(est, math.sqrt(1 / w.sum())).cdf(0.15)
    assert r.p_mean_above == pytest.approx(expected, abs=0.02)   # tau posterior not exactly 0: a small spread


def test_priors_are_as_documented():
    # Rhodes et al. 2015 Table 3: log tau^2 ~ t5(-3.85, 1.93^2); median tau = sqrt(exp(-3.85))
    assert RHODES_MENTAL_HEALTH_NONPHARM.cdf_tau(math.sqrt(math.exp(-3.85))) == pytest.approx(0.5, abs=1e-12)
    assert HALF_NORMAL_05.cdf_tau(0.5 * 1.959963984540054) == pytest.approx(0.95, abs=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="mu_prior"):
        prob_benefit([0.1], [0.01], mu_prior=(0.0, 0.0))
    with pytest.raises(ValueError, match="vi"):
        prob_benefit([0.1, 0.2], [0.01, -1.0])
    with pytest.raises(ValueError, match="kind"):
        TauPrior("uniform", 1.0)
