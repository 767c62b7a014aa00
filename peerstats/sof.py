"""Summary of findings: one row per outcome under the current filters, with a suggested GRADE certainty.

Pure: :func:`summary_of_findings` filters once (:func:`peerstats.select.view_rows`), pools each outcome
(:func:`peerstats.rma.pool`), grades it (:func:`peerstats.grade.grade_outcome`) and translates the SMD into an NNT at a
chosen control response rate (:func:`peerstats.translate.nnt_interval`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .errors import ConvergenceError, NoStudiesError
from .grade import NOT_ASSESSABLE_IMPUTED, NOT_ASSESSABLE_ROB, RISK_OF_BIAS_COLUMNS, grade_outcome
from .iceman import Iceman, assess_view
from .imputation import for_view
from .rma import pool
from .select import Filters, outcome_labels, select, subgroup_inputs, view_rows
from .subgroups import subgroup_test
from .translate import nnt_interval

__all__ = ["SOF_COLUMNS", "summary_of_findings", "sof_caveats", "credible_splits", "ICEMAN_APPLIES_BELOW"]

#: ICEMAN's scope (iceman.help, "Preliminary considerations"): it assesses a *suggested* effect modification,
#: interaction p < 0.1; below that no subgroup claim is made, so no row is split.
ICEMAN_APPLIES_BELOW = 0.1

SOF_COLUMNS = ("outcome", "label", "domain", "subgroup", "k", "n", "estimate", "ci_low", "ci_high", "pi_low",
               "pi_high", "i2",
               "certainty", "certainty_label", "symbols", "statement", "nnt", "nnt_text", "reconstructed_share",
               "caveat", "reasons", "note", "assessable", "not_assessable", "threshold", "n_unknown",
               "imputation_low", "imputation_high")


def _nnt_text(r) -> str:
    """Altman's wording: "NNTB 9 (5 to 40)", or "NNTB 12 (NNTB 5 to ∞ to NNTH 60)" when the CI crosses 0."""
    def one(x):
        if not math.isfinite(x):
            return "∞"
        return f"NNTB {math.ceil(x)}" if x > 0 else f"NNTH {math.ceil(-x)}"

    point = one(r.nnt)
    if r.crosses_null:
        b = f"NNTB {math.ceil(r.nntb_low)}" if math.isfinite(r.nntb_low) else "—"
        h = f"NNTH {math.ceil(r.nnth_low)}" if math.isfinite(r.nnth_low) else "—"
        return f"{point} ({b} to ∞ to {h})"
    hi, lo = r.bounds
    return f"{point} ({one(hi)} to {one(lo)})"


def summary_of_findings(evidence, filters: Filters, method: str = "DL", test: str = "z", *, mid: float = 0.2,
                        cer: float = 0.3, outcomes: dict | None = None, overrides: dict | None = None,
                        indirectness: dict | None = None, threshold: str = "mid",
                        split_by: str | None = None, split_outcomes=None,
                        imputation: bool = False) -> pd.DataFrame:
    """One row per outcome (personal first) for the Summary of findings page.

    Parameters
    ----------
    evidence, filters, method, test
        As :func:`peerstats.select.outcome_table`.
    mid : float
        Minimal important difference (SMD) for GRADE and the statements.
    threshold : {"mid", "any"}
        The target of the certainty rating and of the statement (:func:`peerstats.grade.grade_outcome`): one
        threshold for both.
    cer : float
        Control response rate for the NNT (Furukawa & Leucht 2011).
    overrides, indirectness : dict, optional
        ``{outcome: {domain: (downgrade, reason)}}`` and ``{outcome: (downgrade, reason)}``, passed to
        :func:`peerstats.grade.grade_outcome`.

    split_by : str, optional
        A trial column (moderator): one row per level of it within each outcome (``subgroup``; blank values form
        "not recorded"), each pooled and graded on its own. Core GRADE 3: only a *credible* subgroup effect splits
        the summary; credibility (ICEMAN) is decided by :func:`credible_splits`. Default: one row per outcome
        (``subgroup`` "").
    split_outcomes : iterable of str, optional
        With ``split_by``: split only these outcomes (those whose subgroup effect is credible); ``None`` splits all.
    imputation : bool
        Also give, for rows that pool reconstructed values, the range of the estimate over how the imputed values
        are assigned (:func:`peerstats.imputation.for_view`: ``imputation_low``, ``imputation_high``; nan
        elsewhere). Off by default: it costs up to a few hundred ms per outcome.

    Returns
    -------
    DataFrame
        Columns :data:`SOF_COLUMNS`. ``certainty`` is nan and ``certainty_label`` "not assessable" where
        ``assessable`` is False (``not_assessable`` says why: mostly imputed values, or risk of bias not assessed);
        the numbers stay. SMD columns are in the raw direction (peer minus control, more of the
        construct); the NNT and statement use the outcome's beneficial direction. ``k = 0`` rows carry nan and
        ``note = "no trials"``; a failed estimator gives its message in ``note``. ``n`` sums the rows whose size is
        known; ``n_unknown`` counts the rows whose size is not (unknown is not zero: ``n`` is then a lower bound).
    """
    _trials, wide = view_rows(evidence, filters)
    # only the columns grading needs, as plain numpy-backed columns (slicing the wide, arrow-backed frame 20 times
    # costs more than all the statistics)
    extra = (split_by,) if split_by else ()
    cols = [c for c in dict.fromkeys(("outcome", "yi", "vi", "n", "provenance", *RISK_OF_BIAS_COLUMNS, *extra))
            if c in wide]
    if split_by and split_by not in wide:
        raise ValueError(f"cannot split the summary by {split_by!r}: the trials have no such column")
    all_rows = pd.DataFrame({c: (pd.to_numeric(wide[c], errors="coerce").to_numpy(float) if c in ("yi", "vi", "n")
                                 else wide[c].astype(object).where(wide[c].notna(), "").astype(str).to_numpy(object))
                             for c in cols})
    groups = all_rows.groupby("outcome", sort=False).indices if len(all_rows) else {}
    split_set = None if split_outcomes is None else set(split_outcomes)
    out = []
    for outcome, (domain, label, beneficial) in outcome_labels(evidence.effects, outcomes).items():
        rows = all_rows.iloc[groups.get(outcome, np.array([], dtype=int))]
        kw = dict(outcome=outcome, label=label, domain=domain, beneficial=beneficial, method=method, test=test,
                  mid=mid, cer=cer, threshold=threshold, indirectness=(indirectness or {}).get(outcome),
                  overrides=(overrides or {}).get(outcome))
        if not split_by or not len(rows) or (split_set is not None and outcome not in split_set):
            row = _row(rows, subgroup="", **kw)
            if imputation and row["reconstructed_share"] > 0:
                rng = for_view(evidence, filters, outcome, method, test)
                if rng is not None and rng.varies:
                    row.update(imputation_low=rng.estimate_low, imputation_high=rng.estimate_high)
            out.append(row)
            continue
        levels = rows[split_by].replace("", "not recorded")
        for level in dict.fromkeys(sorted(levels)):
            out.append(_row(rows[(levels == level).to_numpy()], subgroup=level, **kw))
    return pd.DataFrame(out, columns=list(SOF_COLUMNS))


def _row(rows: pd.DataFrame, *, outcome, label, domain, beneficial, method, test, mid, cer, threshold, indirectness,
         overrides, subgroup) -> dict:
    """One Summary-of-findings row for ``rows`` (one outcome, or one subgroup of it)."""
    n = (pd.to_numeric(rows["n"], errors="coerce") if "n" in rows
         else pd.Series(np.full(len(rows), np.nan), dtype=float))
    row = dict.fromkeys(SOF_COLUMNS, np.nan)
    row.update(outcome=outcome, label=label, domain=domain, subgroup=subgroup, k=len(rows), n=int(n.sum(skipna=True)),
               n_unknown=int(n.isna().sum()),
               statement="", nnt_text="", caveat="", reasons="", note="", symbols="", certainty_label="",
               assessable=False, not_assessable="", threshold=threshold)
    try:
        res = pool(rows["yi"].to_numpy(float), rows["vi"].to_numpy(float), method=method, test=test)
    except NoStudiesError:
        row["note"] = "no trials"
        return row
    except (ConvergenceError, ValueError) as exc:
        row["note"] = str(exc)
        return row
    g = grade_outcome(rows, res, outcome=label[:1].lower() + label[1:] if label[1:2].islower() else label,
                      beneficial=beneficial, mid=mid, n_participants=float(n.sum(skipna=True)),
                      indirectness=indirectness, overrides=overrides, threshold=threshold)
    sign = 1 if beneficial >= 0 else -1
    lo, hi = sorted((sign * res.ci_low, sign * res.ci_high))
    nn = nnt_interval(sign * res.estimate, lo, hi, cer)
    row.update(estimate=res.estimate, ci_low=res.ci_low, ci_high=res.ci_high, pi_low=res.pi_low,
               pi_high=res.pi_high, i2=res.i2, certainty=g.certainty if g.certainty else np.nan,
               certainty_label=g.label, symbols=g.symbols, statement=g.statement, nnt=nn.nnt,
               nnt_text=_nnt_text(nn), reconstructed_share=g.reconstructed_share, caveat=g.caveat,
               reasons=g.reasons, assessable=g.assessable, not_assessable=g.not_assessable,
               note="one trial: its own estimate" if len(rows) == 1 else "")
    return row


def credible_splits(evidence, filters: Filters, moderator: str, outcomes: dict | None = None, method: str = "DL",
                    test: str = "z", *, examined=(), answers: dict | None = None) -> dict[str, Iceman]:
    """ICEMAN for every outcome whose subgroup effect by ``moderator`` is suggested (interaction p below
    :data:`ICEMAN_APPLIES_BELOW`): ``{outcome: Iceman}``. Core GRADE 3: an outcome's Summary-of-findings row is split
    by ``moderator`` only where ``Iceman.credible``; the others keep one row with inconsistency judged.

    The interaction test (:func:`peerstats.subgroups.subgroup_test`, Q-between) is computed for every outcome first;
    :func:`peerstats.iceman.assess_view` (which also looks at related outcomes) only where it is below 0.1, since
    ICEMAN does not apply otherwise.

    Parameters
    ----------
    evidence, filters, method, test
        As :func:`summary_of_findings`.
    moderator : str
        A trial column (the Subgroups page's moderator).
    outcomes : dict, optional
        ``{outcome: (domain, label, beneficial)}``; default the evidence's outcomes.
    examined : iterable of str
        The moderators examined in the session (multiplicity, ICEMAN's item on the number of effect modifiers).
    answers : dict, optional
        ``{(outcome, moderator): {item: code}}``: the user's ICEMAN answers.
    """
    labels = outcome_labels(evidence.effects, outcomes)
    out = {}
    for outcome in labels:
        sel = select(evidence, filters, outcome)
        if sel.k < 2 or moderator not in sel.effects:
            continue
        yi, vi, groups = subgroup_inputs(sel, moderator)
        if len(set(groups)) < 2:
            continue
        try:
            p = subgroup_test(yi, vi, groups, method=method, test=test).pval
        except (ConvergenceError, ValueError):
            continue
        if not (p < ICEMAN_APPLIES_BELOW):
            continue
        out[outcome] = assess_view(evidence, filters, outcome, moderator, labels, method=method, test=test,
                                   examined=examined, answers=(answers or {}).get((outcome, moderator), {}))
    return out


def sof_caveats(table: pd.DataFrame) -> list[str]:
    """The caveats every export of a Summary-of-findings table carries (the page, the CSV's rows, the image's note,
    the HTML report), as sentences: the outcomes without a certainty and why, and the partly imputed ones.

    ``table`` is :func:`summary_of_findings`'s frame (its ``label``, ``subgroup``, ``not_assessable`` and
    ``reconstructed_share`` columns). Empty list: nothing to say.
    """
    def names(mask) -> str:
        sub = table.loc[mask]
        return ", ".join(f"{lab} ({sg})" if sg else str(lab) for lab, sg in zip(sub["label"], sub["subgroup"]))

    out = []
    imputed = table["not_assessable"].eq(NOT_ASSESSABLE_IMPUTED)
    if imputed.any():
        out.append(f"Not assessable, mostly imputed values: {names(imputed)}. More than half of the weight is on rows "
                   "reconstructed from the paper's pooled results (not trial data): the numbers are shown, marked, "
                   "with no certainty.")
    partly = (table["reconstructed_share"] > 0) & ~imputed & table["k"].gt(0)
    if partly.any():
        sub = table.loc[partly]
        shares = ", ".join(f"{lab} {share:.0f}%" for lab, share in zip(sub["label"], sub["reconstructed_share"]))
        out.append(f"Partly imputed (weight on reconstructed rows): {shares}.")
    if "imputation_low" in table:
        ranged = table["imputation_low"].notna() & table["imputation_high"].notna()
        if ranged.any():
            sub = table.loc[ranged]
            spans = ", ".join(f"{lab}{f' ({sg})' if sg else ''} {lo:.2f} to {hi:.2f}" for lab, sg, lo, hi in
                              zip(sub["label"], sub["subgroup"], sub["imputation_low"], sub["imputation_high"]))
            out.append(f"Which trial received which imputed value is arbitrary; over every way of assigning them the "
                       f"pooled SMD ranges: {spans}.")
    if "n_unknown" in table:
        unknown_n = table["n_unknown"].fillna(0).gt(0)
        if unknown_n.any():
            out.append(f"Participants unknown for some trials: {names(unknown_n)} (the number shown counts only "
                       "the trials whose size is known; unknown is not zero).")
    unrated = table["not_assessable"].eq(NOT_ASSESSABLE_ROB)
    if unrated.any():
        out.append(f"Not assessable, risk of bias not assessed: {names(unrated)}. No trial has a risk-of-bias "
                   "rating, and unknown is not low risk.")
    return out
