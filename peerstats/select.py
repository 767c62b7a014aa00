"""The one filter every page uses: which trials and which effect rows are in the current view.

Pure pandas/numpy: no Streamlit. A :class:`Filters` value says what to keep; :func:`select` applies it to an
:class:`~peerstats.data.Evidence` for one outcome and returns a :class:`Selection` holding the effect rows (merged with
the trial characteristics the pages and charts show), the ``yi``/``vi`` arrays to pool, ``k``, the number of
participants and the provenance mix. :func:`outcome_table` pools every outcome under the same filters.

Conventions
-----------
* An empty tuple in a :class:`Filters` field means "no restriction" (all values kept).
* Trial-level filters (category, quality, control, leadership, format, risk of bias, per-trial exclusion) act on
  ``trials``; the provenance filter acts on effect rows (a trial whose only row for the outcome is reconstructed drops
  out of that outcome when reconstructed rows are filtered away).
* Only rows with ``primary`` true are pooled (the codebook: "the row analyses pool").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from collections import Counter

import numpy as np
import pandas as pd

from peerstats.errors import ConvergenceError, NoStudiesError
from peerstats.meta import pool
from peerstats.risk_of_bias import ROB2_DOMAINS
from peerstats.second_opinion import ROB2_LEVELS, high_risk_either
from peerstats.vocabulary import (  # re-exported: the app imports the vocabulary from here
    CATEGORIES, CONTROLS, FORMATS, LEADERSHIP, PROVENANCE, QUALITY, ROB_DOMAINS, ROB_LEVELS,
)

#: Trial columns a subgroup analysis can split by, with the words the app shows.
MODERATORS: dict[str, str] = {
    "category": "Organisational category",
    "quality": "AHRQ quality",
    "control": "Control condition",
    "leadership": "Peer leadership",
    "format": "Format",
    **ROB_DOMAINS,
    "rob2_overall": "RoB 2 overall (Smit et al. 2022)",
}

#: Vocabulary of each moderator column (for labels and validation).
VOCABULARY: dict[str, dict[str, str]] = {
    "category": CATEGORIES,
    "quality": QUALITY,
    "control": CONTROLS,
    "leadership": LEADERSHIP,
    "format": FORMATS,
    "provenance": PROVENANCE,
    **{d: ROB_LEVELS for d in ROB_DOMAINS},
    "rob2_overall": ROB2_LEVELS,
}

#: Trial columns merged onto every selected effect row (when the trials frame has them).
TRIAL_COLUMNS: tuple[str, ...] = (
    "label", "year", "category", "quality", "control", "leadership", "format", "n_randomized", "country",
    *ROB_DOMAINS, *ROB2_DOMAINS, "rob2_overall",  # every rating the risk-of-bias rules read (peerstats.risk_of_bias)
)


@dataclass(frozen=True)
class Filters:
    """What the current view keeps. Every field is a tuple of codebook values; empty means all.

    Attributes
    ----------
    categories, quality, control, leadership, formats : tuple of str
        Trial-level filters on the columns ``category``, ``quality``, ``control``, ``leadership``, ``format``.
    provenance : tuple of str
        Effect-row filter on ``provenance`` (reported / derived / reconstructed).
    rob : tuple of (domain, levels)
        Risk-of-bias filters, e.g. ``(("rob_blinding_assessors", ("low",)),)``; a domain with no levels is ignored.
    excluded_trials : tuple of str
        ``trial_id`` values left out by the user.
    exclude_high_risk : bool
        Leave out trials at high risk of bias by either review (:func:`peerstats.second_opinion.high_risk_either`:
        AHRQ poor in Egmose et al., RoB 2 high in Smit et al.).
    exclude_doubtful : bool
        Leave out effect rows with a ``doubt`` (typed numbers that look wrong; see the codebook).
    columns : tuple of (column, values)
        Filters on any other trial column (an upload's own categorical columns), e.g. ``(("setting", ("online",)),)``;
        values compared as text; a column with no values is ignored.
    paper_analysis : bool
        Keep only the rows the paper pooled in its main analysis of their outcome: rows whose ``paper_cells`` name
        ``all:<outcome>`` (the preset "The paper's main analysis"; ignored by data without ``paper_cells``).
    """

    categories: tuple[str, ...] = ()
    quality: tuple[str, ...] = ()
    control: tuple[str, ...] = ()
    leadership: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    provenance: tuple[str, ...] = ()
    rob: tuple[tuple[str, tuple[str, ...]], ...] = ()
    excluded_trials: tuple[str, ...] = ()
    exclude_high_risk: bool = False
    exclude_doubtful: bool = False
    columns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    paper_analysis: bool = False

    def rob_levels(self, domain: str) -> tuple[str, ...]:
        """Levels kept for one risk-of-bias domain (empty = all)."""
        for d, levels in self.rob:
            if d == domain:
                return tuple(levels)
        return ()


def exclude_poor(filters: Filters) -> Filters:
    """The same filters with poor-quality trials left out (the paper's sensitivity check).

    ``quality = ()`` (all) becomes ``("good", "fair")``; an explicit list loses ``"poor"``. If only ``"poor"`` was
    kept, nothing is left: the returned quality filter keeps no known level (``("none",)``), so ``select`` finds k = 0
    and the page says so.
    """
    kept = filters.quality or tuple(QUALITY)
    kept = tuple(q for q in kept if q != "poor")
    return replace(filters, quality=kept or ("none",))


@dataclass(frozen=True)
class Selection:
    """The rows behind the current view for one outcome.

    Attributes
    ----------
    trials : DataFrame
        Trials passing the trial-level filters (independent of outcome and provenance).
    effects : DataFrame
        Primary effect rows of ``outcome`` for those trials, after the provenance filter, merged with the trial columns
        of :data:`TRIAL_COLUMNS`, plus ``n`` (``n_peer + n_control`` when both are known, else ``n_randomized``);
        sorted by ``label`` then ``effect_id``; fresh 0..k-1 index.
    yi, vi : ndarray
        ``effects["yi"]`` and ``effects["vi"]`` as float arrays (the input of :func:`peerstats.meta.pool`).
    k : int
        Number of effect rows (``len(effects)``).
    n_participants : int
        Sum of ``effects["n"]`` over rows where it is known.
    provenance_counts : dict
        ``{"reported": a, "derived": b, "reconstructed": c, "doubtful": d}`` over the effect rows (all keys always
        present); ``doubtful`` counts rows with a ``doubt`` (they are also counted under their provenance).
    outcome : str
    """

    trials: pd.DataFrame
    effects: pd.DataFrame
    yi: np.ndarray
    vi: np.ndarray
    k: int
    n_participants: int
    provenance_counts: dict = field(default_factory=dict)
    outcome: str = ""


def as_bool(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s
    return s.astype(str).str.strip().str.lower().isin({"true", "1", "yes", "y", "t"})


def filter_trials(trials: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Trials passing the trial-level filters of ``filters`` (provenance is not a trial-level filter)."""
    keep = pd.Series(True, index=trials.index)
    for column, values in (
        ("category", filters.categories),
        ("quality", filters.quality),
        ("control", filters.control),
        ("leadership", filters.leadership),
        ("format", filters.formats),
    ):
        if values:
            if column not in trials:
                raise KeyError(f"trials has no column {column!r} to filter on")
            keep &= trials[column].isin(values)
    for domain, levels in filters.rob:
        if levels:
            if domain not in trials:
                raise KeyError(f"trials has no column {domain!r} to filter on")
            keep &= trials[domain].isin(levels)
    for column, values in filters.columns:
        if values:
            if column not in trials:
                raise KeyError(f"trials has no column {column!r} to filter on")
            keep &= trials[column].astype(str).isin(values)
    if filters.excluded_trials:
        keep &= ~trials["trial_id"].isin(filters.excluded_trials)
    if filters.exclude_high_risk:
        keep &= ~high_risk_either(trials)
    return trials.loc[keep]


def view_rows(evidence, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trials passing the filters and their primary effect rows for *every* outcome, in display order.

    Returns
    -------
    (trials, rows)
        ``trials`` as :func:`filter_trials`; ``rows`` the primary effect rows of those trials after the provenance
        filter, merged with :data:`TRIAL_COLUMNS` and ``n``, sorted by ``label`` then ``effect_id``. :func:`select`
        takes one outcome of ``rows``; :func:`outcome_table` pools each.
    """
    trials = filter_trials(evidence.trials, filters)
    eff = evidence.effects
    keep = eff["trial_id"].isin(trials["trial_id"])
    if "primary" in eff:
        keep &= as_bool(eff["primary"])
    if filters.provenance:
        keep &= eff["provenance"].isin(filters.provenance)
    if filters.exclude_doubtful and "doubt" in eff:
        keep &= eff["doubt"].fillna("").astype(str).str.strip().eq("")
    if filters.paper_analysis and "paper_cells" in eff:
        cells = eff["paper_cells"].fillna("").astype(str).str.split(";")
        keep &= np.array([f"all:{o}" in c for o, c in zip(eff["outcome"].astype(str), cells)], dtype=bool)
    rows = eff.loc[keep]
    extra = [c for c in TRIAL_COLUMNS if c in trials.columns and c not in rows.columns]
    rows = rows.merge(trials[["trial_id", *extra]], on="trial_id", how="left", validate="many_to_one")

    def num(col: str) -> pd.Series:
        if col not in rows:
            return pd.Series(np.nan, index=rows.index, dtype=float)
        return pd.to_numeric(rows[col], errors="coerce").astype(float)

    rows["n"] = (num("n_peer") + num("n_control")).fillna(num("n_randomized"))
    sort_by = [c for c in ("label", "effect_id") if c in rows]
    if sort_by:
        rows = rows.sort_values(sort_by, kind="stable")
    return trials, rows.reset_index(drop=True)


def outcome_selection(trials: pd.DataFrame, rows: pd.DataFrame, outcome: str, index=None) -> Selection:
    """The :class:`Selection` of one outcome from :func:`view_rows` output (``index``: its row positions)."""
    if index is None:
        index = np.flatnonzero(rows["outcome"].to_numpy() == outcome)
    sub = rows.take(index).reset_index(drop=True)
    yi = pd.to_numeric(sub["yi"], errors="coerce").to_numpy(dtype=float)
    vi = pd.to_numeric(sub["vi"], errors="coerce").to_numpy(dtype=float)
    prov = sub["provenance"].to_numpy()
    provenance_counts = {p: int(np.count_nonzero(prov == p)) for p in PROVENANCE}
    doubt = sub["doubt"].fillna("").astype(str).str.strip() if "doubt" in sub else pd.Series([], dtype=str)
    provenance_counts["doubtful"] = int((doubt != "").sum())
    n = sub["n"].to_numpy(dtype=float)
    known = n[~np.isnan(n)]
    return Selection(trials=trials, effects=sub, yi=yi, vi=vi, k=len(sub),
                     n_participants=int(known.sum()) if known.size else 0,
                     provenance_counts=provenance_counts, outcome=outcome)


def select(evidence, filters: Filters, outcome: str) -> Selection:
    """Apply ``filters`` to ``evidence`` and take the primary rows of ``outcome``.

    Parameters
    ----------
    evidence : peerstats.data.Evidence
        Anything with ``trials`` and ``effects`` frames in the codebook's columns.
    filters : Filters
    outcome : str
        Construct name, e.g. ``"personal_recovery"``.

    Returns
    -------
    Selection
    """
    trials, rows = view_rows(evidence, filters)
    return outcome_selection(trials, rows, outcome)


def outcome_labels(effects: pd.DataFrame | None = None,
                   outcomes: dict | None = None) -> dict[str, tuple[str, str, int]]:
    """Ordered ``outcome -> (domain, label, beneficial direction)``, personal before clinical.

    ``outcomes`` (default :data:`peerstats.data.OUTCOMES`) first, then any other outcome found in ``effects``
    (uploads), labelled from its name, domain from its rows, direction +1.
    """
    if outcomes is None:
        from peerstats.data import OUTCOMES as outcomes
    out = dict(outcomes)
    if effects is not None and len(effects):
        for name, grp in effects.groupby("outcome", sort=False):
            name = str(name)
            if name not in out:
                domain = str(grp["domain"].iloc[0]) if "domain" in grp else "personal"
                out[name] = (domain, name.replace("_", " ").capitalize(), 1)
    personal = {k: v for k, v in out.items() if v[0] == "personal"}
    other = {k: v for k, v in out.items() if v[0] != "personal"}
    return {**personal, **other}


def outcome_table(evidence, filters: Filters, method: str = "DL", test: str = "z", level: float = 0.95,
                  outcomes: dict | None = None) -> pd.DataFrame:
    """Pool every outcome under the same filters: one row per outcome in :func:`outcome_labels` order.

    ``outcomes``: as in :func:`outcome_labels`.

    Returns
    -------
    DataFrame
        Columns ``outcome, label, domain, k, n, estimate, ci_low, ci_high, pval, i2, tau2, reported, derived,
        reconstructed, note``. ``k = 0`` rows have ``nan`` statistics and ``note = "no trials"``; a failed iterative
        estimator gives ``nan`` with the error message in ``note``.
    """
    _trials, all_rows = view_rows(evidence, filters)
    positions = all_rows.groupby("outcome", sort=False).indices if len(all_rows) else {}
    yi_all = pd.to_numeric(all_rows["yi"], errors="coerce").to_numpy(dtype=float)
    vi_all = pd.to_numeric(all_rows["vi"], errors="coerce").to_numpy(dtype=float)
    prov_all = all_rows["provenance"].to_numpy()
    n_all = all_rows["n"].to_numpy(dtype=float)
    empty = np.array([], dtype=int)
    rows = []
    for outcome, (domain, label, _direction) in outcome_labels(evidence.effects, outcomes).items():
        ix = positions.get(outcome, empty)
        n = n_all[ix]
        row = {
            "outcome": outcome, "label": label, "domain": domain, "k": len(ix), "n": int(n[~np.isnan(n)].sum()),
            "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "pval": np.nan, "i2": np.nan, "tau2": np.nan,
            **{p: int(np.count_nonzero(prov_all[ix] == p)) for p in PROVENANCE}, "note": "",
        }
        try:
            res = pool(yi_all[ix], vi_all[ix], method=method, test=test, level=level)
        except NoStudiesError:
            row["note"] = "no trials"
        except (ConvergenceError, ValueError) as exc:
            row["note"] = str(exc)
        else:
            row.update(estimate=res.estimate, ci_low=res.ci_low, ci_high=res.ci_high, pval=res.pval, i2=res.i2,
                       tau2=res.tau2)
            if len(ix) == 1:
                row["note"] = "one trial: its own estimate"
        rows.append(row)
    return pd.DataFrame(rows)


def crosstab(trials: pd.DataFrame, rows: str, columns: str) -> pd.DataFrame:
    """How two moderators overlap: counts of trials per (``rows`` value, ``columns`` value), with totals.

    Values are shown with their codebook labels, sorted as text (as :func:`pandas.crosstab` sorts them); combinations
    with no trials count 0. Counted in plain Python (``pandas.crosstab`` with margins cost ~17 ms on 49 trials, on
    every rerun of the Subgroups page).
    """
    def labels(column: str) -> list[str]:
        words = VOCABULARY.get(column, {})
        return [words.get(v, v) for v in trials[column].astype(str).tolist()]

    counts = Counter(zip(labels(rows), labels(columns)))
    r_levels = sorted({r for r, _ in counts})
    c_levels = sorted({c for _, c in counts})
    body = np.array([[counts.get((r, c), 0) for c in c_levels] for r in r_levels], dtype=np.int64).reshape(
        len(r_levels), len(c_levels))
    full = np.zeros((len(r_levels) + 1, len(c_levels) + 1), dtype=np.int64)
    full[:-1, :-1] = body
    full[:-1, -1] = body.sum(axis=1)
    full[-1, :-1] = body.sum(axis=0)
    full[-1, -1] = body.sum()
    return pd.DataFrame(full, index=pd.Index([*r_levels, "Total"], name=MODERATORS.get(rows, rows)),
                        columns=pd.Index([*c_levels, "Total"], name=MODERATORS.get(columns, columns)))


def _missing(v) -> bool:
    """A missing cell (None, NaN, pd.NA, NaT): read cell by cell in plain Python, ~100x faster than pandas' string
    methods on the few dozen cells of a moderator column, on every rerun."""
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT


def moderator_levels(values: pd.Series) -> int:
    """Distinct recorded values of a moderator column (blank and missing cells are not a level): a column needs
    two to split by or to filter on."""
    seen = set()
    for v in values.tolist():
        if _missing(v):
            continue
        text = str(v).strip()
        if text not in ("", "nan", "<NA>", "None"):
            seen.add(text)
    return len(seen)


def _group_labels(effects: pd.DataFrame, column: str) -> pd.Series:
    """The subgroup label of each row: the column's value as text, missing values as ``"not recorded"``."""
    def label(v) -> str:
        if _missing(v):
            return "not recorded"
        text = str(v)
        return "not recorded" if text in ("", "nan", "<NA>") else text

    return pd.Series([label(v) for v in effects[column].tolist()], index=effects.index, dtype=object)


def subgroup_inputs(selection: Selection, moderator: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(yi, vi, groups)`` for :func:`peerstats.meta.subgroup_test`, ordered so the subgroups come in vocabulary
    order (e.g. good, fair, poor). Missing trial values become the group ``"not recorded"``.
    """
    eff = selection.effects
    if moderator not in MODERATORS and moderator not in eff:  # an upload's own columns are moderators too
        raise ValueError(f"unknown moderator {moderator!r}; choose one of {', '.join(MODERATORS)}")
    if moderator not in eff:
        raise KeyError(f"the selected rows have no column {moderator!r}")
    groups = _group_labels(eff, moderator)
    vocab = list(VOCABULARY.get(moderator, {}))
    rank = groups.map(lambda g: vocab.index(g) if g in vocab else len(vocab))
    order = np.argsort(rank.to_numpy(), kind="stable")
    return selection.yi[order], selection.vi[order], groups.to_numpy()[order]


def provenance_by(selection: Selection, column: str) -> dict[str, dict[str, int]]:
    """Provenance counts of the selected rows per value of a trial column (e.g. per subgroup), missing values under
    ``"not recorded"`` as in :func:`subgroup_inputs`."""
    eff = selection.effects
    groups = _group_labels(eff, column)
    out: dict[str, dict[str, int]] = {}
    for g, prov in zip(groups, eff["provenance"].astype(str)):
        counts = out.setdefault(g, {p: 0 for p in PROVENANCE})
        if prov in counts:
            counts[prov] += 1
    return out
