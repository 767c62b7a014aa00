"""The next-trial designer: the current view's meta-analysis before and after adding hypothetical trials.

Next-trial designer (:func:`add_hypothetical_trials`). Each hypothetical trial ``j`` with ``n_j`` per arm and
expected SMD :math:`d_j` (or the current pooled estimate :math:`\\hat\\mu`) enters the data as one more study with
:math:`y_j = d_j` and :math:`v_j = 2/n_j + d_j^2/(4 n_j)` (the large-sample variance of an SMD from two equal arms,
Borenstein et al. 2009, chapter 4, with :math:`n_1 = n_2 = n_j`), if it would pass the current view's filters. The
"after" meta-analysis is :func:`pool` on the appended arrays with the same estimator and test; the subgroup test is
:func:`peerstats.subgroups.subgroup_test` (separate tau2 per subgroup,
:math:`Q_{between} = \\sum_g (\\hat\\mu_g - \\bar\\mu)^2 / SE_g^2` on :math:`G - 1` df) on the same appended
arrays; the GRADE certainty is :func:`peerstats.grade.grade_outcome` on the appended rows (the new trials count
``2 n_j`` participants and their AHRQ quality; they have no risk-of-bias domain ratings). It answers "what would the
evidence look like if a trial like this were run and found what we expect", not what a trial will find: the power
of one such trial is :func:`power_next_trial`.

This is the decision layer (it filters, pools, tests subgroups and grades, as the app's view does); the engine it
builds on (:func:`~peerstats.planning.power_next_trial`, :func:`~peerstats.planning.new_trial_variance`) is
:mod:`peerstats.planning`.

References
----------
.. [1] Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009). Introduction to Meta-Analysis.
   Wiley, chapter 4.
.. [2] Guyatt, G. H. et al. (2011). GRADE guidelines 6: rating the quality of evidence - imprecision. J Clin
   Epidemiol, 64, 1283-1293.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .core import NAN
from .errors import ConvergenceError
from .grade import grade_outcome
from .planning import new_trial_variance
from .rma import PoolResult, pool
from .select import VOCABULARY, Selection, filter_trials, subgroup_inputs
from .subgroups import subgroup_test
from .vocabulary import ROB_DOMAINS

__all__ = ["DesignResult", "add_hypothetical_trials", "design_options", "hypothetical_view_check", "HYPOTHETICAL",
           "DESIGN_COLUMNS"]


# ----------------------------------------------------------------------------------------------------------------
# the next-trial designer
# ----------------------------------------------------------------------------------------------------------------

#: ``provenance`` of a designer's row: never trial data.
HYPOTHETICAL = "hypothetical"
#: Trial columns a hypothetical trial carries (besides ``n_per_arm``, ``smd``, ``as_pooled``).
DESIGN_COLUMNS = ("category", "quality", "control", "leadership", "format")
_FIELD_WORDS = {"category": "category", "quality": "AHRQ quality", "control": "control condition",
                "leadership": "peer leadership", "format": "format"}


@dataclass(frozen=True)
class DesignResult:
    """The current view's meta-analysis before and after adding hypothetical trials.

    Attributes
    ----------
    before, after : PoolResult
        :func:`pool` of the view's rows, and of those rows plus the hypothetical trials that pass the view's filters
        (same ``method``, ``test``, ``level``). ``after`` equals ``before`` when none passes.
    trials : pandas.DataFrame
        One row per hypothetical trial, in input order: ``label`` ("Hypothetical trial 1", ...), ``n_per_arm``,
        ``as_pooled``, ``smd`` (the SMD used: the pooled estimate where ``as_pooled``), ``vi``
        (:func:`new_trial_variance`), the columns of :data:`DESIGN_COLUMNS` (``None`` where not given), ``included``
        (passes the view's filters) and ``reason`` (why not, in words; empty when included).
    rows_after : pandas.DataFrame
        The view's rows followed by the included hypothetical rows (``provenance`` = ``"hypothetical"``, ``n`` =
        ``2 n_per_arm``, ``trial_id`` ``hypothetical_<j>``), in the order of ``after.weights``.
    moderator : str
    subgroups_before, subgroups_after : SubgroupResult or None
        :func:`peerstats.subgroups.subgroup_test` by ``moderator`` (``None`` when it cannot be computed; see
        ``subgroup_note``).
    subgroup_note : str
    grade_before, grade_after : Grade
        :func:`peerstats.grade.grade_outcome` of ``rows`` with ``before`` and of ``rows_after`` with ``after``.
    n_before, n_after : float
        Participants (sum of the rows' ``n``; each hypothetical trial adds ``2 n_per_arm``).
    method, test : str
    """

    before: PoolResult
    after: PoolResult
    trials: pd.DataFrame
    rows_after: pd.DataFrame
    moderator: str
    subgroups_before: object
    subgroups_after: object
    subgroup_note: str
    grade_before: object
    grade_after: object
    n_before: float
    n_after: float
    method: str
    test: str

    @property
    def k_added(self) -> int:
        """Hypothetical trials that pass the view's filters (and so are in ``after``)."""
        return int(self.trials["included"].sum()) if len(self.trials) else 0

    @property
    def first_included(self) -> int | None:
        """Position (0-based, in :attr:`trials`) of the first hypothetical trial that passes the filters."""
        hit = np.flatnonzero(self.trials["included"].to_numpy(dtype=bool)) if len(self.trials) else []
        return int(hit[0]) if len(hit) else None

    def summary(self) -> pd.DataFrame:
        """Two rows (``when`` = "before", "after"): k, n, estimate, ci_low, ci_high, pi_low, pi_high, i2, tau2,
        q_between, q_between_df, q_between_pval, certainty, certainty_label."""
        out = []
        for when, r, sg, g, n in (("before", self.before, self.subgroups_before, self.grade_before, self.n_before),
                                  ("after", self.after, self.subgroups_after, self.grade_after, self.n_after)):
            out.append({"when": when, "k": r.k, "n": n, "estimate": r.estimate, "ci_low": r.ci_low,
                        "ci_high": r.ci_high, "pi_low": r.pi_low, "pi_high": r.pi_high, "i2": r.i2, "tau2": r.tau2,
                        "q_between": sg.q_between if sg is not None else NAN,
                        "q_between_df": sg.df if sg is not None else 0,
                        "q_between_pval": sg.pval if sg is not None else NAN,
                        "certainty": g.certainty, "certainty_label": g.label})
        return pd.DataFrame(out)

    def grade_changes(self) -> pd.DataFrame:
        """One row per GRADE domain: ``domain`` (words), ``before``, ``after`` (severity), ``changed`` (the number of
        levels it rates down differs), ``reason_before``, ``reason_after``."""
        rows = []
        for b, a in zip(self.grade_before.domains, self.grade_after.domains):
            rows.append({"domain": b.label, "before": b.severity, "after": a.severity,
                         "changed": b.downgrade != a.downgrade, "reason_before": b.reason,
                         "reason_after": a.reason})
        return pd.DataFrame(rows, columns=["domain", "before", "after", "changed", "reason_before", "reason_after"])


def design_options(trials: pd.DataFrame, columns=("category", "quality", "control", "leadership")) -> dict:
    """The values a hypothetical trial can take for each column: those present in ``trials`` (the evidence in use),
    codebook values first in vocabulary order, then any other (an upload's own codes) sorted as text."""

    out = {}
    for c in columns:
        present = {str(v) for v in trials[c].dropna()} if c in trials else set()
        present.discard("")
        vocab = [v for v in VOCABULARY.get(c, {}) if v in present]
        out[c] = vocab + sorted(present - set(vocab))
    return out


def _text_or_none(v) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    t = str(v).strip()
    return t or None


def _truthy(v) -> bool:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return False
    if isinstance(v, str):
        return v.strip().lower() in {"true", "1", "yes", "y", "t"}
    return bool(v)


def _extra_columns(frame: pd.DataFrame) -> list[str]:
    """A design table's columns beyond :data:`DESIGN_COLUMNS`: an upload's own trial columns (e.g. ``setting``)."""
    fixed = {"label", "n_per_arm", "as_pooled", "smd", "smd_in", "vi", "included", "reason", *DESIGN_COLUMNS}
    return [str(c) for c in frame.columns if str(c) not in fixed]


def _design_frame(trials) -> pd.DataFrame:
    """The hypothetical trials as a frame with ``n_per_arm``, ``as_pooled``, ``smd_in`` and the design columns;
    raises ValueError in words for an unusable ``n_per_arm`` or ``smd``."""
    frame = trials if isinstance(trials, pd.DataFrame) else pd.DataFrame(list(trials or []))
    if len(frame) and "n_per_arm" not in frame:
        raise ValueError("hypothetical trials need a column n_per_arm (participants per arm)")
    extra = _extra_columns(frame)
    out = []
    for j, (_, row) in enumerate(frame.iterrows(), start=1):
        raw_n = row.get("n_per_arm")
        try:
            n = float(raw_n)
        except (TypeError, ValueError):
            n = NAN
        if not (math.isfinite(n) and n >= 2):
            raise ValueError(f"Hypothetical trial {j}: participants per arm must be a number of at least 2; "
                             f"got {raw_n!r}.")
        as_pooled = _truthy(row.get("as_pooled"))
        raw_d = row.get("smd")
        if as_pooled:
            d = NAN
        else:
            try:
                d = float(raw_d)
            except (TypeError, ValueError):
                d = NAN
            if not math.isfinite(d):
                raise ValueError(f"Hypothetical trial {j}: the expected SMD must be a finite number (or take the "
                                 f"pooled estimate); got {raw_d!r}.")
        out.append({"label": f"Hypothetical trial {j}", "n_per_arm": n, "as_pooled": as_pooled, "smd_in": d,
                    **{c: _text_or_none(row.get(c)) for c in (*DESIGN_COLUMNS, *extra)}})
    return pd.DataFrame(out, columns=["label", "n_per_arm", "as_pooled", "smd_in", *DESIGN_COLUMNS, *extra])


def hypothetical_view_check(trials, filters) -> tuple[np.ndarray, list[str]]:
    """Which hypothetical trials would pass the view's filters, and why the others would not.

    The trial-level filters are applied by :func:`peerstats.select.filter_trials` itself (so a hypothetical trial is
    judged exactly as a real one with the same characteristics); a hypothetical trial has no risk-of-bias domain
    ratings and no RoB 2 judgement, so a view that filters on a risk-of-bias domain leaves it out. Its row would be
    *reported* data: a provenance filter without "reported" leaves it out too.

    Parameters
    ----------
    trials : DataFrame or list of dict
        Columns of :data:`DESIGN_COLUMNS` (missing ones = not given).
    filters : peerstats.select.Filters or None
        ``None``: no restriction.

    Returns
    -------
    (included, reasons)
        A boolean array, one per trial, and for each trial the reason in words ("" when included).
    """

    frame = trials if isinstance(trials, pd.DataFrame) else pd.DataFrame(list(trials or []))
    k = len(frame)
    if filters is None or k == 0:
        return np.ones(k, dtype=bool), [""] * k
    t = pd.DataFrame({"trial_id": [f"hypothetical_{j}" for j in range(1, k + 1)]})
    for c in DESIGN_COLUMNS:
        t[c] = [_text_or_none(v) for v in frame[c]] if c in frame else None
    needed = [d for d, levels in filters.rob if levels] + [c for c, values in filters.columns if values]
    for c in needed:
        t[c] = [_text_or_none(v) for v in frame[c]] if c in frame else None
    kept = set(filter_trials(t, filters)["trial_id"])

    def words(column, values):
        vocab = VOCABULARY.get(column, {})
        return ", ".join(vocab.get(v, v) for v in values)

    included = np.zeros(k, dtype=bool)
    reasons = []
    for i, row in t.iterrows():
        why = []
        for field_name, column in (("categories", "category"), ("quality", "quality"), ("control", "control"),
                                   ("leadership", "leadership"), ("formats", "format")):
            values = getattr(filters, field_name)
            if values and row[column] not in values:
                mine = "is not given" if row[column] is None else f"is {words(column, [row[column]])}"
                why.append(f"the view keeps {_FIELD_WORDS[column]} {words(column, values)} only, and this trial's "
                           f"{mine}")
        for domain, levels in filters.rob:
            if levels and row[domain] not in levels:
                why.append(f"the view filters on {ROB_DOMAINS.get(domain, domain).lower()} and a hypothetical trial "
                           "has no risk-of-bias rating")
        for column, values in filters.columns:
            if values and (row[column] is None or str(row[column]) not in values):
                why.append(f"the view keeps {column} {', '.join(values)} only, and this trial has no such value")
        if getattr(filters, "exclude_high_risk", False) and row["quality"] == "poor":
            why.append("the view leaves out trials at high risk of bias (AHRQ poor quality)")
        prov_ok = not filters.provenance or "reported" in filters.provenance
        if not prov_ok:
            why.append(f"the view keeps {words('provenance', filters.provenance).lower()} rows only, and a new "
                       "trial's row would be reported data")
        ok = row["trial_id"] in kept and prov_ok
        if not ok and not why:
            why.append("the view's filters leave it out")
        included[i] = ok
        text = "; ".join(why)
        reasons.append("" if ok else text[:1].upper() + text[1:] + ".")
    return included, reasons


def _participants(rows: pd.DataFrame) -> float:
    if "n" not in rows:
        return NAN
    return float(pd.to_numeric(rows["n"], errors="coerce").sum(skipna=True))


def _subgroups(rows: pd.DataFrame, yi, vi, moderator: str, method: str, test: str, level: float):
    """subgroup_test by ``moderator`` on these rows, as the Subgroups page runs it; (None, reason) if it cannot."""

    if not moderator:
        return None, "these data have no column to split by: no subgroup test"
    if moderator not in rows:
        return None, f"the rows have no column {moderator}: no subgroup test"
    sel = Selection(trials=pd.DataFrame(), effects=rows.reset_index(drop=True), yi=yi, vi=vi, k=yi.size,
                    n_participants=0)
    try:
        y, v, g = subgroup_inputs(sel, moderator)
        return subgroup_test(y, v, g, method=method, test=test, level=level), ""
    except (KeyError, ValueError, ConvergenceError) as exc:
        return None, f"the subgroup test by {moderator} cannot be computed: {exc}"


def add_hypothetical_trials(rows: pd.DataFrame, trials, filters=None, method: str = "DL", test: str = "z",
                            moderator: str = "category", *, level: float = 0.95, outcome: str = "the outcome",
                            beneficial: int = 1, mid: float = 0.2, overrides: dict | None = None,
                            indirectness: tuple[int, str] | None = None, threshold: str = "mid") -> DesignResult:
    """The current view's meta-analysis, subgroup test and GRADE certainty before and after hypothetical trials.

    Each hypothetical trial ``j`` (``n_j`` per arm, expected SMD :math:`d_j`, or the current pooled estimate
    :math:`\\hat\\mu` when ``as_pooled``) that would pass the view's filters (:func:`hypothetical_view_check`)
    is appended to the view's rows as one more study with

    .. math:: y_j = d_j, \\qquad v_j = \\frac{2}{n_j} + \\frac{d_j^2}{4 n_j}

    (:func:`new_trial_variance`; Borenstein et al. 2009, chapter 4, two equal arms). Then

    * ``after = pool(concat(yi, y_new), concat(vi, v_new), method, test, level)``;
    * the subgroup test by ``moderator`` is :func:`peerstats.subgroups.subgroup_test` on the rows before and after
      (:math:`Q_{between} = \\sum_g (\\hat\\mu_g - \\bar\\mu)^2 / SE_g^2`, chi-square on ``G - 1`` df),
      groups as :func:`peerstats.select.subgroup_inputs` forms them (a hypothetical trial without a value for the
      moderator falls in "not recorded");
    * GRADE is :func:`peerstats.grade.grade_outcome` on the rows with ``before`` and on the appended rows with
      ``after`` (participants: the rows' ``n`` plus ``2 n_j`` per added trial; the new trials' AHRQ quality counts
      for risk of bias; their rows count as real rows for the publication-bias domain, as a trial report would).

    Parameters
    ----------
    rows : pandas.DataFrame
        The view's pooled rows (``Selection.effects``): ``yi``, ``vi``, and for the subgroup test and GRADE the
        moderator column, ``n``, ``provenance``, ``quality``, ``rob_*`` where present.
    trials : DataFrame or list of dict
        One row per hypothetical trial: ``n_per_arm`` (>= 2), ``smd`` (finite unless ``as_pooled``), ``as_pooled``
        (bool, optional), and any of ``category``, ``quality``, ``control``, ``leadership``, ``format`` (codebook
        codes) or of the data's own trial columns (an upload's, e.g. ``setting``: values as text; they are checked
        against ``filters.columns`` and carried into the rows after, so the subgroup test can split by them).
    filters : peerstats.select.Filters, optional
        The view's filters (``None``: every hypothetical trial is included).
    method, test, level
        As in :func:`pool`, for before and after alike.
    moderator : str
        Trial column of the subgroup test (the Subgroups page's moderator); ``""`` or a column the rows do not have:
        no subgroup test, said in ``subgroup_note``.
    outcome, beneficial, mid, overrides, indirectness, threshold
        Passed to :func:`peerstats.grade.grade_outcome` (the same Core GRADE rules as the Summary page: no I² cut-off;
        ``overrides``: this outcome's ``{domain: (downgrade,
        reason)}``).

    Returns
    -------
    DesignResult

    Raises
    ------
    ValueError
        In words, for ``n_per_arm`` < 2 or not a number, a non-finite SMD, or a trial whose variance cannot be
        pooled; :class:`peerstats.errors.NoStudiesError` when ``rows`` is empty.

    References
    ----------
    Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009). Introduction to Meta-Analysis.
    Wiley. Sutton, A. J. et al. (2007). Statistics in Medicine, 26, 2479-2500 (updated meta-analyses as the basis
    for designing the next trial).
    """

    design = _design_frame(trials)
    yi = pd.to_numeric(rows["yi"], errors="coerce").to_numpy(dtype=float)
    vi = pd.to_numeric(rows["vi"], errors="coerce").to_numpy(dtype=float)
    before = pool(yi, vi, method, test, level)
    smd = np.where(design["as_pooled"].to_numpy(dtype=bool), before.estimate,
                   design["smd_in"].to_numpy(dtype=float)) if len(design) else np.array([])
    with np.errstate(over="ignore"):  # an SMD of 1e200: checked in words just below
        v_new = new_trial_variance(design["n_per_arm"].to_numpy(dtype=float), smd) if len(design) else np.array([])
    for j, v in enumerate(np.atleast_1d(v_new), start=1):
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"Hypothetical trial {j}: an SMD of {smd[j - 1]:g} gives no usable sampling variance.")
    included, reasons = hypothetical_view_check(design, filters)
    table = design.drop(columns="smd_in").assign(smd=smd, vi=v_new, included=included, reason=reasons)
    extra = _extra_columns(design)
    table = table[["label", "n_per_arm", "as_pooled", "smd", "vi", *DESIGN_COLUMNS, *extra, "included", "reason"]]

    add = table[table["included"]]
    new_rows = pd.DataFrame({"trial_id": [f"hypothetical_{i + 1}" for i in add.index], "label": add["label"],
                             "yi": add["smd"], "vi": add["vi"], "n": 2.0 * add["n_per_arm"],
                             "provenance": HYPOTHETICAL,
                             **{c: add[c] for c in (*DESIGN_COLUMNS, *extra)}}).reset_index(drop=True)
    base = rows.reset_index(drop=True)
    rows_after = pd.concat([base, new_rows], ignore_index=True) if len(new_rows) else base.copy()
    yi_after = np.append(yi, new_rows["yi"].to_numpy(dtype=float))
    vi_after = np.append(vi, new_rows["vi"].to_numpy(dtype=float))
    after = pool(yi_after, vi_after, method, test, level) if len(new_rows) else before

    sg_before, note_b = _subgroups(base, yi, vi, moderator, method, test, level)
    sg_after, note_a = (_subgroups(rows_after, yi_after, vi_after, moderator, method, test, level)
                        if len(new_rows) else (sg_before, note_b))
    notes = [n for n in dict.fromkeys((note_b, note_a)) if n]
    if moderator and moderator in base and len(new_rows) and (moderator not in new_rows
                                                                or new_rows[moderator].isna().any()):
        notes.append(f"the hypothetical trials have no value for {moderator}: they form the group 'not recorded'")

    n_before = _participants(base)
    n_after = n_before + float(new_rows["n"].sum())
    g_kw = {"outcome": outcome, "beneficial": beneficial, "mid": mid, "indirectness": indirectness,
            "overrides": overrides, "threshold": threshold}
    grade_before = grade_outcome(base, before, n_participants=n_before, **g_kw)
    grade_after = (grade_outcome(rows_after, after, n_participants=n_after, **g_kw) if len(new_rows)
                   else grade_before)
    return DesignResult(before=before, after=after, trials=table.reset_index(drop=True), rows_after=rows_after,
                        moderator=moderator, subgroups_before=sg_before, subgroups_after=sg_after,
                        subgroup_note="; ".join(notes), grade_before=grade_before, grade_after=grade_after,
                        n_before=n_before, n_after=n_after, method=method, test=test)
