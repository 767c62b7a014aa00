"""How much a pooled result depends on *which* trial received which imputed (reconstructed) value.

The reconstruction (``data/build/reconstruct.py``) fits one set of effect sizes per published cell of the paper (its
``target_cell``, e.g. ``hospital_added:personal_recovery``) so that the cell's pooled result is reproduced. Which of
the cell's reconstructed trials gets which of those values is arbitrary (they are dealt in id order), and every view
depends on it: each value is weighted by the precision of the trial it sits on, and a view that keeps some of the
cell's trials (say, only the fair- and good-quality ones) sees whichever values landed on them.

:func:`imputation_range` pools the view again under every re-assignment of each cell's imputed values among that
cell's reconstructed trials and reports the range of the pooled estimate (and of the CI bounds). Re-assignment is a
permutation of all the cell's reconstructed trials, including those filtered out of the view: the view sees the
values that land on its own trials.

Enumeration
-----------
A cell with :math:`m` reconstructed trials, :math:`j` of them in the view, has :math:`m!` permutations, but the view
only sees the ordered :math:`j`-tuple of values landing on its trials; each of the :math:`m!/(m-j)!` tuples comes from
exactly :math:`(m-j)!` permutations, so the range over permutations is the range over those tuples (and equal values
give equal tuples, pooled once). When the product over cells of :math:`m!/(m-j)!` is at most ``max_exhaustive``
(5,040 = 7!), every tuple is pooled (``exhaustive=True``); otherwise a sample of ``n_sample`` (>= 200) random
permutations per cell from a fixed-seed PCG64 stream (``numpy.random.Generator(PCG64(seed)).random``, whose bit
stream numpy keeps stable across platforms and versions; permutations by a stable ``argsort`` of those floats), always
including the data's own assignment, so the range contains the view's estimate.

Variances
---------
A value moved to another trial takes that trial's precision. Each row's ``vi`` is the large-sample SMD variance of
its trial's arm sizes (metafor ``escalc(measure="SMD")``, ``vtype="LS"``):

.. math:: v(y; n_1, n_2) = \\frac{1}{n_1} + \\frac{1}{n_2} + \\frac{y^2}{2(n_1 + n_2)},

so trial :math:`t` receiving value :math:`y'` gets :math:`v_t' = v_t\\, v(y'; n_{1t}, n_{2t}) / v(y_t; n_{1t},
n_{2t})`, which is :math:`v(y'; n_{1t}, n_{2t})` itself when the row's ``vi`` is the formula's (issue 17: the
reconstruction imputes effects, never precision) and keeps a per-cell variance scale of older data sets (the ratio is
taken within the cell, whose scale is common). A trial without both arm sizes (``n_peer``, ``n_control``) keeps its
own ``vi``.

Pooling is :func:`peerstats.rma.pool`'s model (any of FE, DL, REML, PM; z or Knapp-Hartung), computed row-wise for all
assignments at once (:func:`peerstats.multiverse.batch_pool`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .core import check_options
from .multiverse import batch_pool
from .select import as_bool, select

__all__ = ["ImputationRange", "imputation_range", "for_view", "MAX_EXHAUSTIVE", "N_SAMPLE", "SEED"]

#: Largest number of assignments pooled one by one (7! = 5,040: a cell of seven reconstructed trials).
MAX_EXHAUSTIVE = 5040
#: Sampled assignments when there are more (the issue asks for at least 200).
N_SAMPLE = 1000
#: Seed of the sample (a fixed PCG64 stream: the same assignments on every machine).
SEED = 20261204


@dataclass(frozen=True)
class ImputationRange:
    """The range of a pooled result over re-assignments of the imputed values (:func:`imputation_range`).

    Attributes
    ----------
    estimate_low, estimate_high : float
        Smallest and largest pooled estimate over the assignments.
    ci_low_low, ci_low_high : float
        Range of the lower CI bound.
    ci_high_low, ci_high_high : float
        Range of the upper CI bound.
    estimate : float
        The pooled estimate under the data's own assignment (the view's estimate).
    n_assignments : int
        Assignments examined: when ``exhaustive``, the number of ordered tuples of its cell's values the view's
        reconstructed rows can receive (the product over cells of :math:`m!/(m-j)!`), else the number of sampled
        permutations.
    n_distinct : int
        Distinct assignments of values to the view's rows actually pooled (equal values collapse); 1 means
        re-assignment cannot change anything.
    exhaustive : bool
        Every assignment was pooled (else a fixed-seed sample).
    n_reconstructed : int
        Reconstructed rows in the view.
    cells : tuple of (str, int, int)
        ``(target_cell, j in view, m in the cell)`` for each cell with a reconstructed row in the view.
    n_failed : int
        Assignments whose iterative estimator did not converge (left out of the range).
    method, test : str
    level : float
    """

    estimate_low: float
    estimate_high: float
    ci_low_low: float
    ci_low_high: float
    ci_high_low: float
    ci_high_high: float
    estimate: float
    n_assignments: int
    n_distinct: int
    exhaustive: bool
    n_reconstructed: int
    cells: tuple
    n_failed: int = 0
    method: str = "DL"
    test: str = "z"
    level: float = 0.95

    @property
    def width(self) -> float:
        """``estimate_high - estimate_low``."""
        return self.estimate_high - self.estimate_low

    @property
    def varies(self) -> bool:
        """Whether re-assignment can change the view at all (more than one distinct assignment)."""
        return self.n_distinct > 1


def smd_variance(yi, n1, n2):
    """Large-sample variance of an SMD (metafor ``vtype="LS"``): ``1/n1 + 1/n2 + yi^2 / (2 (n1 + n2))``."""
    yi, n1, n2 = (np.asarray(a, dtype=float) for a in (yi, n1, n2))
    return 1.0 / n1 + 1.0 / n2 + yi**2 / (2.0 * (n1 + n2))


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def _cell_of(frame: pd.DataFrame) -> np.ndarray:
    """Each row's cell: ``target_cell``, or a cell of its own (``"row:<effect_id or trial_id>"``) when it has none."""
    own = frame["effect_id"] if "effect_id" in frame else frame["trial_id"]
    cell = frame["target_cell"] if "target_cell" in frame else pd.Series("", index=frame.index)
    cell = cell.fillna("").astype(str).str.strip()
    return np.where(cell != "", cell, "row:" + own.astype(str)).astype(object)


def _pools(rows: pd.DataFrame, rec: np.ndarray, cell_rows: pd.DataFrame | None):
    """Per cell with a reconstructed row in the view: ``(cell, view positions, values of the cell)``.

    The values are the ``yi`` of the cell's reconstructed rows (one per trial, from ``cell_rows`` when given), with the
    view's own rows' values included whatever ``cell_rows`` holds."""
    view_cells = _cell_of(rows)
    out = []
    if cell_rows is not None and len(cell_rows):
        pool_rows = cell_rows[cell_rows["provenance"].astype(str).eq("reconstructed").to_numpy()]
        if "primary" in pool_rows:
            pool_rows = pool_rows[as_bool(pool_rows["primary"]).to_numpy()]
        pool_cells = _cell_of(pool_rows)
        pool_keys = _row_keys(pool_rows, by_effect := "effect_id" in pool_rows and "effect_id" in rows)
        pool_yi = _num(pool_rows, "yi")
    else:
        pool_cells = pool_keys = pool_yi = np.array([])
        by_effect = False
    view_keys = _row_keys(rows, by_effect)
    yi = _num(rows, "yi")
    for cell in dict.fromkeys(view_cells[rec]):
        positions = np.flatnonzero(rec & (view_cells == cell))
        values = {view_keys[p]: yi[p] for p in positions}  # row -> its value; the view's own rows first
        if len(values) < len(positions):  # two view rows share a key (an upload's duplicate ids): one value each
            values = {p: yi[p] for p in positions}
        for key, y in zip(pool_keys[pool_cells == cell], pool_yi[pool_cells == cell]):
            values.setdefault(key, y)
        out.append((str(cell), positions, np.array(list(values.values()), dtype=float)))
    return out


def _row_keys(frame: pd.DataFrame, by_effect: bool) -> np.ndarray:
    """What identifies a row across the view and the cell's rows: ``effect_id`` when both have it, else
    ``trial_id`` (a primary row is one per trial and outcome)."""
    return frame["effect_id" if by_effect else "trial_id"].astype(str).to_numpy()


def _tuples(m: int, j: int, values: np.ndarray) -> np.ndarray:
    """Every distinct ordered ``j``-tuple of ``values`` drawn without replacement, as positions into ``values``, in
    :func:`itertools.permutations` order (the first, ``0 .. j-1``, is the data's own assignment); tuples of equal
    values are kept once."""
    perms = np.fromiter(itertools.chain.from_iterable(itertools.permutations(range(m), j)), dtype=int)
    perms = perms.reshape(-1, j) if j else np.zeros((1, 0), dtype=int)
    first = np.sort(np.unique(values[perms], axis=0, return_index=True)[1]) if j else np.array([0])
    return perms[first]


def _assignments(pools, max_exhaustive: int, n_sample: int, seed: int):
    """Index matrices (assignments x j) per cell into the cell's values, the count examined, and exhaustiveness.

    The view's own rows come first among a cell's values, so index ``i`` at view position ``i`` is the data's own
    assignment; row 0 of every matrix is that identity. Exhaustive: the product of each cell's distinct tuples (so
    every row is a distinct assignment of values). Sampled: rows giving the same values are kept once."""
    total = math.prod(math.perm(len(v), len(p)) for _, p, v in pools)
    if total <= max_exhaustive:
        per_cell = [_tuples(len(v), len(p), v) for _, p, v in pools]
        grids = np.meshgrid(*[np.arange(len(t)) for t in per_cell], indexing="ij")
        combos = np.stack([g.ravel() for g in grids], axis=1)
        return [t[combos[:, c]] for c, t in enumerate(per_cell)], total, True
    rng = np.random.Generator(np.random.PCG64(seed))
    out = []
    for _, positions, values in pools:
        j, m = len(positions), len(values)
        draws = np.argsort(rng.random((n_sample, m)), axis=1, kind="stable")[:, :j]
        out.append(np.vstack([np.arange(j)[None, :], draws]))
    seen = np.hstack([values[ix] for (_, _, values), ix in zip(pools, out)])
    first = np.sort(np.unique(seen, axis=0, return_index=True)[1])
    return [ix[first] for ix in out], n_sample, False


def imputation_range(rows: pd.DataFrame, cell_rows: pd.DataFrame | None = None, *, method: str = "DL",
                     test: str = "z", level: float = 0.95, max_exhaustive: int = MAX_EXHAUSTIVE,
                     n_sample: int = N_SAMPLE, seed: int = SEED) -> ImputationRange | None:
    """Range of the pooled result of ``rows`` over re-assignments of each cell's imputed values.

    Parameters
    ----------
    rows : DataFrame
        The pooled rows of a view, in pooling order (e.g. ``Selection.effects``), with columns ``yi``, ``vi``,
        ``provenance``, ``trial_id`` and, for reconstructed rows, ``target_cell`` (``n_peer``, ``n_control`` for the
        variances; ``effect_id`` optional).
    cell_rows : DataFrame, optional
        Rows the imputed values of each cell are taken from: the evidence's effect rows (only primary reconstructed
        ones are used), so that trials filtered out of the view still hold values that may land on the view's
        trials. Default: the view's own reconstructed rows only.
    method, test, level
        As :func:`peerstats.rma.pool`.
    max_exhaustive : int
        Pool every assignment when there are at most this many (module docstring); else sample.
    n_sample : int
        Sampled permutations per cell when not exhaustive (at least 200).
    seed : int
        Seed of the sample's PCG64 stream.

    Returns
    -------
    ImputationRange or None
        ``None`` when ``rows`` holds no reconstructed row (or is empty).

    Raises
    ------
    ValueError
        ``n_sample`` below 200, or ``rows`` without the needed columns.
    """
    check_options(method, test, level)
    if n_sample < 200:
        raise ValueError(f"n_sample must be at least 200; got {n_sample}")
    if rows is None or len(rows) == 0 or "provenance" not in rows:
        return None
    missing = [c for c in ("yi", "vi", "trial_id") if c not in rows]
    if missing:
        raise ValueError(f"rows need the columns {', '.join(missing)}")
    rows = rows.reset_index(drop=True)
    rec = rows["provenance"].astype(str).eq("reconstructed").to_numpy()
    if not rec.any():
        return None
    yi, vi = _num(rows, "yi"), _num(rows, "vi")
    n1, n2 = _num(rows, "n_peer"), _num(rows, "n_control")
    pools = _pools(rows, rec, cell_rows)
    index, examined, exhaustive = _assignments(pools, max_exhaustive, n_sample, seed)

    n_rows = len(index[0])
    Y = np.tile(yi, (n_rows, 1))
    V = np.tile(vi, (n_rows, 1))
    sized = np.isfinite(n1) & np.isfinite(n2) & (n1 > 0) & (n2 > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        own = smd_variance(yi, n1, n2)
    for (_, positions, values), ix in zip(pools, index):
        new = values[ix]  # assignments x j
        Y[:, positions] = new
        scaled = V[:, positions] * smd_variance(new, n1[positions], n2[positions]) / own[positions]
        V[:, positions] = np.where(sized[positions][None, :], scaled, V[:, positions])
    stats = batch_pool(Y, V, np.ones(Y.shape, bool), method, test, level)
    est, lo, hi = stats["estimate"], stats["ci_low"], stats["ci_high"]
    ok = np.isfinite(est)
    identity = batch_pool(yi[None, :], vi[None, :], np.ones((1, len(yi)), bool), method, test, level)["estimate"][0]
    if not ok.any():
        nan = float("nan")
        low = high = lo_lo = lo_hi = hi_lo = hi_hi = nan
    else:
        low, high = float(est[ok].min()), float(est[ok].max())
        lo_lo, lo_hi, hi_lo, hi_hi = (float(lo[ok].min()), float(lo[ok].max()), float(hi[ok].min()),
                                      float(hi[ok].max()))
    return ImputationRange(
        estimate_low=low, estimate_high=high, ci_low_low=lo_lo, ci_low_high=lo_hi, ci_high_low=hi_lo,
        ci_high_high=hi_hi, estimate=float(identity), n_assignments=int(examined), n_distinct=int(len(Y)),
        exhaustive=bool(exhaustive), n_reconstructed=int(rec.sum()),
        cells=tuple((cell, len(p), len(v)) for cell, p, v in pools), n_failed=int((~ok).sum()), method=method,
        test=test, level=level)


def for_view(evidence, filters, outcome: str, method: str = "DL", test: str = "z", level: float = 0.95, *,
             selection=None, **options) -> ImputationRange | None:
    """:func:`imputation_range` of one view of an evidence base: the rows :func:`peerstats.select.select` pools, the
    imputed values of each cell from all of ``evidence.effects`` (trials filtered out included).

    This is the function to call per outcome (e.g. for a Summary-of-findings table); ``selection`` (optional) is
    ``select(evidence, filters, outcome)`` when the caller has it already; ``options`` go to
    :func:`imputation_range`. ``None`` when the view pools no reconstructed row.
    """
    if selection is None:
        selection = select(evidence, filters, outcome)
    if selection.k == 0:
        return None
    return imputation_range(selection.effects, evidence.effects, method=method, test=test, level=level, **options)
