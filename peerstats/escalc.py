"""Per-study effect sizes for two-group comparisons: metafor's ``escalc``, and RevMan's rules for its own files.

:func:`effect_sizes` computes ``(yi, vi)`` for the measures a Cochrane review uses. Ratios are on the log scale
(``yi = log RR``), as in metafor; exponentiate ``yi`` and its confidence limits to show them. Arm 1 is the
intervention ("experimental") arm, arm 2 the control arm.

Formulas (cells ``a = ai``, ``b = n1i - ai``, ``c = ci``, ``d = n2i - ci``; after any zero-cell correction
``n1 = a + b``, ``n2 = c + d``)

=========  =================================================  ===================================================
measure    ``yi``                                              ``vi``
=========  =================================================  ===================================================
``RR``     :math:`\\log\\frac{a/n_1}{c/n_2}`                    :math:`1/a - 1/n_1 + 1/c - 1/n_2`
``OR``     :math:`\\log\\frac{ad}{bc}`                          :math:`1/a + 1/b + 1/c + 1/d`
``RD``     :math:`a/n_1 - c/n_2`                                :math:`p_1(1-p_1)/n_1 + p_2(1-p_2)/n_2`
``PETO``   :math:`(a - E)/V`, :math:`E = n_1(a+c)/N`,          :math:`1/V`
           :math:`V = n_1 n_2 (a+c)(b+d) / (N^2 (N-1))`
``MD``     :math:`\\bar x_1 - \\bar x_2`                        :math:`s_1^2/n_1 + s_2^2/n_2`
``SMD``    :math:`J \\cdot (\\bar x_1 - \\bar x_2)/s_p`           see the conventions below
=========  =================================================  ===================================================

Conventions (``convention``)
----------------------------
``"metafor"`` (default): exactly ``escalc`` with its defaults (``add = 1/2``, ``to = "only0"``, ``drop00 = FALSE``,
``vtype = "LS"``): for RR, OR, RD and PETO a study with a zero in any of its four cells gets 1/2 added to all four
cells, for the estimate and the variance alike; a study with no events in either arm (a "double zero") is corrected
the same way and kept. SMD is Hedges' g with the exact correction
:math:`J = \\Gamma(m/2) / (\\sqrt{m/2}\\,\\Gamma((m-1)/2))`, :math:`m = N - 2`, and
:math:`v = 1/n_1 + 1/n_2 + g^2 / (2N)`.

``"revman"``: what Review Manager computes (Deeks & Higgins, *Statistical algorithms in Review Manager 5*, 2010;
Cochrane Handbook 5.1 section 9.4.4: "RevMan automatically adds 0.5 to each cell of the 2x2 table" of a study with a
zero cell), checked row by row against the per-study estimates of 501 Cochrane reviews (Pairwise70; see
``docs/revman.md``). Where it differs from metafor:

- RR, OR: a double-zero study (no events in either arm) is *not estimable*: ``yi = vi = nan`` (metafor: corrected
  and kept, ``yi = 0``). OR is also not estimable when every participant of both arms had the event (``b = d = 0``).
  A RR study where every participant of both arms had the event has ``yi = 0`` (RevMan's 1.00) with the corrected
  variance.
- RD: the estimate uses the uncorrected cells (metafor: corrected); only the variance uses the corrected cells.
  A double-zero study is kept (``yi = 0``).
- PETO: no correction; a study with no events (or only events) in both arms is not estimable (``V = 0``).
- SMD: Hedges' adjusted g with the approximate correction :math:`J = 1 - 3/(4N - 9)` and
  :math:`v = N/(n_1 n_2) + g^2 / (2(N - 3.94))`.
- MD: identical.

References
----------
.. [1] Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw 36(3).
   ``escalc`` documentation, metafor 3.8-1.
.. [2] Deeks, J. J., & Higgins, J. P. T. (2010). Statistical algorithms in Review Manager 5. The Cochrane
   Collaboration.
.. [3] Yusuf, S. et al. (1985). Beta blockade during and after myocardial infarction. Prog Cardiovasc Dis 27, 335-371
   (the Peto odds ratio).
.. [4] Hedges, L. V., & Olkin, I. (1985). Statistical Methods for Meta-Analysis. Academic Press.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .effects import EffectSize

__all__ = ["MEASURES", "BINARY", "CONTINUOUS", "RATIO", "CONVENTIONS", "effect_sizes", "binary_cells"]

#: Measures :func:`effect_sizes` computes.
MEASURES = ("MD", "SMD", "RR", "OR", "RD", "PETO")
BINARY = ("RR", "OR", "RD", "PETO")
CONTINUOUS = ("MD", "SMD")
#: Measures whose ``yi`` is a log ratio (show ``exp(yi)``, a log axis and a null line at 1).
RATIO = ("RR", "OR", "PETO")
CONVENTIONS = ("metafor", "revman")


def _arr(name, x):
    if x is None:
        raise ValueError(f"{name} is required")
    return np.atleast_1d(np.asarray(x, dtype=float))


def _first_bad(mask) -> int:
    return int(np.flatnonzero(mask)[0])


def _require(bad, name, rule, values):
    """Raise naming the first index where ``bad`` (comparisons with nan are False: missing values pass)."""
    if bad.any():
        i = _first_bad(bad)
        raise ValueError(f"{name} must be {rule}; got {float(values[i])!r} at index {i}")


def _non_events(events, ev_name, size, size_name, non_events, non_name):
    """The non-events of one arm: ``size - events`` (checked) when the arm size is given, else as given."""
    if size is None:
        return _arr(non_name, non_events)
    n = _arr(size_name, size)
    _require(n <= 0, size_name, "> 0", n)
    _require(events > n, ev_name, f"<= {size_name}", events)
    return n - events


def binary_cells(ai, n1i=None, ci=None, n2i=None, *, bi=None, di=None):
    """Return the four cells ``(a, b, c, d)`` of each 2x2 table as float arrays, checked.

    Either the arm sizes (``n1i``, ``n2i``) or the non-event counts (``bi``, ``di``) are given, as in metafor.

    Raises
    ------
    ValueError
        A count is negative, events exceed the arm size, or an arm is empty; the message names the index.
    """
    a = _arr("ai", ai)
    c = _arr("ci", ci)
    b = _non_events(a, "ai", n1i, "n1i", bi, "bi")
    d = _non_events(c, "ci", n2i, "n2i", di, "di")
    for name, x in (("ai", a), ("bi", b), ("ci", c), ("di", d)):
        _require(x < 0, name, ">= 0", x)
    a, b, c, d = np.broadcast_arrays(a, b, c, d)
    return a.astype(float), b.astype(float), c.astype(float), d.astype(float)


def _corrected(a, b, c, d, add):
    """Add ``add`` to all four cells of each table with a zero cell (metafor's ``to = "only0"``)."""
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    k = np.where(zero, add, 0.0)
    return a + k, b + k, c + k, d + k


def _binary(measure, a, b, c, d, convention, add):
    A, B, C, D = _corrected(a, b, c, d, add)
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            n1, n2 = A + B, C + D
            yi = np.log(A / n1) - np.log(C / n2)
            vi = 1 / A - 1 / n1 + 1 / C - 1 / n2
            if convention == "revman":
                yi = np.where((b == 0) & (d == 0), 0.0, yi)
        elif measure == "OR":
            yi = np.log(A * D / (B * C))
            vi = 1 / A + 1 / B + 1 / C + 1 / D
            if convention == "revman":
                out = (b == 0) & (d == 0)
                yi, vi = np.where(out, np.nan, yi), np.where(out, np.nan, vi)
        elif measure == "RD":
            n1, n2 = A + B, C + D
            p1, p2 = A / n1, C / n2
            vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
            if convention == "revman":
                yi = a / (a + b) - c / (c + d)
            else:
                yi = p1 - p2
        else:  # PETO
            if convention == "revman":
                A, B, C, D = a, b, c, d
            n1, n2 = A + B, C + D
            n = n1 + n2
            e = n1 * (A + C) / n
            v = n1 * n2 * (A + C) * (B + D) / (n**2 * (n - 1))
            yi = (A - e) / v
            vi = 1 / v
        if convention == "revman" and measure in ("RR", "OR"):
            out = (a == 0) & (c == 0)
            yi, vi = np.where(out, np.nan, yi), np.where(out, np.nan, vi)
        bad = ~np.isfinite(yi) | ~np.isfinite(vi) | ~(vi > 0)
        yi, vi = np.where(bad, np.nan, yi), np.where(bad, np.nan, vi)
    return yi, vi


def _continuous(measure, m1i, sd1i, n1i, m2i, sd2i, n2i, convention):
    m1, s1, n1, m2, s2, n2 = (_arr(k, v) for k, v in (("m1i", m1i), ("sd1i", sd1i), ("n1i", n1i), ("m2i", m2i),
                                                        ("sd2i", sd2i), ("n2i", n2i)))
    for name, x in (("sd1i", s1), ("sd2i", s2)):
        _require(x < 0, name, ">= 0", x)
    for name, x in (("n1i", n1), ("n2i", n2)):
        _require(x < 1, name, ">= 1", x)
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "MD":
            yi = m1 - m2
            vi = s1**2 / n1 + s2**2 / n2
        else:
            n = n1 + n2
            sp = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n - 2))
            dd = (m1 - m2) / sp
            if convention == "revman":
                yi = dd * (1 - 3 / (4 * n - 9))
                vi = n / (n1 * n2) + yi**2 / (2 * (n - 3.94))
            else:
                m = n - 2
                j = np.exp(special.gammaln(m / 2) - 0.5 * np.log(m / 2) - special.gammaln((m - 1) / 2))
                yi = j * dd
                vi = 1 / n1 + 1 / n2 + yi**2 / (2 * n)
        bad = ~np.isfinite(yi) | ~np.isfinite(vi) | ~(vi > 0)
    return np.where(bad, np.nan, yi), np.where(bad, np.nan, vi)


def effect_sizes(measure: str, *, ai=None, bi=None, ci=None, di=None, n1i=None, n2i=None, m1i=None, sd1i=None,
                 m2i=None, sd2i=None, convention: str = "metafor", add: float = 0.5) -> EffectSize:
    """Per-study effect sizes and sampling variances, as metafor ``escalc(measure, ...)`` (or as RevMan).

    Parameters
    ----------
    measure : {"MD", "SMD", "RR", "OR", "RD", "PETO"}
        Mean difference, standardised mean difference (Hedges' g), log risk ratio, log odds ratio, risk difference,
        log Peto odds ratio.
    ai, ci : array_like
        Events in the intervention and control arms (binary measures).
    n1i, n2i : array_like
        Arm sizes (or give ``bi``, ``di``: the non-events, as metafor allows).
    m1i, sd1i, m2i, sd2i : array_like
        Arm means and standard deviations (MD, SMD; with ``n1i``, ``n2i``).
    convention : {"metafor", "revman"}
        Zero-cell, double-zero and SMD rules: metafor's ``escalc`` defaults, or Review Manager's (module
        docstring).
    add : float
        The zero-cell correction (metafor's ``add``, RevMan's 0.5).

    Returns
    -------
    EffectSize
        ``yi`` and ``vi`` as float arrays (unpack ``yi, vi = effect_sizes(...)``). A study whose effect cannot be
        estimated (a double zero under ``"revman"``, an SD of 0 ...) gets ``nan`` in both: not estimable, never 0.
        A missing input (``nan``) gives ``nan`` too, as ``NA`` does in metafor.

    Raises
    ------
    ValueError
        Unknown measure or convention, a missing argument, a negative count or SD, events above the arm size, an
        arm too small; the message names the argument and the first offending index.

    Examples
    --------
    >>> yi, vi = effect_sizes("RR", ai=[4, 0], n1i=[10, 10], ci=[2, 0], n2i=[10, 10])
    >>> [round(float(x), 4) for x in yi]
    [0.6931, 0.0]
    >>> yi, vi = effect_sizes("RR", ai=[4, 0], n1i=[10, 10], ci=[2, 0], n2i=[10, 10], convention="revman")
    >>> bool(np.isnan(yi[1]))
    True
    """
    measure = str(measure).upper()
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be 'metafor' or 'revman'; got {convention!r}")
    if not (np.isfinite(add) and add >= 0):
        raise ValueError(f"add must be finite and >= 0; got {add!r}")
    if measure in BINARY:
        a, b, c, d = binary_cells(ai, n1i, ci, n2i, bi=bi, di=di)
        yi, vi = _binary(measure, a, b, c, d, convention, float(add))
    else:
        yi, vi = _continuous(measure, m1i, sd1i, n1i, m2i, sd2i, n2i, convention)
    return EffectSize(yi, vi)
