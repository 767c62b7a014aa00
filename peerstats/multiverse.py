"""The multiverse of reasonable analysis choices (a specification curve) for one outcome, computed in a batch.

Each specification is one combination of

- the organisational **category** subset (all, or any proper non-empty subset of the four categories),
- the **quality** set (all, good + fair (poor excluded), good only),
- the **control** condition (all, treatment as usual only, anything but treatment as usual, an active control),
- the **leadership** (all, peer-led only, co-led only, peer-led or co-led),
- the **rows** (all, or real rows only: provenance reported or derived),
- the **estimator** (FE, DL, REML, PM) and the **test** (z, Knapp-Hartung),

and its result equals ``pool(select(evidence, filters, outcome), method, test)``. Only specifications with k >= 2 are
kept.

An upload has its own columns instead of the codebook's: :func:`column_choices` makes one dimension of each of its
categorical columns (all, each level alone, and every level but one when there are three or more), and
:func:`specifications` with ``dimensions=`` varies those (as ``Filters.columns``, on the trials' values, as
:func:`peerstats.select.filter_trials` filters) with the rows, the estimator and the test.

Batch computation. The primary rows of the outcome form vectors :math:`y, v`; every filter combination is a row of a
0/1 mask matrix :math:`M` (specifications x studies). Many combinations select the same studies, so the statistics
are computed once per distinct mask. With :math:`W = M / v` (element-wise), the fixed-effect estimate, Cochran's
:math:`Q` and the DerSimonian-Laird :math:`\\tau^2 = \\max\\{0, (Q - (k-1)) / (\\sum w - \\sum w^2/\\sum w)\\}` are
row-wise sums; REML and PM :math:`\\tau^2` are solved for all distinct masks at once (:func:`_tau2_iterative`: the
engine's equations and stopping rule, row-wise; a row that does not converge goes to the engine's own solver);
then with :math:`W^* = M / (v + \\tau^2)` the estimate :math:`\\hat\\mu = W^* y / W^* 1`, its standard error
:math:`(W^* 1)^{-1/2}` (times the Knapp-Hartung factor :math:`\\sqrt{\\sum w^*(y - \\hat\\mu)^2/(k-1)}` and with
:math:`t_{k-1}` quantiles for ``"knha"``) are again row-wise (formulas as :mod:`peerstats.rma`).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import special

from .errors import ConvergenceError
from .core import estimate_tau2, intercept_design
from .rma import METHODS, TESTS
from .select import Filters, view_rows
from .vocabulary import CATEGORIES

__all__ = ["MULTIVERSE_COLUMNS", "batch_pool", "choice_sets", "column_choices", "specifications"]

MULTIVERSE_COLUMNS = ("filters", "method", "test", "k", "estimate", "ci_low", "ci_high", "pval", "tau2",
                      "categories", "quality", "control", "leadership", "rows", "note")

REAL_ROWS = ("reported", "derived")


def choice_sets() -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """The analysis choices: for each dimension, a list of ``(label, kept codebook values)`` (empty = all)."""
    cats = list(CATEGORIES)
    category = [("all", ())]
    for size in range(len(cats) - 1, 0, -1):  # every proper non-empty subset, largest first
        category += [(" + ".join(sub), sub) for sub in itertools.combinations(cats, size)]
    return {
        "categories": category,
        "quality": [("all", ()), ("good + fair", ("good", "fair")), ("good", ("good",))],
        "control": [("all", ()), ("TAU", ("tau",)), ("not TAU", ("waitlist", "active", "tau_and_active",
                                                                 "not_reported")),
                    ("active", ("active", "tau_and_active"))],
        "leadership": [("all", ()), ("peer-led", ("peer_led",)), ("co-led", ("co_led",)),
                       ("peer-led or co-led", ("peer_led", "co_led"))],
        "rows": [("all rows", ()), ("real rows", REAL_ROWS)],
    }


#: At most this many of an upload's columns are varied (those with the fewest levels first), each with at most
#: :data:`MAX_LEVELS` levels: the specifications multiply.
MAX_COLUMNS = 3
MAX_LEVELS = 6
#: Names the output frame (and the specification curve's data) use for themselves: a column so named is not varied.
_TAKEN = frozenset({*MULTIVERSE_COLUMNS, "spec", "rank", "excludes_zero", "choice"})


def column_choices(trials: pd.DataFrame, columns: dict[str, str], vocabulary: dict | None = None,
                   max_columns: int = MAX_COLUMNS, max_levels: int = MAX_LEVELS) -> dict:
    """Dimensions of the multiverse from a file's own categorical trial columns.

    Parameters
    ----------
    trials : DataFrame
        The evidence's trials (one value per trial and column).
    columns : dict
        Column -> its words (e.g. the Subgroups page's moderators of an upload), in order of preference.
    vocabulary : dict, optional
        Column -> {value: words} for the level labels (default: values as written).
    max_columns, max_levels : int
        Columns with 2 to ``max_levels`` recorded levels are used, the ``max_columns`` with the fewest levels
        (ties in the order of ``columns``).

    Returns
    -------
    dict
        Column -> ``(words, [(label, kept values), ...])``: "all" (no restriction), each level alone and, with three
        or more levels, every level but one ("not <level>"). Values are compared as text.
    """
    vocabulary = vocabulary or {}
    found = []
    for order, (col, words) in enumerate(columns.items()):
        if col not in trials or col in _TAKEN:
            continue
        text = trials[col].astype(object).where(trials[col].notna(), "").astype(str).str.strip()
        levels = sorted({v for v in text if v not in ("", "nan", "<NA>", "None")})
        if 2 <= len(levels) <= max_levels:
            found.append((len(levels), order, col, words, levels))
    out = {}
    for _n, _order, col, words, levels in sorted(found)[:max_columns]:
        name = vocabulary.get(col, {})
        opts = [("all", ())] + [(str(name.get(v, v)), (v,)) for v in levels]
        if len(levels) >= 3:
            opts += [(f"not {name.get(v, v)}", tuple(w for w in levels if w != v)) for v in levels]
        out[col] = (words, opts)
    return out


def _dimension_masks(rows: pd.DataFrame, column: str, options) -> np.ndarray:
    values = rows[column].to_numpy() if column in rows else np.full(len(rows), None)
    return np.array([np.ones(len(rows), bool) if not kept else np.isin(values, kept) for _, kept in options])


def _column_masks(rows: pd.DataFrame, trials: pd.DataFrame, column: str, options) -> np.ndarray:
    """Masks of a file column's options on the trials' values (as ``filter_trials`` reads ``Filters.columns``)."""
    by_trial = trials.drop_duplicates("trial_id").set_index("trial_id")[column]
    values = rows["trial_id"].map(by_trial.astype(object).where(by_trial.notna(), None).map(
        lambda v: None if v is None else str(v))).to_numpy()
    return np.array([np.ones(len(rows), bool) if not kept else np.isin(values, kept) for _, kept in options])


def specifications(evidence, outcome: str, methods=METHODS, tests=TESTS, level: float = 0.95,
                   base: Filters | None = None, dimensions: dict | None = None) -> pd.DataFrame:
    """Every specification of the multiverse with k >= 2 for ``outcome`` (see the module docstring).

    Parameters
    ----------
    evidence : peerstats.data.Evidence
    outcome : str
    methods, tests : sequences
        Estimators and tests to vary (default all).
    level : float
    base : Filters, optional
        Filters every specification starts from; only its ``formats``, ``rob`` and ``excluded_trials`` are kept
        (the varied dimensions are replaced).
    dimensions : dict, optional
        An upload's own choices, :func:`column_choices` output: they replace category, quality, control and
        leadership (each becomes a ``Filters.columns`` entry); the rows dimension stays only when some rows are
        reconstructed (otherwise "real rows" are all rows).

    Returns
    -------
    pandas.DataFrame
        One row per specification, columns :data:`MULTIVERSE_COLUMNS`: ``filters`` (a :class:`Filters` that
        reproduces the row through ``select``), ``method``, ``test``, ``k``, ``estimate``, ``ci_low``, ``ci_high``,
        ``pval``, ``tau2``, the label of each choice (``categories`` ... ``rows``) and ``note`` (the error message when
        an iterative estimator did not converge; its statistics are then ``nan``). With ``dimensions`` the choice
        columns are the dimensions' columns (and ``rows`` when varied) instead of ``categories`` ... ``leadership``;
        ``frame.attrs["choices"]`` holds ``(column, words)`` of every choice column, estimator and test included.
    """
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {m!r}")
    for t in tests:
        if t not in TESTS:
            raise ValueError(f"test must be one of {TESTS}; got {t!r}")
    if not (0 < level < 1):
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    base = base or Filters()
    start = Filters(formats=base.formats, rob=base.rob, excluded_trials=base.excluded_trials)
    _trials, rows = view_rows(evidence, start)
    rows = rows.loc[rows["outcome"].to_numpy() == outcome].reset_index(drop=True)
    y = pd.to_numeric(rows["yi"], errors="coerce").to_numpy(float)
    v = pd.to_numeric(rows["vi"], errors="coerce").to_numpy(float)
    if dimensions is not None:
        return _column_specifications(evidence, rows, y, v, methods, tests, level, start, dimensions)
    sets = choice_sets()
    dims = [("categories", "category"), ("quality", "quality"), ("control", "control"),
            ("leadership", "leadership"), ("rows", "provenance")]
    per_dim = [_dimension_masks(rows, col, sets[name]) for name, col in dims]

    def make(kept: list) -> Filters:
        return Filters(categories=kept[0], quality=kept[1], control=kept[2], leadership=kept[3],
                       formats=start.formats, provenance=kept[4], rob=start.rob, excluded_trials=start.excluded_trials)

    out = _run(y, v, [sets[name] for name, _ in dims], per_dim, make, methods, tests, level,
               [name for name, _ in dims])
    out.attrs["choices"] = (("categories", "Category"), ("quality", "Quality"), ("control", "Control"),
                            ("leadership", "Leadership"), ("rows", "Rows"), ("method", "Estimator"), ("test", "Test"))
    return out


def _column_specifications(evidence, rows, y, v, methods, tests, level, start, dimensions):
    """:func:`specifications` over an upload's own columns (``dimensions``: :func:`column_choices` output)."""
    trials = evidence.trials
    dims = [(col, opts) for col, (_words, opts) in dimensions.items() if col in trials]
    if "provenance" in rows and not rows["provenance"].isin(REAL_ROWS).all():
        dims.append(("rows", choice_sets()["rows"]))
    per_dim = [_dimension_masks(rows, "provenance", opts) if col == "rows" else
               _column_masks(rows, trials, col, opts) for col, opts in dims]
    names = [col for col, _ in dims]

    def make(kept: list) -> Filters:
        chosen = dict(zip(names, kept))
        return Filters(formats=start.formats, rob=start.rob, excluded_trials=start.excluded_trials,
                       provenance=chosen.get("rows", ()),
                       columns=tuple((col, vals) for col, vals in chosen.items() if col != "rows" and vals))

    out = _run(y, v, [opts for _, opts in dims], per_dim, make, methods, tests, level, names, n_rows=len(rows))
    words = {col: w for col, (w, _opts) in dimensions.items()}
    out.attrs["choices"] = (*((col, words.get(col, "Rows")) for col in names), ("method", "Estimator"),
                            ("test", "Test"))
    return out


def _run(y, v, options: list, per_dim: list, make, methods, tests, level, names: list, n_rows: int | None = None):
    """Every combination of the dimensions' options with k >= 2, pooled once per distinct mask (the module
    docstring), one row per combination, estimator and test; ``make(kept values per dimension)`` -> its Filters."""
    combos = list(itertools.product(*[range(len(opts)) for opts in options]))
    n = y.size if n_rows is None else n_rows
    masks = np.array([np.logical_and.reduce([per_dim[d][c[d]] for d in range(len(options))]) if options
                      else np.ones(n, bool) for c in combos]).reshape(len(combos), n)
    keep = masks.sum(axis=1) >= 2
    combos = [c for c, kk in zip(combos, keep) if kk]
    masks = masks[keep]
    uniq, inverse = np.unique(masks, axis=0, return_inverse=True) if len(masks) else (masks, np.array([], int))
    inverse = np.asarray(inverse).ravel()
    stats = {(m, t): _batch(y, v, uniq, m, t, level) for m in methods for t in tests}
    records = []
    for i, c in enumerate(combos):
        labels = [opts[c[d]][0] for d, opts in enumerate(options)]
        filters = make([opts[c[d]][1] for d, opts in enumerate(options)])
        u = inverse[i]
        for m in methods:
            for t in tests:
                s = stats[(m, t)]
                records.append((filters, m, t, int(s["k"][u]), s["estimate"][u], s["ci_low"][u], s["ci_high"][u],
                                s["pval"][u], s["tau2"][u], *labels, s["note"][u]))
    columns = ["filters", "method", "test", "k", "estimate", "ci_low", "ci_high", "pval", "tau2", *names, "note"]
    return pd.DataFrame.from_records(records, columns=columns)


def _batch(y: np.ndarray, v: np.ndarray, masks: np.ndarray, method: str, test: str, level: float) -> dict:
    """Pooled statistics for each row of the 0/1 mask matrix (formulas in the module docstring)."""
    n = masks.shape[0]
    return batch_pool(np.broadcast_to(y, (n, y.size)), np.broadcast_to(v, (n, v.size)), masks, method, test, level)


def batch_pool(Y: np.ndarray, V: np.ndarray, masks: np.ndarray, method: str, test: str, level: float) -> dict:
    """Pool each row of ``Y``/``V`` (effects and variances, one analysis per row) over the studies its row of the
    0/1 ``masks`` keeps, all rows at once (formulas in the module docstring; as :func:`peerstats.rma.pool`, k >= 2).

    A row with k = 1 gives the study itself with a z-interval (as ``pool``). Returns arrays ``k``, ``estimate``,
    ``ci_low``, ``ci_high``, ``pval``, ``tau2`` and ``note`` (the error of a REML/PM fit that did not converge,
    whose statistics are then ``nan``).
    """
    Y = np.asarray(Y, dtype=float)
    V = np.asarray(V, dtype=float)
    n = masks.shape[0]
    M = masks.astype(float)
    k = masks.sum(axis=1)
    note = np.full(n, "", dtype=object)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = M / V
        sw = w.sum(axis=1)
        mu_fe = (w * Y).sum(axis=1) / sw
        q = np.sum(w * (Y - mu_fe[:, None]) ** 2, axis=1)
        if method == "FE":
            tau2 = np.zeros(n)
        elif method == "DL":
            tau2 = np.where(k >= 2, np.maximum(0.0, (q - (k - 1)) / (sw - (w * w).sum(axis=1) / sw)), 0.0)
        else:
            tau2, todo = _tau2_iterative(Y, V, M, k, method)
            for i in np.flatnonzero(todo):  # not converged row-wise: the engine's own solver (damped steps, brentq)
                sel = masks[i]
                try:
                    tau2[i] = estimate_tau2(Y[i, sel], V[i, sel], intercept_design(int(k[i])), method)[0]
                except ConvergenceError as exc:
                    tau2[i] = np.nan
                    note[i] = str(exc)
        wr = M / (V + tau2[:, None])
        swr = wr.sum(axis=1)
        mu = (wr * Y).sum(axis=1) / swr
        var = 1.0 / swr
        z_crit = special.ndtri(0.5 + level / 2)
        if test == "knha":
            rss = np.sum(wr * (Y - mu[:, None]) ** 2, axis=1)
            rss = np.where(rss > np.finfo(float).eps, rss, 0.0)
            var = np.where(k >= 2, var * rss / (k - 1), var)  # k = 1: the study itself, z-interval (as pool)
            crit = np.where(k >= 2, special.stdtrit(np.maximum(k - 1, 1), 0.5 + level / 2), z_crit)
        else:
            crit = np.full(n, z_crit)
        se = np.sqrt(var)
        stat = mu / se
        if test == "knha":
            pval = np.where(k >= 2, 2 * special.stdtr(np.maximum(k - 1, 1), -np.abs(stat)),
                            2 * special.ndtr(-np.abs(stat)))
        else:
            pval = 2 * special.ndtr(-np.abs(stat))
    return {"k": k, "estimate": mu, "ci_low": mu - crit * se, "ci_high": mu + crit * se, "pval": pval,
            "tau2": tau2, "note": note}


def _tau2_iterative(Y: np.ndarray, V: np.ndarray, M: np.ndarray, k: np.ndarray, method: str):
    """REML or PM :math:`\\tau^2` of every row at once (intercept-only model), as :mod:`peerstats.rma` solves one.

    Each row is put on the unit scale first (``rma._scale``: a power of 4 near its mean variance). REML: Fisher
    scoring from the DL estimate, :math:`\\tau^2 \\leftarrow \\tau^2 + (y'PPy - tr P)/tr(PP)` with, for
    :math:`w = 1/(v + \\tau^2)`, :math:`tr P = \\sum w - \\sum w^2/\\sum w` and
    :math:`tr(PP) = \\sum w^2 - 2\\sum w^3/\\sum w + (\\sum w^2/\\sum w)^2`, steps halved at the boundary, until
    the change is at most ``1e-12 * max(1, tau2)`` (the engine's rule). PM: bisection of the generalised
    :math:`Q(\\tau^2) = k - 1` (decreasing in :math:`\\tau^2`; 0 when :math:`Q(0) \\le k - 1`) down to the
    floating-point resolution. Returns ``(tau2, todo)``: rows with k < 2 get 0; ``todo`` flags rows left to the
    engine's per-row solver (REML not converged in 200 steps).
    """
    n = M.shape[0]
    tau2 = np.zeros(n)
    todo = np.zeros(n, bool)
    rows = np.flatnonzero(k >= 2)
    if rows.size == 0:
        return tau2, todo
    m = M[rows]
    v_mean = (np.where(m > 0, V[rows], 0.0)).sum(axis=1) / k[rows]
    e = np.round(np.log(v_mean) / np.log(4.0))
    c, r = 4.0 ** e, 2.0 ** e
    y = np.where(m > 0, Y[rows], 0.0) / r[:, None]
    v = np.where(m > 0, V[rows], 1.0) / c[:, None]
    kk = k[rows]

    def q_gen(t):
        w = m / (v + t[:, None])
        mu = (w * y).sum(axis=1) / w.sum(axis=1)
        return (w * (y - mu[:, None]) ** 2).sum(axis=1)

    w0 = m / v
    sw0 = w0.sum(axis=1)
    t_dl = np.maximum(0.0, (q_gen(np.zeros(len(rows))) - (kk - 1)) / (sw0 - (w0 * w0).sum(axis=1) / sw0))
    if method == "PM":
        target = kk - 1.0
        lo = np.zeros(len(rows))
        positive = q_gen(lo) > target
        hi = np.where(positive, 10.0 * np.maximum(np.maximum(t_dl, y.var(axis=1)), 1e-4), 0.0)
        for _ in range(200):  # bracket: Q(hi) < k - 1
            grow = positive & (q_gen(hi) >= target)
            if not grow.any():
                break
            hi = np.where(grow, 2.0 * hi, hi)
        for _ in range(1100):  # bisection to the resolution of floating point (hi / 2^1100 underflows to 0)
            mid = 0.5 * (lo + hi)
            if not np.any(positive & (mid > lo) & (mid < hi)):
                break
            above = q_gen(mid) > target
            lo = np.where(positive & above, mid, lo)
            hi = np.where(positive & ~above, mid, hi)
        est = np.where(positive, 0.5 * (lo + hi), 0.0)
        tau2[rows] = est * c
        return tau2, todo
    t = t_dl.copy()
    active = np.ones(len(rows), bool)
    for _ in range(200):
        w = m / (v + t[:, None])
        sw, s2, s3 = w.sum(axis=1), (w * w).sum(axis=1), (w * w * w).sum(axis=1)
        mu = (w * y).sum(axis=1) / sw
        py = w * (y - mu[:, None])
        tr_p = sw - s2 / sw
        tr_pp = s2 - 2.0 * s3 / sw + (s2 / sw) ** 2
        adj = ((py * py).sum(axis=1) - tr_p) / tr_pp
        for _ in range(1100):
            neg = active & (t + adj < 0.0)
            if not neg.any():
                break
            adj = np.where(neg, adj / 2.0, adj)
        adj = np.where(active & (t + adj < 0.0), -t, adj)
        new = np.where(active, t + adj, t)
        done = active & (np.abs(new - t) <= 1e-12 * np.maximum(1.0, new))
        t = new
        active &= ~done
        if not active.any():
            break
    tau2[rows] = np.maximum(t, 0.0) * c
    todo[rows[active]] = True
    return tau2, todo
