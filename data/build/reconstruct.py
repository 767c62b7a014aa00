"""Reconstruction of the trial x outcome effects the paper pooled but no reachable source reports.

The procedure (documented in ``data/README.md``, section "Reconstructed rows"):

1. For each outcome with published cells, the cells are nested ("all" contains the category cells). Each
   reconstructed row belongs to the smallest published cell that contains its trial (its *target cell*).
2. Arm sizes of reconstructed rows are their trial's own (:func:`own_arms`): the arms of the trial's reported or
   derived rows, else ``n_randomized`` from ``trials.csv`` split equally. Where a target cell's reconstructed trials
   have more participants than the paper's N leaves for them, all are scaled down by one factor (never up), so no
   row counts more participants than its trial or than the paper pooled; trials with unknown N take an equal share
   of what is left, at most the N of the cell's largest trial with a known N (:func:`assign_sizes`).
3. ``vi = 1/n1 + 1/n2 + yi^2 / (2 (n1 + n2))`` (:func:`smd_variance`): the variance of every real row. Effects are
   imputed, never precision: there is no variance scale.
4. One target cell's reconstructed values are ``yi = a_c + b_c z_i`` with a fixed spread pattern ``z`` (see
   :func:`spread_pattern`); ``a_c`` and ``b_c`` of every cell of one outcome are solved jointly by
   penalised least squares (see :func:`solve`), a problem with one answer that every machine reaches with the same
   arithmetic. Reported and derived rows never move. Where the paper's numbers cannot be met with the trials' own
   sizes, the gap is reported (``reconstruction_fit.csv``), never closed by bending variances.

Pooling in the solver uses a vectorised DerSimonian-Laird estimator written here for speed; every final value is
re-checked with :func:`peerstats.meta.pool` (the engine the app uses) by the build.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

Z975 = 1.959963984540054
TOL = np.array([0.005, 0.005, 0.005, 0.5])  # smd, ci_low, ci_high, i2 (points)
MARGIN = 0.8  # fraction of the tolerance the solution must stay within


def dl_summary(y: np.ndarray, v: np.ndarray, raw_i2: bool = False) -> np.ndarray:
    """DerSimonian-Laird estimate, 95% CI bounds and I2 (percent), as metafor ``rma(method="DL")``.

    With ``raw_i2`` the last value is Higgins' ``100 (Q - df) / Q`` not truncated at 0: equal to I2 where I2 > 0, and
    below zero it still says how far Q is from giving I2 > 0 (the solver needs that slope).

    Sums are ``math.fsum`` (correctly rounded, independent of summation order and of numpy's SIMD kernels), so the
    solver's objective is the same number on every machine.
    """
    y = [float(a) for a in y]
    w = [1.0 / float(a) for a in v]
    k = len(y)
    sw = math.fsum(w)
    ybar = math.fsum(wi * yi for wi, yi in zip(w, y)) / sw
    q = math.fsum(wi * (yi - ybar) ** 2 for wi, yi in zip(w, y))
    c = sw - math.fsum(wi * wi for wi in w) / sw
    tau2 = max(0.0, (q - (k - 1)) / c) if k > 1 else 0.0
    ws = [1.0 / (float(a) + tau2) for a in v]
    sws = math.fsum(ws)
    est = math.fsum(wi * yi for wi, yi in zip(ws, y)) / sws
    se = math.sqrt(1.0 / sws)
    # metafor's I2 for DL: 100 * tau2 / (tau2 + s2), s2 the "typical" within-study variance; equals (Q-df)/Q.
    s2 = (k - 1) / c if k > 1 else 0.0
    i2 = 100.0 * tau2 / (tau2 + s2) if k > 1 and tau2 > 0 else 0.0
    if raw_i2:
        i2 = 100.0 * (q - (k - 1)) / q if k > 1 and q > 0 else 0.0
    return np.array([est, est - Z975 * se, est + Z975 * se, i2])


@dataclass
class Cell:
    name: str  # e.g. "hospital_added:personal_recovery"
    members: list[str]  # trial ids
    target: np.ndarray  # smd, ci_low, ci_high, i2
    n: int


@dataclass
class Problem:
    outcome: str
    cells: list[Cell]
    fixed: dict[str, tuple[float, float, int]]  # trial -> (yi, vi, n)
    recon: dict[str, dict] = field(default_factory=dict)  # trial -> {"n1", "n2", "cell"}


def target_cells(cells: list[Cell]) -> dict[str, str]:
    """Each trial's smallest containing cell (ties: first listed)."""
    out = {}
    for cell in sorted(cells, key=lambda c: (len(c.members), c.name)):
        for t in cell.members:
            out.setdefault(t, cell.name)
    return out


def _largest_remainder(shares: dict[str, float], total: int) -> dict[str, int]:
    floors = {t: math.floor(x) for t, x in shares.items()}
    left = total - sum(floors.values())
    order = sorted(shares, key=lambda t: (-(shares[t] - floors[t]), t))
    for t in order[: max(0, left)]:
        floors[t] += 1
    return floors


def own_arms(trial: str, real_arms: dict[str, tuple[int, int]], randomised: dict[str, float | None]):
    """The trial's own arm sizes ``(n1, n2, how)``, or ``None`` when its N is unknown (step 2 of the procedure).

    ``real_arms``: the arms of the trial's real rows (the pair with the largest total, i.e. the trial's own analysed
    arms); else ``n_randomized`` split equally (ceil/floor of half: no source read gives another ratio for these
    trials); else unknown.
    """
    if trial in real_arms:
        n1, n2 = real_arms[trial]
        return int(n1), int(n2), "the arm sizes of the trial's own reported/derived rows"
    n = randomised.get(trial)
    if n:
        n = int(n)
        return (n + 1) // 2, n // 2, "the trial's randomised N (trials.csv n_randomized) split equally"
    return None


def assign_sizes(cells: list[Cell], fixed_n: dict[str, int], recon_trials: list[str],
                 own: dict[str, tuple[int, int, str] | None]) -> tuple[dict[str, tuple[int, int, str]], list[str]]:
    """Arm sizes ``(n1, n2, how)`` of the reconstructed rows (step 2 of the procedure). Returns sizes and warnings.

    A reconstructed row never counts more participants than its trial has: its arms are the trial's own (``own``,
    see :func:`own_arms`). Where the trials of a target cell have more participants than the paper's cell N leaves
    for them (the paper pooled analysed, not randomised, participants), all of them are scaled down by one factor
    (totals by largest remainder, so the cell's N is exact; arms in the trial's own ratio): never up. Trials with
    unknown N share what the paper's N leaves equally, at most the N of the cell's largest trial with a known N (a
    plausible size: no larger than a trial the paper pooled beside it) and at least 4 (2 per arm).
    """
    tcell = target_cells(cells)
    sizes: dict[str, tuple[int, int, str]] = {}
    warnings = []
    for cell in sorted(cells, key=lambda c: (len(c.members), c.name)):
        mine = [t for t in cell.members if t in recon_trials and tcell[t] == cell.name and t not in sizes]
        if not mine:
            continue
        used = sum(fixed_n.get(t, 0) for t in cell.members) + sum(sum(sizes[t][:2]) for t in cell.members
                                                                   if t in sizes)
        available = cell.n - used
        known = [t for t in mine if own.get(t)]
        unknown = [t for t in mine if not own.get(t)]
        total_known = sum(own[t][0] + own[t][1] for t in known)
        if known and total_known > available:
            shares = {t: (own[t][0] + own[t][1]) * max(available, 0) / total_known for t in known}
            totals = _largest_remainder(shares, int(max(available, 0)))
            for t in known:
                n1, n2, how = own[t]
                tot = max(totals[t], 4)
                a = min(max(round(tot * n1 / (n1 + n2)), 2), tot - 2)
                sizes[t] = (a, tot - a, how + f", scaled down by {available / total_known:.3f} to the N the "
                                        f"paper's cell {cell.name} leaves ({available})")
            warnings.append(f"{cell.name}: the reconstructed trials' own N ({total_known}) exceeds the N the paper "
                            f"leaves ({available}): scaled down")
        else:
            for t in known:
                sizes[t] = own[t]
        if unknown:
            left = available - sum(sum(sizes[t][:2]) for t in known)
            sized = [fixed_n[t] for t in cell.members if t in fixed_n] + [sum(sizes[t][:2]) for t in cell.members
                                                                          if t in sizes]
            cap = int(max(sized)) if sized else 100
            each = max(4, min(cap, int(left // len(unknown)) if left > 0 else 4))
            for t in unknown:
                sizes[t] = ((each + 1) // 2, each // 2,
                            f"N unknown: an equal share of the N the paper's cell {cell.name} leaves ({max(left, 0)}"
                            f" for {len(unknown)}), at most the N of the cell's largest trial with a known N ({cap})")
    return sizes, warnings


def smd_variance(y, n1, n2):
    """The large-sample variance of Hedges' g (metafor ``escalc("SMD")``, ``peerstats.effects.smd``).

    ``vi = 1/n1 + 1/n2 + yi^2 / (2 (n1 + n2))``: the formula every real row's ``vi`` comes from.
    """
    return 1.0 / n1 + 1.0 / n2 + y**2 / (2.0 * (n1 + n2))


def spread_pattern(trials: list[str]) -> dict[str, float]:
    """Fixed spread pattern ``z`` of one cell's reconstructed trials (step 4 of the procedure).

    The trials sorted by id get the normal scores ``Phi^-1((j - 1/2) / r)``, j = 1..r, dealt out in the interleaved
    order 1, r, 2, r-1, ... so that neighbours in id order sit on opposite sides. The pattern carries no information
    (reconstructed values are not trial data); fixing it is what makes the problem have one answer: with a free
    pattern every permutation of the trials is another, equally good solution, and which one an optimiser reaches
    depends on last-bit differences between machines.
    """
    from scipy.special import ndtri

    ts = sorted(trials)
    r = len(ts)
    if r == 1:
        return {ts[0]: 0.0}
    scores = [float(ndtri((j - 0.5) / r)) for j in range(1, r + 1)]
    order = []
    lo, hi = 0, r - 1
    while lo <= hi:
        order.append(lo)
        if hi != lo:
            order.append(hi)
        lo, hi = lo + 1, hi - 1
    return {t: scores[j] for t, j in zip(ts, order)}


START_SPREAD = 0.5  # first start of the spread b_c: well above zero, since where I2 is truncated at 0 the solver sees
#                    no slope towards the target I2
OTHER_STARTS = (0.2, 0.8, 1.5)  # further starts: with bounded values a cell can have a second, worse local minimum
#                                (all: anxiety, all three values pressed against one bound); the lowest cost is kept


def x_spread(b: float) -> float:
    """The prior residual of a spread ``b`` (before the weight): ``b / 0.1``."""
    return b / 0.1
PRIOR_WEIGHT = 1e-3  # weight of the uniqueness terms, in squared tolerance units (see solve)


def solve(problem: Problem) -> dict:
    """Solve one outcome: a well-posed penalised least-squares problem with one answer on any machine.

    Unknowns, per target cell ``c`` with reconstructed trials: a location ``a_c`` and a spread ``b_c > 0`` (only
    when the cell has two or more reconstructed trials and a published I2 above 0). Trial ``i`` of cell ``c``
    gets ``yi = a_c + b_c z_i`` with the fixed pattern ``z`` of :func:`spread_pattern`, or, when the row has bounds
    ``(lo, hi)`` (``problem.recon[t]["bounds"]``), ``yi = lo + (hi - lo) expit(a_c + b_c z_i)``, which can never
    leave them. Only effects are imputed, never precision: ``vi`` is :func:`smd_variance` of ``yi`` and the row's arm
    sizes ``n1``, ``n2`` (the trial's own, see :func:`assign_sizes`), the formula of every real row.

    Objective: the sum over all cells of the outcome of the squared deviations of the DL estimate, both 95% CI bounds
    and I2 from the published values, each divided by its tolerance (0.005, 0.005, 0.005, 0.5 points; for I2 = 0
    only a positive I2 counts), plus ``PRIOR_WEIGHT`` times ``sum (a_c - target_c)^2 / 0.1^2 + b_c^2 / 0.1^2``. The last terms make the minimum unique where the published numbers leave a direction free (a cell
    whose I2 no spread can reach, a cell fixed by its sub-cells); they cost at most a few thousandths of a tolerance
    where the targets can be met. Solved by ``scipy.optimize.least_squares`` (``b_c = exp(beta_c)`` keeps it positive) from a
    fixed start (MINPACK Levenberg-Marquardt, whose linear algebra does not go through BLAS; sums by ``math.fsum``), so
    every machine takes the same steps to the same last bit; other starts reach the same minimum to ~2e-9.
    Reported and derived rows never move.
    """
    cells = problem.cells
    recon = list(problem.recon)
    by_name = {c.name: c for c in cells}
    own = {}
    for t in recon:
        own.setdefault(problem.recon[t]["cell"], []).append(t)
    own_cells = sorted(own)
    z = {}
    for c in own_cells:
        z.update(spread_pattern(own[c]))
    layout = []  # (cell, has_spread)
    for c in own_cells:
        layout.append((c, len(own[c]) >= 2 and by_name[c].target[3] > 0))
    n_par = sum(2 if sp else 1 for _, sp in layout)

    def unpack(x):
        pars = {}
        i = 0
        for c, sp in layout:
            a = x[i]
            b = math.exp(x[i + 1]) if sp else 0.0
            pars[c] = (a, b)
            i += 2 if sp else 1
        ys = {}
        for c, (a, b) in pars.items():
            for t in own[c]:
                u = a + b * z[t]
                bounds = problem.recon[t].get("bounds")
                if bounds is None:
                    ys[t] = u
                else:
                    lo, hi = bounds
                    ys[t] = lo + (hi - lo) / (1.0 + math.exp(-u))
        return ys, pars

    def cell_values(x, raw_i2=False):
        ys, _ = unpack(x)
        out = {}
        for cell in cells:
            y = np.empty(len(cell.members))
            v = np.empty(len(cell.members))
            for i, t in enumerate(cell.members):
                if t in problem.fixed:
                    y[i], v[i] = problem.fixed[t][0], problem.fixed[t][1]
                else:
                    r = problem.recon[t]
                    y[i] = ys[t]
                    v[i] = smd_variance(ys[t], r["n1"], r["n2"])
            out[cell.name] = dl_summary(y, v, raw_i2=raw_i2 and cell.target[3] > 0)
        return out

    def fit_residuals(x, raw_i2=True):
        vals = cell_values(x, raw_i2=raw_i2)
        res = []
        for cell in cells:
            d = (vals[cell.name] - cell.target) / TOL
            if cell.target[3] == 0:
                d[3] = vals[cell.name][3] / TOL[3]
            res.extend(d)
        return np.array(res)

    def _u_target(c, t0):
        bounds = [problem.recon[t].get("bounds") for t in own[c]]
        if bounds[0] is None:
            return t0
        lo, hi = bounds[0]
        p = min(max((t0 - lo) / (hi - lo), 1e-6), 1 - 1e-6)
        return math.log(p / (1 - p))

    a0 = {c: _u_target(c, by_name[c].target[0]) for c in own_cells}
    sq = math.sqrt(PRIOR_WEIGHT)

    def prior_residuals(x):
        _, pars = unpack(x)
        out = []
        for c, sp in layout:
            a, b = pars[c]
            out.append(sq * (a - a0[c]) / 0.1)
            if sp:
                out.append(sq * x_spread(b))
        return np.array(out)

    n_res = 4 * len(cells) + n_par

    def residuals(x):
        # A trial step of the optimiser can overflow exp() or underflow a variance to 0: give it a large cost, so
        # the step is refused and a shorter one tried (the final solution is always a finite point).
        try:
            r = np.concatenate([fit_residuals(x), prior_residuals(x)])
        except (ZeroDivisionError, OverflowError, ValueError):
            return np.full(n_res, 1e6)
        return r if np.all(np.isfinite(r)) else np.full(n_res, 1e6)

    def start(spread):
        x0 = []
        for c, sp in layout:
            x0.append(a0[c])
            if sp:
                x0.append(math.log(spread))
        return np.array(x0, dtype=float)

    # MINPACK's Levenberg-Marquardt (lmdif) does its linear algebra in its own loops, not through BLAS/LAPACK: with
    # the fsum objective above, every machine takes the same steps to the same last bit. Several starts of the
    # spread, in a fixed order; the lowest cost (an fsum, so the same number everywhere) wins, and a later start
    # replaces an earlier one only when it is lower by more than 1e-9 relative (the same minimum reached twice keeps
    # the first).
    sol, best = None, math.inf
    spreads = [START_SPREAD] + [s for s in OTHER_STARTS if s != START_SPREAD]
    for spread in spreads if any(sp for _, sp in layout) else spreads[:1]:
        trial = optimize.least_squares(residuals, start(spread), method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15,
                                       max_nfev=20000)
        cost = math.fsum(float(r) ** 2 for r in residuals(trial.x))
        if cost < best * (1 - 1e-9):
            sol, best = trial, cost
    x = sol.x
    ys, pars = unpack(x)
    vis = {t: smd_variance(ys[t], problem.recon[t]["n1"], problem.recon[t]["n2"]) for t in recon}
    vals = cell_values(x)
    return {
        "yi": ys,
        "vi": vis,
        "spread": {c: pars[c][1] for c in own_cells},
        "fit": {c.name: vals[c.name] for c in cells},
        "residuals": fit_residuals(x, raw_i2=False),
        "status": int(sol.status),
        "nfev": int(sol.nfev),
        "cost": best,
    }
