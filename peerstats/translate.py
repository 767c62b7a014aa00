"""Translations of a standardised mean difference into numbers a clinician reads: NNT, U3, CLES, proportion above.

Every function takes plain floats (or numpy arrays, which broadcast against each other) and returns a plain ``float``
when every input is a scalar, otherwise a ``numpy.ndarray``. The SMD is always taken **in the beneficial direction**
(positive = peer support better), i.e. ``beneficial * yi`` with ``beneficial`` from ``peerstats.data.OUTCOMES``.

All four translations are monotone increasing in the SMD, so an interval for each comes from applying it to the
bounds of the pooled confidence interval (:func:`interval`). The NNT is the exception that needs care: it is
``1 / ARD`` and passes through infinity where the interval of the SMD crosses 0; :func:`nnt_interval` reports that
as Altman's (1998) "NNTB a to infinity to NNTH b".

Formulas (Phi the standard normal CDF):

- ``nnt(smd, cer) = 1 / (Phi(smd + Phi^-1(cer)) - cer)`` (Furukawa & Leucht 2011), ``cer`` the control event
  (response) rate; positive = number needed to treat for one more responder, negative = number needed to harm.
- ``u3(smd) = Phi(smd)``: Cohen's U3, the share of the peer-support group above the control group's mean.
- ``cles(smd) = Phi(smd / sqrt(2))``: common-language effect size (McGraw & Wong 1992), the probability that a
  random person under peer support does better than a random control.
- ``prop_above(estimate, tau2, threshold) = 1 - Phi((threshold - estimate) / tau)``, ``tau = sqrt(tau2)``
  (Mathur & VanderWeele 2019): the share of true effects in the population of settings above ``threshold``.
- ``to_points(smd, reference_sd) = smd * reference_sd``: the effect in points of a familiar instrument.

References
----------
.. [1] Furukawa, T. A., & Leucht, S. (2011). How to obtain NNT from Cohen's d: comparison of two methods. PLoS ONE,
   6(4), e19070.
.. [2] Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences (2nd ed.), U3 (section 2.2).
.. [3] McGraw, K. O., & Wong, S. P. (1992). A common language effect size statistic. Psychol Bull, 111, 361-365.
.. [4] Mathur, M. B., & VanderWeele, T. J. (2019). New metrics for meta-analyses of heterogeneous effects. Stat Med,
   38, 1336-1342.
.. [5] Altman, D. G. (1998). Confidence intervals for the number needed to treat. BMJ, 317, 1309-1312.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["nnt", "u3", "cles", "prop_above", "to_points", "interval", "NNTInterval", "nnt_interval", "control_risk",
           "natural_nnt", "NATURAL_NNT_MEASURES"]


def _out(x, *inputs):
    """A plain float when every input was a scalar, else the array."""
    if all(np.ndim(v) == 0 for v in inputs):
        return float(x)
    return np.asarray(x, dtype=float)


def _as_float(x, name: str) -> np.ndarray:
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number or an array of numbers; got {x!r}") from exc


def nnt(smd, cer):
    """Number needed to treat from an SMD and a control event rate (Furukawa & Leucht 2011).

    .. math:: NNT = \\frac{1}{\\Phi(d + \\Phi^{-1}(CER)) - CER}

    The SMD ``d`` is dichotomised at the control group's response threshold: the control group responds with
    probability ``CER``, the peer-support group (a normal distribution shifted by ``d`` SDs) with
    ``Phi(d + Phi^-1(CER))``. Their difference is the absolute risk difference ``ARD``, and ``NNT = 1 / ARD``.

    Parameters
    ----------
    smd : float or array_like
        SMD in the beneficial direction (positive = peer support better).
    cer : float or array_like
        Control event (response) rate, strictly between 0 and 1.

    Returns
    -------
    float or numpy.ndarray
        Positive: patients to treat for one more good outcome (NNTB); negative: for one more bad outcome (NNTH);
        ``inf`` at ``smd = 0`` (no difference: no finite number of patients yields one more responder).

    Raises
    ------
    ValueError
        If a ``cer`` is not strictly between 0 and 1 (the NNT is undefined there) or an input is not finite.
    """
    d, c = _as_float(smd, "smd"), _as_float(cer, "cer")
    if not np.all(np.isfinite(d)):
        raise ValueError("smd must be finite")
    if not np.all((c > 0) & (c < 1)):
        raise ValueError(f"cer (the control event rate) must be strictly between 0 and 1; got {cer!r}")
    ard = _ard(d, c)
    with np.errstate(divide="ignore"):
        res = np.where(ard == 0, np.inf, 1.0 / np.where(ard == 0, 1.0, ard))
    return _out(res, smd, cer)


def _ard(d, c):
    """Phi(d + Phi^-1(c)) - c, exactly 0 at d = 0 (the round trip Phi(Phi^-1(c)) is off by an ulp or so)."""
    return np.where(d == 0, 0.0, special.ndtr(d + special.ndtri(c)) - c)


def u3(smd):
    """Cohen's U3 = Phi(smd): the share of the peer-support group above the control mean (0.5 = no effect)."""
    return _out(special.ndtr(_as_float(smd, "smd")), smd)


def cles(smd):
    """Common-language effect size = Phi(smd / sqrt 2) (McGraw & Wong 1992).

    The probability that a randomly chosen person under peer support scores better than a randomly chosen control
    (two normal distributions with equal SD, means ``smd`` SDs apart: their difference is N(smd, 2)).
    """
    return _out(special.ndtr(_as_float(smd, "smd") / math.sqrt(2.0)), smd)


def prop_above(estimate, tau2, threshold):
    """Proportion of true effects above ``threshold`` (Mathur & VanderWeele 2019).

    .. math:: \\hat P = 1 - \\Phi\\big((q - \\hat\\mu) / \\hat\\tau\\big)

    under the normal random-effects distribution of true effects, N(estimate, tau2).

    Parameters
    ----------
    estimate : float or array_like
        Pooled mean effect (beneficial direction).
    tau2 : float or array_like
        Between-study variance, >= 0.
    threshold : float or array_like
        The effect size ``q`` of interest (e.g. a minimal important difference, or 0).

    Returns
    -------
    float or numpy.ndarray
        The proportion in [0, 1]. At ``tau2 = 0`` every true effect equals ``estimate``, so the answer is a step:
        1 if ``estimate > threshold``, 0 if ``estimate < threshold`` and 0.5 at equality (the limit of the formula
        as tau -> 0).

    Raises
    ------
    ValueError
        If a ``tau2`` is negative or not finite.
    """
    mu, t2, q = _as_float(estimate, "estimate"), _as_float(tau2, "tau2"), _as_float(threshold, "threshold")
    if not np.all(np.isfinite(t2) & (t2 >= 0)):
        raise ValueError(f"tau2 must be finite and >= 0; got {tau2!r}")
    tau = np.sqrt(t2)
    with np.errstate(divide="ignore", invalid="ignore"):
        cont = special.ndtr((mu - q) / np.where(tau > 0, tau, 1.0))
    step = np.where(mu > q, 1.0, np.where(mu < q, 0.0, 0.5))
    return _out(np.where(tau > 0, cont, step), estimate, tau2, threshold)


def to_points(smd, reference_sd):
    """The effect in points of a familiar instrument: ``smd * reference_sd``.

    Parameters
    ----------
    smd : float or array_like
        Standardised mean difference.
    reference_sd : float or array_like
        The instrument's standard deviation in a reference population (> 0), e.g. the pooled baseline SD.

    Raises
    ------
    ValueError
        If a ``reference_sd`` is not finite and > 0.
    """
    sd = _as_float(reference_sd, "reference_sd")
    if not np.all(np.isfinite(sd) & (sd > 0)):
        raise ValueError(f"reference_sd must be finite and > 0; got {reference_sd!r}")
    return _out(_as_float(smd, "smd") * sd, smd, reference_sd)


def interval(fn, ci_low, ci_high, *args):
    """Apply a monotone increasing translation to the bounds of a confidence interval: ``(fn(lo), fn(hi))``.

    Valid for :func:`u3`, :func:`cles`, :func:`to_points` and :func:`prop_above` in its ``estimate`` argument (each
    increasing in the SMD); for the NNT use :func:`nnt_interval`.
    """
    return fn(ci_low, *args), fn(ci_high, *args)


@dataclass(frozen=True)
class NNTInterval:
    """NNT with its confidence interval, after Altman (1998).

    Attributes
    ----------
    nnt : float
        NNT at the point estimate (positive = benefit, negative = harm, inf = no difference).
    ard, ard_low, ard_high : float
        Absolute risk difference at the estimate and at the CI bounds of the SMD.
    nntb_low : float
        Smallest number needed to treat for benefit (1 / ard_high), nan when ard_high <= 0.
    nnth_low : float
        Smallest number needed to harm (1 / -ard_low), nan when ard_low >= 0.
    crosses_null : bool
        True when the SMD interval includes 0: the NNT interval then runs "NNTB a to infinity to NNTH b".
    """

    nnt: float
    ard: float
    ard_low: float
    ard_high: float
    nntb_low: float
    nnth_low: float
    crosses_null: bool

    @property
    def bounds(self) -> tuple[float, float]:
        """The interval as two numbers: (NNTB from the upper SMD bound, NNT from the lower bound).

        When the interval crosses the null this pair does not contain the point estimate (it runs through infinity);
        see :attr:`crosses_null`.
        """
        hi = 1.0 / self.ard_high if self.ard_high != 0 else math.inf
        lo = 1.0 / self.ard_low if self.ard_low != 0 else math.inf
        return hi, lo


def nnt_interval(estimate: float, ci_low: float, ci_high: float, cer: float) -> NNTInterval:
    """The NNT at the estimate and its interval from the SMD's CI bounds (Altman 1998).

    The ARD ``Phi(d + Phi^-1(CER)) - CER`` is increasing in ``d``, so its interval is the ARD at the SMD's CI bounds;
    the NNT interval is their reciprocals. When the CI of the SMD contains 0 the ARD interval contains 0 and the NNT
    interval is the union "NNTB 1/ard_high to infinity to NNTH 1/|ard_low|".
    """
    if not (ci_low <= estimate <= ci_high):
        raise ValueError(f"need ci_low <= estimate <= ci_high; got {ci_low!r}, {estimate!r}, {ci_high!r}")
    c = float(cer)
    if not 0 < c < 1:
        raise ValueError(f"cer (the control event rate) must be strictly between 0 and 1; got {cer!r}")
    ard, lo, hi = (float(_ard(float(d), c)) for d in (estimate, ci_low, ci_high))
    return NNTInterval(
        nnt=1.0 / ard if ard != 0 else math.inf, ard=ard, ard_low=lo, ard_high=hi,
        nntb_low=1.0 / hi if hi > 0 else math.nan, nnth_low=1.0 / -lo if lo < 0 else math.nan,
        crosses_null=bool(lo <= 0 <= hi),
    )


# ----------------------------------------------------------------------------------------------------------------
# the natural NNT of a binary analysis (issue 19)
# ----------------------------------------------------------------------------------------------------------------

#: Measures :func:`natural_nnt` translates (log ratios for RR, OR and PETO, the difference itself for RD).
NATURAL_NNT_MEASURES = ("RR", "OR", "PETO", "RD")


def control_risk(ci, n2i) -> float:
    """The control group's risk in the data: ``sum(ci) / sum(n2i)`` over the studies where both are known.

    Raises
    ------
    ValueError
        No study gives both control events and control N, or a count is negative, or events exceed N.
    """
    c = np.asarray(ci, dtype=float)
    n = np.asarray(n2i, dtype=float)
    known = np.isfinite(c) & np.isfinite(n)
    if not known.any() or n[known].sum() <= 0:
        raise ValueError("no study gives both the control group's events and its size, so its risk is unknown")
    if (c[known] < 0).any() or (n[known] < 0).any() or (c[known] > n[known]).any():
        raise ValueError("control events must be between 0 and the control group's size")
    return float(c[known].sum() / n[known].sum())


def _risk_reduction(measure: str, x: float, cer: float) -> float:
    """CER - EER: the control risk minus the intervention's at effect ``x`` (log ratio, or RD)."""
    if measure == "RD":
        return -x
    r = math.exp(x)
    if measure == "RR":
        return cer - cer * r
    return cer * (1 - cer) * (1 - r) / (1 - cer * (1 - r))  # OR, PETO: EER = OR CER / (1 - CER + OR CER)


def natural_nnt(measure: str, estimate: float, ci_low: float, ci_high: float, cer: float) -> NNTInterval:
    """The number needed to treat from a pooled ratio (or risk difference) and the control group's risk.

    With :math:`R` the control group's risk (CER) and the pooled ratio on its natural scale (Cochrane Handbook
    15.4.4):

    .. math:: \\mathrm{NNT}_{RR} = \\frac{1}{R - R\\,RR}, \\qquad
              \\mathrm{NNT}_{OR} = \\frac{1 - R(1 - OR)}{(1 - R)\\,R\\,(1 - OR)}, \\qquad
              \\mathrm{NNT}_{RD} = -\\frac{1}{RD}

    i.e. the reciprocal of the risk reduction CER - EER. The interval comes from the ratio's CI (the risk reduction
    is monotone in the ratio), with Altman's (1998) reading when it crosses no effect.

    Parameters
    ----------
    measure : {"RR", "OR", "PETO", "RD"}
        Peto's odds ratio is translated as an odds ratio.
    estimate, ci_low, ci_high : float
        The pooled **log** ratio and its CI (as :func:`peerstats.pool` and :func:`peerstats.pool_mh` give them), or
        the risk difference.
    cer : float
        Control event rate, strictly between 0 and 1 (:func:`control_risk`).

    Returns
    -------
    NNTInterval
        ``ard`` is the risk **reduction** (CER - EER): positive = fewer events with the intervention, so ``nnt > 0``
        is the number treated for one fewer event and ``nnt < 0`` (its magnitude) for one more; ``nntb_low`` and
        ``nnth_low`` are the smallest numbers for one fewer and one more event within the CI. Whether fewer events
        is a benefit depends on the outcome, which a RevMan file does not say.
    """
    m = str(measure).upper()
    if m not in NATURAL_NNT_MEASURES:
        raise ValueError(f"the natural NNT is for risk ratios, odds ratios and risk differences; got {measure!r}")
    if not (ci_low <= estimate <= ci_high):
        raise ValueError(f"need ci_low <= estimate <= ci_high; got {ci_low!r}, {estimate!r}, {ci_high!r}")
    c = float(cer)
    if not 0 < c < 1:
        raise ValueError(f"cer (the control group's risk) must be strictly between 0 and 1; got {cer!r}")
    ard = _risk_reduction(m, float(estimate), c)
    lo = _risk_reduction(m, float(ci_high), c)  # the risk reduction decreases as the ratio grows
    hi = _risk_reduction(m, float(ci_low), c)
    return NNTInterval(
        nnt=1.0 / ard if ard != 0 else math.inf, ard=ard, ard_low=lo, ard_high=hi,
        nntb_low=1.0 / hi if hi > 0 else math.nan, nnth_low=1.0 / -lo if lo < 0 else math.nan,
        crosses_null=bool(lo <= 0 <= hi),
    )
