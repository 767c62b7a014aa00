"""Probability of a meaningful benefit from a Bayesian normal-normal random-effects model, by quadrature.

The model
---------
:math:`y_i \\mid \\theta_i \\sim N(\\theta_i, v_i)`, :math:`\\theta_i \\mid \\mu, \\tau \\sim N(\\mu, \\tau^2)`,
:math:`\\mu \\sim N(m_0, s_0^2)`, :math:`\\tau \\sim p(\\tau)`. The effects ``yi`` are in the **beneficial direction**
(positive = peer support better), so "benefit" is "above the minimal important difference (MID)".

Computation (deterministic, no MCMC)
------------------------------------
Given :math:`\\tau`, the model is conjugate: with :math:`w_i = 1/(v_i + \\tau^2)`,

.. math:: \\mu \\mid \\tau, y \\sim N(m(\\tau), s^2(\\tau)),\\quad s^{-2} = s_0^{-2} + \\sum w_i,\\quad
          m = s^2 (m_0 / s_0^2 + \\sum w_i y_i),

and the marginal likelihood of :math:`\\tau` (``mu`` integrated out) is, up to a constant,

.. math:: \\log L(\\tau) = \\tfrac12 \\sum \\log w_i + \\log s - \\tfrac12 \\big(\\sum w_i y_i^2 + m_0^2/s_0^2
          - m^2 / s^2\\big).

The posterior of :math:`\\tau` is :math:`p(\\tau) L(\\tau)`, integrated over :math:`u = \\log\\tau` on
:math:`[\\log 10^{-4}, \\log 1000]` by composite Gauss-Legendre quadrature (100 panels x 8 nodes); the prior mass below
:math:`10^{-4}` enters as one point at :math:`\\tau = 0` (there :math:`L(\\tau) = L(0)` to within
:math:`\\tau^2 / \\min v_i`), the mass above 1000 is dropped (with the heavy-tailed log-t prior and one trial it is < 1e-7 of the
posterior). Then

.. math:: P(\\mu > \\text{MID} \\mid y) = \\int p(\\tau \\mid y)\\, \\Phi\\big((m(\\tau) - \\text{MID}) / s(\\tau)\\big)
          d\\tau,\\qquad
          P(\\theta_{new} > \\text{MID} \\mid y) = \\int p(\\tau \\mid y)\\,
          \\Phi\\big((m(\\tau) - \\text{MID}) / \\sqrt{s^2(\\tau) + \\tau^2}\\big) d\\tau.

Priors (documented defaults)
----------------------------
- ``mu``: :math:`N(0, 1)`: weakly informative on the SMD scale (an average SMD beyond +/-2 is implausible for a
  psychosocial intervention), centred on no effect.
- ``tau``: :data:`HALF_NORMAL_05`, half-normal with scale 0.5, a weakly informative prior for the heterogeneity SD of
  SMDs (Röver et al. 2021: a half-normal scale of about half the outcome's "unit information SD" for standardised
  outcomes; Friede et al. 2017). Or :data:`RHODES_MENTAL_HEALTH_NONPHARM`: Rhodes et al. (2015), Table 3, the
  predictive distribution for :math:`\\tau^2` in a meta-analysis of SMDs of a **mental health outcome** comparing a
  **non-pharmacological intervention** with control (medical areas other than cancer and respiratory):
  :math:`\\log\\tau^2 \\sim t_5(-3.85, 1.93^2)` (median :math:`\\tau` 0.146). Values as transcribed from Table 3 in
  R bayesmeta's ``RhodesEtAlParameters`` and rnmamod's ``table_tau2_prior``. Note: Table 3's other rows differ
  between the pharmacological-vs-placebo and non-pharmacological columns by exactly -0.14 in location (mental health
  pharmacological vs placebo: -2.99), which would give -2.85; the -3.85 printed there may be a typo in the paper.
  :data:`RHODES_MENTAL_HEALTH_NONPHARM_ADDITIVE` is that alternative, for a sensitivity check.
  :data:`RHODES_GENERAL`: the same paper's general setting, :math:`t_5(-3.44, 2.59^2)`.

References
----------
.. [1] Rhodes, K. M., Turner, R. M., & Higgins, J. P. T. (2015). Predictive distributions were developed for the
   extent of heterogeneity in meta-analyses of continuous outcome data. J Clin Epidemiol, 68(1), 52-60, Table 3.
.. [2] Röver, C., Bender, R., Dias, S., Schmid, C. H., Schmidli, H., Sturtz, S., Weber, S., & Friede, T. (2021). On
   weakly informative prior distributions for the heterogeneity parameter in Bayesian random-effects meta-analysis.
   Res Synth Methods, 12, 448-474.
.. [3] Friede, T., Röver, C., Wandel, S., & Neuenschwander, B. (2017). Meta-analysis of few small studies in orphan
   diseases. Res Synth Methods, 8, 79-91.
.. [4] Röver, C. (2020). Bayesian random-effects meta-analysis using the bayesmeta R package. J Stat Softw, 93(6)
   (the same semi-analytical approach: conditional conjugacy in mu, numerical integration over tau).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from .core import validate_yi_vi

__all__ = ["TauPrior", "HALF_NORMAL_05", "RHODES_MENTAL_HEALTH_NONPHARM", "RHODES_MENTAL_HEALTH_NONPHARM_ADDITIVE",
           "RHODES_GENERAL", "BenefitResult", "prob_benefit"]

_TAU_LO = 1e-4
_TAU_HI = 1000.0
_PANELS = 100
_NODES = 8


@dataclass(frozen=True)
class TauPrior:
    """A prior for the heterogeneity SD tau.

    Attributes
    ----------
    kind : {"half_normal", "log_t"}
        ``"half_normal"``: tau ~ |N(0, scale^2)|. ``"log_t"``: log(tau^2) ~ location + scale * t_df.
    scale, location, df : float
    label : str
        How the app names it.
    """

    kind: str
    scale: float
    location: float = 0.0
    df: float = 5.0
    label: str = ""

    def __post_init__(self):
        if self.kind not in ("half_normal", "log_t"):
            raise ValueError(f"kind must be 'half_normal' or 'log_t'; got {self.kind!r}")
        if not (math.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"scale must be finite and > 0; got {self.scale!r}")

    def log_density_log_tau(self, u: np.ndarray) -> np.ndarray:
        """log p(u) for u = log(tau) (the Jacobian tau included)."""
        if self.kind == "half_normal":
            tau = np.exp(u)
            return math.log(2.0) - 0.5 * (tau / self.scale) ** 2 - math.log(self.scale * math.sqrt(2 * math.pi)) + u
        # log(tau^2) = 2u ~ location + scale * t_df: density in u is 2 * t_df((2u - loc) / scale) / scale
        z = (2.0 * u - self.location) / self.scale
        nu = self.df
        log_t = (special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * math.log(nu * math.pi)
                 - (nu + 1) / 2 * np.log1p(z * z / nu))
        return math.log(2.0 / self.scale) + log_t

    def cdf_tau(self, tau: float) -> float:
        """P(tau' <= tau) under the prior."""
        if tau <= 0:
            return 0.0
        if self.kind == "half_normal":
            return float(special.erf(tau / (self.scale * math.sqrt(2.0))))
        return float(special.stdtr(self.df, (2.0 * math.log(tau) - self.location) / self.scale))


HALF_NORMAL_05 = TauPrior("half_normal", 0.5, label="half-normal(0.5) on tau")
RHODES_MENTAL_HEALTH_NONPHARM = TauPrior(
    "log_t", 1.93, -3.85, 5.0,
    label="Rhodes et al. 2015: log tau² ~ t5(−3.85, 1.93²), mental health, non-pharmacological vs control")
RHODES_MENTAL_HEALTH_NONPHARM_ADDITIVE = TauPrior(
    "log_t", 1.93, -2.85, 5.0,
    label="Rhodes et al. 2015 (location −2.85, the table's additive pattern): log tau² ~ t5(−2.85, 1.93²)")
RHODES_GENERAL = TauPrior("log_t", 2.59, -3.44, 5.0, label="Rhodes et al. 2015, general setting: t5(−3.44, 2.59²)")


@dataclass(frozen=True)
class BenefitResult:
    """Posterior probabilities of a meaningful benefit.

    Attributes
    ----------
    mid : float
        The minimal important difference (SMD, beneficial direction).
    p_mean_above : float
        P(mu > mid | y): the average effect exceeds the MID.
    p_new_above : float
        P(theta_new > mid | y): the effect in a new setting exceeds the MID.
    p_mean_positive : float
        P(mu > 0 | y).
    mu_mean, mu_sd : float
        Posterior mean and SD of mu.
    mu_ci_low, mu_ci_high : float
        Equal-tailed credible interval of mu at ``level``.
    tau_median : float
        Posterior median of tau, to the resolution of the quadrature nodes (about 2 % relative).
    level : float
    k : int
    mu_prior : tuple
        (mean, sd) of the normal prior for mu.
    tau_prior : TauPrior
    """

    mid: float
    p_mean_above: float
    p_new_above: float
    p_mean_positive: float
    mu_mean: float
    mu_sd: float
    mu_ci_low: float
    mu_ci_high: float
    tau_median: float
    level: float
    k: int
    mu_prior: tuple
    tau_prior: TauPrior


def _nodes() -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(_NODES)
    edges = np.linspace(math.log(_TAU_LO), math.log(_TAU_HI), _PANELS + 1)
    half = np.diff(edges) / 2
    mid = (edges[:-1] + edges[1:]) / 2
    u = (mid[:, None] + half[:, None] * x[None, :]).ravel()
    wu = (half[:, None] * w[None, :]).ravel()
    return u, wu


_U, _WU = _nodes()


def _conditional(yi, vi, tau2, m0, s0):
    """m(tau), s(tau) and log L(tau) for an array of tau2 values."""
    w = 1.0 / (vi[None, :] + tau2[:, None])
    prec = 1.0 / s0 ** 2 + w.sum(axis=1)
    s2 = 1.0 / prec
    m = s2 * (m0 / s0 ** 2 + (w * yi[None, :]).sum(axis=1))
    loglik = (0.5 * np.log(w).sum(axis=1) + 0.5 * np.log(s2)
              - 0.5 * ((w * yi[None, :] ** 2).sum(axis=1) + m0 ** 2 / s0 ** 2 - m * m / s2))
    return m, np.sqrt(s2), loglik


def prob_benefit(yi, vi, mid: float = 0.0, *, mu_prior: tuple = (0.0, 1.0), tau_prior: TauPrior = HALF_NORMAL_05,
                 level: float = 0.95) -> BenefitResult:
    """P(mean effect > MID) and P(effect in a new setting > MID) under a Bayesian random-effects model.

    Parameters
    ----------
    yi, vi : array_like
        Effects in the beneficial direction and their sampling variances (k >= 1).
    mid : float
        Minimal important difference on the SMD scale (e.g. 0.2; 0 for "any benefit").
    mu_prior : (float, float)
        Mean and SD of the normal prior for mu; default N(0, 1).
    tau_prior : TauPrior
        Prior for tau; default half-normal(0.5). See the module docstring.
    level : float
        Level of the credible interval of mu.

    Returns
    -------
    BenefitResult

    Raises
    ------
    NoStudiesError
        If k = 0.
    ValueError
        Bad ``yi``/``vi`` (index named), a non-finite ``mid``, or a prior SD that is not > 0.
    """
    yi, vi = validate_yi_vi(yi, vi)
    m0, s0 = (float(v) for v in mu_prior)
    if not (math.isfinite(m0) and math.isfinite(s0) and s0 > 0):
        raise ValueError(f"mu_prior must be (mean, sd) with sd > 0; got {mu_prior!r}")
    if not math.isfinite(float(mid)):
        raise ValueError(f"mid must be finite; got {mid!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    # quadrature nodes in u = log tau, plus tau = 0 carrying the prior mass below _TAU_LO
    tau = np.concatenate([[0.0], np.exp(_U)])
    m, s, loglik = _conditional(yi, vi, tau * tau, m0, s0)
    logw = np.concatenate([[math.log(max(tau_prior.cdf_tau(_TAU_LO), 1e-300))],
                           np.log(_WU) + tau_prior.log_density_log_tau(_U)]) + loglik
    post = np.exp(logw - logw.max())
    post /= post.sum()
    mid = float(mid)
    p_mean = float(np.dot(post, special.ndtr((m - mid) / s)))
    p_new = float(np.dot(post, special.ndtr((m - mid) / np.sqrt(s * s + tau * tau))))
    p_pos = float(np.dot(post, special.ndtr(m / s)))
    mu_mean = float(np.dot(post, m))
    mu_sd = float(math.sqrt(max(np.dot(post, s * s + m * m) - mu_mean ** 2, 0.0)))

    def cdf(x):
        return float(np.dot(post, special.ndtr((x - m) / s)))

    alpha = (1 - level) / 2
    lo_b, hi_b = mu_mean - 50 * mu_sd - 1, mu_mean + 50 * mu_sd + 1
    ci_lo = optimize.brentq(lambda x: cdf(x) - alpha, lo_b, hi_b, xtol=1e-12)
    ci_hi = optimize.brentq(lambda x: cdf(x) - (1 - alpha), lo_b, hi_b, xtol=1e-12)
    cum = np.cumsum(post)
    tau_median = float(tau[int(np.searchsorted(cum, 0.5))])
    return BenefitResult(mid=mid, p_mean_above=p_mean, p_new_above=p_new, p_mean_positive=p_pos, mu_mean=mu_mean,
                         mu_sd=mu_sd, mu_ci_low=float(ci_lo), mu_ci_high=float(ci_hi), tau_median=tau_median,
                         level=level, k=int(yi.size), mu_prior=(m0, s0), tau_prior=tau_prior)
