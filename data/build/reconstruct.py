"""Reconstruction of the trial x outcome effects the paper pooled but no reachable source reports.

The procedure (documented in ``data/README.md``, section "Reconstructed rows"):

1. For each outcome with published cells, the cells are nested ("all" contains the category cells). Each
   reconstructed row belongs to the smallest published cell that contains its trial (its *target cell*).
2. Arm sizes of reconstructed rows: the cell's published N minus the N of every row already fixed in it (reported and
   derived rows, and reconstructed rows of smaller cells) is shared among the target cell's reconstructed trials in
   proportion to their randomised N from ``trials.csv``; trials with unknown N share what the known ones leave
   (if they leave too little, unknown trials get the median known N and everything is scaled). Each total is
   rounded by largest remainder (so the cell's N is exact) and split into two arms (ceil/floor of half).
3. ``vi = s_c * (1/n1 + 1/n2 + yi^2 / (2 (n1 + n2)))``: the large-sample SMD variance with one free variance scale
   ``s_c`` per target cell.
4. Unknowns: every reconstructed ``yi`` and every ``log s_c`` of one outcome, solved jointly over all of its cells.
   Phase 1 (least squares, several deterministic starts) minimises the cells' deviations from the published SMD,
   both 95% CI bounds and I2, each divided by its tolerance (0.005, 0.005, 0.005, 0.5 points; for I2 = 0 only a
   positive I2 counts). Phase 2 (SLSQP) keeps every deviation within 80% of its tolerance (or, for a cell that
   cannot be reproduced, no worse than phase 1 found) and among those solutions picks the one closest, in least
   squares, to each row's target-cell estimate. Reported and derived rows never move.

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


def dl_summary(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    """DerSimonian-Laird estimate, 95% CI bounds and I2 (percent), as metafor ``rma(method="DL")``."""
    w = 1.0 / v
    sw = w.sum()
    ybar = (w * y).sum() / sw
    q = (w * (y - ybar) ** 2).sum()
    k = y.size
    c = sw - (w**2).sum() / sw
    tau2 = max(0.0, (q - (k - 1)) / c) if k > 1 else 0.0
    ws = 1.0 / (v + tau2)
    est = (ws * y).sum() / ws.sum()
    se = math.sqrt(1.0 / ws.sum())
    # metafor's I2 for DL: 100 * tau2 / (tau2 + s2), s2 the "typical" within-study variance; equals (Q-df)/Q.
    s2 = (k - 1) / c if k > 1 else 0.0
    i2 = 100.0 * tau2 / (tau2 + s2) if k > 1 and tau2 > 0 else 0.0
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


def assign_sizes(cells: list[Cell], fixed_n: dict[str, int], recon_trials: list[str],
                 randomised: dict[str, float | None]) -> tuple[dict[str, int], list[str]]:
    """Arm-size totals of the reconstructed rows (step 2 of the procedure). Returns sizes and warnings."""
    tcell = target_cells(cells)
    sizes: dict[str, int] = {}
    warnings = []
    for cell in sorted(cells, key=lambda c: (len(c.members), c.name)):
        mine = [t for t in cell.members if t in recon_trials and tcell[t] == cell.name and t not in sizes]
        if not mine:
            continue
        used = sum(fixed_n.get(t, 0) for t in cell.members) + sum(sizes.get(t, 0) for t in cell.members)
        available = cell.n - used
        known = {t: float(randomised[t]) for t in mine if randomised.get(t)}
        unknown = [t for t in mine if not randomised.get(t)]
        if unknown and available - sum(known.values()) >= 10 * len(unknown):
            shares = dict(known)
            rest = available - sum(known.values())
            shares.update({t: rest / len(unknown) for t in unknown})
        else:
            med = float(np.median(list(known.values()))) if known else 100.0
            raw = {**known, **{t: med for t in unknown}}
            scale = available / sum(raw.values())
            shares = {t: x * scale for t, x in raw.items()}
        if available < 4 * len(mine):
            warnings.append(f"{cell.name}: only N = {available} left for {len(mine)} reconstructed trials")
        sizes.update(_largest_remainder(shares, int(available)))
    return sizes, warnings


def _vi(y, n1, n2, s):
    return s * (1.0 / n1 + 1.0 / n2 + y**2 / (2.0 * (n1 + n2)))


def solve(problem: Problem) -> dict:
    """Solve one outcome. Returns {"yi": {trial: y}, "vi": {trial: v}, "scale": {cell: s}, "fit": {cell: [...]}}."""
    cells = problem.cells
    recon = list(problem.recon)
    scale_cells = sorted({problem.recon[t]["cell"] for t in recon})
    ny = len(recon)
    by_name = {c.name: c for c in cells}

    def unpack(x):
        ys = dict(zip(recon, x[:ny]))
        ss = {c: math.exp(v) for c, v in zip(scale_cells, x[ny:])}
        return ys, ss

    def cell_values(x):
        ys, ss = unpack(x)
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
                    v[i] = _vi(ys[t], r["n1"], r["n2"], ss[r["cell"]])
            out[cell.name] = dl_summary(y, v)
        return out

    def residuals(x):
        vals = cell_values(x)
        res = []
        for cell in cells:
            d = (vals[cell.name] - cell.target) / TOL
            if cell.target[3] == 0:
                d[3] = vals[cell.name][3] / TOL[3]
            res.extend(d)
        return np.array(res)

    # Phase 1: best fit from deterministic starts.
    y0 = np.array([by_name[problem.recon[t]["cell"]].target[0] for t in recon])
    pattern = np.array([(-1) ** i for i in range(ny)], dtype=float)
    best = None
    for delta in (0.0, 0.05, 0.2, 0.5):
        for ls in (0.0, 1.0, -1.0, 2.0):
            x0 = np.concatenate([y0 + delta * pattern, np.full(len(scale_cells), ls)])
            try:
                sol = optimize.least_squares(residuals, x0, method="trf", x_scale=1.0, max_nfev=4000)
            except (ValueError, FloatingPointError):
                continue
            if best is None or sol.cost < best.cost - 1e-12:
                best = sol
    x1 = best.x
    r1 = residuals(x1)
    bound = np.maximum(MARGIN, np.abs(r1) + 1e-3)

    # Phase 2: closest to target-cell estimates, within tolerance.
    def objective(x):
        return float(((x[:ny] - y0) ** 2).sum() + 1e-8 * (x[ny:] ** 2).sum())

    cons = [
        {"type": "ineq", "fun": lambda x: bound - residuals(x)},
        {"type": "ineq", "fun": lambda x: bound + residuals(x)},
    ]
    x2 = x1
    sol2 = optimize.minimize(objective, x1, method="SLSQP", constraints=cons,
                             options={"maxiter": 500, "ftol": 1e-12})
    if np.all(np.abs(residuals(sol2.x)) <= bound + 1e-6) and objective(sol2.x) <= objective(x1) + 1e-12:
        x2 = sol2.x
    ys, ss = unpack(x2)
    vis = {t: _vi(ys[t], problem.recon[t]["n1"], problem.recon[t]["n2"], ss[problem.recon[t]["cell"]])
           for t in recon}
    return {
        "yi": ys,
        "vi": vis,
        "scale": ss,
        "fit": {c.name: v for c, v in zip(cells, [cell_values(x2)[c.name] for c in cells])},
        "residuals": residuals(x2),
        "phase1_residuals": r1,
    }
