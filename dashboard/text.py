"""Plain-language sentences for the headline: numbers in words a clinician grasps in seconds.

Pure functions (no Streamlit). Conventions:

* Size by Cohen's thresholds, as the paper uses them: |SMD| < 0.2 "very small", < 0.5 "small", < 0.8 "medium",
  otherwise "large" (Cohen 1988; Egmose et al. 2023, Methods).
* Direction by the outcome's beneficial direction ``b`` (+1 when more is better, e.g. hope; -1 when less is better,
  e.g. anxiety): ``b * SMD > 0`` favours peer support, ``< 0`` favours control.
* Heterogeneity by I² (Cochrane Handbook 10.10.2 bands): < 25% "low", < 50% "moderate", < 75% "substantial",
  otherwise "considerable"; the paper calls it substantial when p < 0.1 and I² > 50%.
* Provenance mix: "10 trials: 3 reported, 1 derived, 6 reconstructed" (zero counts left out).
* The intervention: the bundled data compare peer support with control and the app's words say so; an upload's words
  name its own intervention (``Scale.named``: the file's wording, or "the intervention"), and the paper's marks
  ("DerSimonian-Laird (the paper)") belong to the bundled data only (:func:`for_data`).
* Effect measure (:class:`Scale`): the bundled review and generic uploads pool SMDs; a RevMan file's analyses carry
  their own measure (RR, OR, RD, Peto OR, MD, SMD, generic inverse variance, O-E). Ratios are pooled as log ratios and
  shown exponentiated (null 1); Cohen's size words are said for an SMD only; "favours" is said only where the
  outcome's beneficial direction is known (a RevMan file does not say whether more events are good or bad: there
  the words say "lower/higher with the intervention than with control").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from peerstats.grade import hedge as grade_hedge
from peerstats.revman import MEASURE_NAMES, RATIO_MEASURES

MINUS = "\u2212"
#: What the bundled data compare with control.
BUNDLED_INTERVENTION = "peer support"
#: What an upload compares with control when its file does not name it.
UPLOAD_INTERVENTION = "the intervention"
#: How the app's labels point at the bundled paper (e.g. "DerSimonian-Laird (the paper)").
PAPER_MARK = " (the paper)"


def upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def for_data(words: str, intervention: str | None = None) -> str:
    """Words written for the bundled data, said for the data in use.

    ``intervention`` ``None`` (the bundled data): ``words`` unchanged. Otherwise (an upload, ``intervention`` its
    wording, e.g. "the intervention" or "CBT"): "peer support" becomes ``intervention`` ("Peer support" at the start of
    a sentence its capitalised form) and the paper's mark " (the paper)" goes: "DerSimonian-Laird (the paper)" ->
    "DerSimonian-Laird".
    """
    if intervention is None or not words:
        return words
    out = str(words).replace(PAPER_MARK, "")
    return out.replace("Peer support", upper_first(intervention)).replace("peer support", intervention)

#: Short names of the effect measures, as headers and in sentences ("RR 0.80, 95% CI ...").
MEASURE_SHORT = {"SMD": "SMD", "MD": "MD", "RR": "RR", "OR": "OR", "RD": "RD", "PETO": "Peto OR", "GIV": "Effect",
                 "GIV_RATIO": "Ratio", "OE": "Ratio (O\u2212E)"}


@dataclass(frozen=True)
class Scale:
    """How one outcome's effects are shown and worded.

    Attributes
    ----------
    measure : str
        ``"SMD"`` (the bundled review, generic uploads) or a RevMan measure (:data:`peerstats.revman.MEASURES`).
        ``yi``, ``vi`` and every pooled result are on the analysis scale (log for :attr:`ratio` measures);
        :meth:`natural` gives what is shown.
    intervention, control : str
        The arms' names in sentences ("peer support" / "control"; "the intervention" / "control" for a RevMan file).
    direction_known : bool
        Whether the outcome's beneficial direction is known (then "favours ..." is said; else "lower/higher with").
    """

    measure: str = "SMD"
    intervention: str = BUNDLED_INTERVENTION
    control: str = "control"
    direction_known: bool = True

    @property
    def ratio(self) -> bool:
        return self.measure in RATIO_MEASURES

    @property
    def null(self) -> float:
        """No effect on the natural scale: 1 for a ratio, 0 for a difference."""
        return 1.0 if self.ratio else 0.0

    @property
    def short(self) -> str:
        return MEASURE_SHORT.get(self.measure, self.measure)

    @property
    def name(self) -> str:
        """The measure in words: "risk ratio", "standardised mean difference"."""
        return MEASURE_NAMES.get(self.measure, self.measure)

    @property
    def axis_title(self) -> str:
        """A chart axis: "SMD (Hedges' g)", "Risk ratio (log scale)", "Mean difference"."""
        if self.measure == "SMD":
            return "SMD (Hedges' g)"
        name = self.name[:1].upper() + self.name[1:]
        return f"{name} (log scale)" if self.ratio else name

    @property
    def is_smd(self) -> bool:
        return self.measure == "SMD"

    def named(self, intervention: str | None) -> "Scale":
        """This scale with the intervention called ``intervention`` (an upload's own wording) where the beneficial
        direction is known (the SMD scale); unchanged for ``None``/"" and for a RevMan file's measures."""
        if not intervention or not self.direction_known or intervention == self.intervention:
            return self
        from dataclasses import replace

        return replace(self, intervention=intervention)

    def natural(self, *values) -> tuple:
        """Values on the shown scale: ``exp`` for a ratio (nan stays nan), else as given."""
        if not self.ratio:
            return tuple(float(v) if _finite(v) else float("nan") for v in values)
        return tuple(math.exp(float(v)) if _finite(v) else float("nan") for v in values)


#: The bundled review's scale (and a generic upload's): SMD, peer support vs control.
SMD_SCALE = Scale()


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def fmt(x, digits: int = 2) -> str:
    """A number with ``digits`` decimals and a true minus sign; "n/a" for nan/None."""
    if not _finite(x):
        return "n/a"
    s = f"{float(x):.{digits}f}"
    if s.startswith("-"):
        s = s[1:] if float(s) == 0 else MINUS + s[1:]
    return s


def fmt_ci(low, high, digits: int = 2) -> str:
    """"0.11 to 0.29"; "n/a" when a bound is missing (e.g. the prediction interval of one trial)."""
    if not (_finite(low) and _finite(high)):
        return "n/a"
    return f"{fmt(low, digits)} to {fmt(high, digits)}"


def fmt_p(p) -> str:
    """p-value: "< 0.001" below 0.001, else three decimals; "n/a" for nan."""
    if not _finite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_phrase(p) -> str:
    """"p < 0.001" or "p = 0.015"."""
    f = fmt_p(p)
    return f"p {f}" if f.startswith("<") else f"p = {f}"


def fmt_pct(x) -> str:
    """A percentage with no decimals: "47%"."""
    return "n/a" if not _finite(x) else f"{float(x):.0f}%"


def fmt_int(n) -> str:
    """An integer with thousands separators: "4,104"."""
    return "n/a" if not _finite(n) else f"{int(round(float(n))):,}"


_MD_SPECIAL = set("\\`*_{}[]()<>#+-.!|~$:")


def md_escape(value: str) -> str:
    """Text from data files made inert for ``st.markdown`` (no links, images, emphasis or HTML from a trial label)."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(value))


def lower_first(label: str) -> str:
    """A label inside a sentence: "Hope" -> "hope", "AHRQ quality" and "BASIS-24 score" stay as they are."""
    if not label:
        return label
    if len(label) > 1 and label[1].isupper():
        return label
    return label[0].lower() + label[1:]


def magnitude(smd) -> str:
    """Cohen's size words for |smd|: very small (< 0.2), small (< 0.5), medium (< 0.8), large."""
    a = abs(float(smd))
    if a < 0.2:
        return "very small"
    if a < 0.5:
        return "small"
    if a < 0.8:
        return "medium"
    return "large"


def direction(smd, beneficial: int, scale: Scale = SMD_SCALE) -> str:
    """"favours peer support" / "favours control" / "shows no difference" from the sign of beneficial * smd (the
    scale's arm names)."""
    v = float(smd) * (1 if beneficial >= 0 else -1)
    if v > 0:
        return f"favours {scale.intervention}"
    if v < 0:
        return f"favours {scale.control}"
    return "shows no difference"


def heterogeneity_words(i2, q_pval=float("nan")) -> str:
    """Heterogeneity in words, e.g. "moderate heterogeneity (I² = 47%, Q-test p = 0.020)"."""
    if not _finite(i2):
        return "heterogeneity cannot be assessed with one trial"
    if i2 < 25:
        word = "low"
    elif i2 < 50:
        word = "moderate"
    elif i2 < 75:
        word = "substantial"
    else:
        word = "considerable"
    detail = f"I² = {fmt_pct(i2)}"
    if _finite(q_pval):
        detail += f", Q-test {p_phrase(q_pval)}"
    return f"{word} heterogeneity ({detail})"


def count(n: int, unit: str) -> str:
    """"1 trial", "6 trials": a count with its noun in the right number."""
    return f"{n} {unit}{'' if n == 1 else 's'}"


def provenance_mix(counts: dict, unit: str = "trial") -> str:
    """"10 trials: 3 reported (2 of them doubtful), 1 derived, 6 reconstructed" (zeros left out; "0 trials" when
    empty).

    Doubtful rows (rows with a ``doubt``) are counted under their own provenance when ``counts["doubtful_by"]``
    (``{provenance: n}``, :func:`doubtful_by`) is given; with only the total ``counts["doubtful"]`` the sentence says
    "; 2 doubtful" after the mix (never "(2 of them doubtful)" after the last kind, which reads as belonging to it).
    """
    order = ("reported", "derived", "reconstructed")
    total = sum(int(counts.get(p, 0)) for p in order)
    head = count(total, unit)
    by = counts.get("doubtful_by") or {}
    parts = []
    for p in order:
        n = int(counts.get(p, 0))
        if n:
            d = int(by.get(p, 0))
            parts.append(f"{n} {p}" + (f" ({d} of them doubtful)" if d else ""))
    doubtful = int(counts.get("doubtful", 0))
    tail = f"; {doubtful} doubtful" if doubtful and not by else ""
    return f"{head}: {', '.join(parts)}{tail}" if parts else head


def doubtful_by(effects) -> dict:
    """``{provenance: number of rows with a doubt}`` of an effects frame (rows with a non-empty ``doubt``)."""
    if effects is None or "doubt" not in effects or "provenance" not in effects:
        return {}
    doubt = effects["doubt"].fillna("").astype(str).str.strip().ne("")
    return {str(p): int(n) for p, n in effects.loc[doubt, "provenance"].astype(str).value_counts().items()}


def fmt_participants(n_values) -> str:
    """Participants of a set of rows whose ``n`` may be unknown (nan): "4,104"; "unknown" when no row's ``n`` is
    known; "at least 1,234" when some are unknown (the sum over the known ones). Unknown is not zero."""
    import numpy as np

    n = np.asarray(list(n_values), dtype=float)
    known = n[np.isfinite(n)]
    if n.size == 0:
        return "0"
    if known.size == 0:
        return "unknown"
    total = fmt_int(known.sum())
    return total if known.size == n.size else f"at least {total}"


def participants_note(n_values) -> str:
    """Why :func:`fmt_participants` says "unknown"/"at least": "" when every row's ``n`` is known."""
    import numpy as np

    n = np.asarray(list(n_values), dtype=float)
    missing = int((~np.isfinite(n)).sum())
    if not missing:
        return ""
    return (f"The number of participants is unknown for {missing} of {count(n.size, 'row')} (no arm sizes or "
            "randomised N in the data).")


def imputation_phrase(rng) -> str:
    """How much the pooled estimate depends on which trial got which imputed value
    (:class:`peerstats.imputation.ImputationRange`): "imputed rows: the estimate ranges 0.18 to 0.31 over how they
    are assigned (all 42 assignments)". "" when there is no range (no reconstructed row in the view) or nothing to
    re-assign (one value per cell, or equal values)."""
    if rng is None or not getattr(rng, "varies", False) or not _finite(rng.estimate_low):
        return ""
    how = (f"all {rng.n_assignments:,} assignments" if rng.exhaustive else
           f"{rng.n_assignments:,} random assignments, fixed seed")
    return (f"imputed rows: the estimate ranges {fmt(rng.estimate_low)} to {fmt(rng.estimate_high)} over how they "
            f"are assigned ({how})")


def cell_words(cell: str) -> str:
    """A paper cell ``"<category>:<outcome>"`` in words: "the paper's cell 'Peers added to hospital services'"
    ("all trials" for ``all``)."""
    from peerstats.vocabulary import CATEGORIES

    category = cell.split(":", 1)[0]
    return f"the paper's cell '{'all trials' if category == 'all' else CATEGORIES.get(category, category)}'"


def estimate_with_imputation(result, rng) -> str:
    """"0.21 (0.08 to 0.34); imputed rows: the estimate ranges 0.18 to 0.31 over how they are assigned (...)"; just
    the estimate and CI when :func:`imputation_phrase` has nothing to say; "" without a result."""
    if result is None or not _finite(getattr(result, "estimate", None)):
        return ""
    head = f"{fmt(result.estimate)} ({fmt_ci(result.ci_low, result.ci_high)})"
    phrase = imputation_phrase(rng)
    return f"{head}; {phrase}" if phrase else head


def imputation_detail(rng) -> str:
    """The longer account of an :class:`~peerstats.imputation.ImputationRange` for the Sensitivity page and the
    report: how many values per cell, how many of their trials are in view, and the ranges of the CI bounds."""
    if rng is None:
        return "No reconstructed row is pooled in this view, so nothing depends on how imputed values are assigned."
    cells = "; ".join(f"{cell_words(cell)}: {j} of its {m} reconstructed trials in view"
                      if not cell.startswith("row:") else f"{cell[4:]}: its own value only"
                      for cell, j, m in rng.cells)
    if not rng.varies:
        return (f"{count(rng.n_reconstructed, 'reconstructed row')} in view ({cells}); re-assigning the imputed "
                "values cannot change this view (one value per cell, or equal values).")
    how = (f"every one of the {rng.n_assignments:,} ways" if rng.exhaustive else
           f"{rng.n_assignments:,} random ways (fixed seed, the same on every machine)")
    level = int(round(100 * rng.level))
    failed = f" {count(rng.n_failed, 'assignment')} did not converge and are left out." if rng.n_failed else ""
    return (f"{count(rng.n_reconstructed, 'reconstructed row')} in view ({cells}). Dealing each cell's imputed values "
            f"to its reconstructed trials in {how} (each value taking the receiving trial's variance) moves the "
            f"pooled SMD from {fmt(rng.estimate_low)} to {fmt(rng.estimate_high)} (this assignment: "
            f"{fmt(rng.estimate)}); the {level}% CI's lower bound ranges {fmt_ci(rng.ci_low_low, rng.ci_low_high)} "
            f"and its upper bound {fmt_ci(rng.ci_high_low, rng.ci_high_high)}.{failed}")


def estimate_words(result, scale: Scale = SMD_SCALE, digits: int = 2) -> str:
    """"RR 0.80, 95% CI 0.65 to 0.98": a pooled result on its measure's natural scale."""
    level = int(round(100 * getattr(result, "level", 0.95)))
    est, lo, hi = scale.natural(result.estimate, result.ci_low, result.ci_high)
    return f"{scale.short} {fmt(est, digits)}, {level}% CI {fmt_ci(lo, hi, digits)}"


def headline_sentence(result, outcome_label: str, beneficial: int, provenance_counts: dict, *,
                      certainty: int | None = None, certainty_label: str = "", hedge: str = "",
                      scale: Scale = SMD_SCALE) -> str:
    """The one sentence under the headline numbers.

    Parameters
    ----------
    result : peerstats.meta.PoolResult or None
        ``None`` when no trial is selected (k = 0).
    outcome_label : str
        The outcome in words, e.g. "personal recovery".
    beneficial : int
        +1 when more of the outcome is better, -1 when less is better.
    provenance_counts : dict
        ``Selection.provenance_counts`` (with ``doubtful_by``, see :func:`provenance_mix`).
    certainty, certainty_label : int or None, str
        The Summary page's GRADE certainty of this outcome (same filters, threshold and overrides) and its words.
        When a certainty exists, an effect claim carries its hedge, the Summary's words (:func:`peerstats.grade.hedge`:
        "probably" for moderate, "may" for low and very low), and the sentence ends with the certainty.
    hedge : str, optional
        A hedge word used when no ``certainty`` is given (:func:`claim_lead`); the one other place a hedge enters.
    scale : Scale, optional
        The outcome's measure and arm names (default: SMD, peer support vs control). Another measure is stated on its
        natural scale ("RR 0.80, 95% CI 0.65 to 0.98"); Cohen's size words only for an SMD; without a known
        beneficial direction the claim is "<outcome> was lower with the intervention than with control".

    Examples
    --------
    k = 10, SMD 0.20 (0.11 to 0.29), I² 47%:
    "10 trials: 3 reported, 1 derived, 6 reconstructed. Peer support had a small effect on personal recovery that
    favours peer support (SMD 0.20, 95% CI 0.11 to 0.29, p < 0.001), with moderate heterogeneity (I² = 47%, Q-test
    p = 0.020)."

    With a CI that includes 0 no effect is claimed: "The trials show no clear difference in hope between peer support
    and control (SMD 0.14, 95% CI -0.04 to 0.32, p = 0.13; the 95% CI includes no effect), with ..."
    """
    what = lower_first(outcome_label) if outcome_label else "this outcome"
    if result is None or getattr(result, "k", 0) == 0:
        return (f"No trials match the current filters for {what}: there is nothing to pool. "
                "Widen the filters in the sidebar.")
    mix = provenance_mix(provenance_counts)
    level = int(round(100 * getattr(result, "level", 0.95)))
    est = result.estimate
    stats = f"{estimate_words(result, scale)}, {p_phrase(result.pval)}"
    if not _finite(est):
        return f"{mix}. The pooled effect on {what} could not be computed."
    significant = _finite(result.ci_low) and (result.ci_low > 0 or result.ci_high < 0)
    plain = scale.is_smd and scale.direction_known  # size and "favours" words (the bundled review's sentence)
    # Statement rule (issue 10): never claim an effect whose CI includes no effect. Then the sentence says "no clear
    # difference" and gives the interval; the size and direction words are kept for intervals that exclude 0.
    if significant and plain:
        effect = f"a {magnitude(est)} effect on {what} that {direction(est, beneficial, scale)}"
    elif significant:
        side = "lower" if est < 0 else "higher"
        arms = f"with {scale.intervention} than with {scale.control}"
        note = f", which {direction(est, beneficial, scale)}" if scale.direction_known else ""
        claim, effect = f"{side} {arms}{note}", f"{side} {what} {arms}{note}"
    else:
        effect = f"no clear difference in {what} between {scale.intervention} and {scale.control}"
        stats += f"; the {level}% CI includes no effect"
    if result.k == 1:
        return (f"{mix}. Only one trial, so nothing is pooled: it shows {effect} ({stats}). "
                "One trial cannot show heterogeneity."
                + (f" Certainty of the evidence (GRADE, Summary of findings): {certainty_label}."
                   if certainty_label else ""))
    word = grade_hedge(certainty) if certainty is not None else (hedge or "").strip()
    lead = claim_lead(significant, word, scale)
    if significant and not plain:  # "Mortality was probably lower with the intervention than with control"
        verb = {"": "was", "may": "may have been"}.get(word, f"was {word}")
        lead, effect = f"{what[:1].upper()}{what[1:]} {verb}", claim
    tail = f" Certainty of the evidence (GRADE, Summary of findings): {certainty_label}." if certainty_label else ""
    if certainty == 1:
        tail = " The evidence is very uncertain." + tail
    return (f"{mix}. {lead} {effect} ({stats}), with "
            f"{heterogeneity_words(result.i2, result.q_pval)}.{tail}")


def claim_lead(significant: bool, hedge: str = "", scale: Scale = SMD_SCALE) -> str:
    """The start of the headline's claim: "Peer support had" (CI excludes 0) or "The trials show" (no claim, so no
    hedge), with a certainty ``hedge`` before the verb: "Peer support probably had", "Peer support may have had"."""
    h = (hedge or "").strip()
    if not significant:
        return "The trials show"
    who = scale.intervention[:1].upper() + scale.intervention[1:]
    return f"{who} " + {"": "had", "may": "may have had"}.get(h, f"{h} had")


# --- chart text alternatives (issue 22): each chart's numbers in a sentence, shown as a caption under it -------------

def _span(values, scale: Scale | None = None, digits: int = 2) -> str:
    """"from −0.10 to 0.85" over the finite ``values`` (on ``scale``'s natural scale when given)."""
    xs = [float(v) for v in values if _finite(v)]
    if scale is not None:
        xs = list(scale.natural(*xs))
    if not xs:
        return "n/a"
    if fmt(min(xs), digits) == fmt(max(xs), digits):
        return fmt(min(xs), digits)
    return f"from {fmt(min(xs), digits)} to {fmt(max(xs), digits)}"


def forest_caption(estimates, pooled=None, scale: Scale = SMD_SCALE, *, unit: str = "trial",
                   of: int | None = None) -> str:
    """The forest plot in words: how many rows, their estimates' range and the pooled estimate with its CI.

    ``estimates`` on the analysis scale (log for a ratio), ``pooled`` a result with ``estimate``/``ci_low``/
    ``ci_high`` (or ``None`` when no diamond is drawn); ``of``: the analysis' rows when the plot shows only some
    ("3 of 18 trials")."""
    n = len(list(estimates))
    rows = f"{n} of {count(of, unit)}" if of is not None and of != n else count(n, unit)
    words = f"{rows}: {scale.short} {_span(estimates, scale)}"
    if pooled is not None:
        words += f"; {pooled_phrase(pooled, scale)}"
    return words + "."


def pooled_phrase(pooled, scale: Scale = SMD_SCALE) -> str:
    """"pooled SMD 0.32 (95% CI 0.11 to 0.53)" on the natural scale."""
    est, lo, hi = scale.natural(pooled.estimate, pooled.ci_low, pooled.ci_high)
    return f"pooled {scale.short} {fmt(est)} (95% CI {fmt_ci(lo, hi)})"


def subgroup_caption(groups, ks, estimates, ci_low, ci_high, scale: Scale = SMD_SCALE) -> str:
    """The subgroup forest in words: each subgroup's pooled estimate and CI (k trials)."""
    parts = []
    for g, k, e, lo, hi in zip(groups, ks, estimates, ci_low, ci_high):
        ne, nlo, nhi = scale.natural(e, lo, hi)
        parts.append(f"{g}: {fmt(ne)} ({fmt_ci(nlo, nhi)}; k = {int(k)})")
    return f"{scale.short} (95% CI) per subgroup: " + "; ".join(parts) + "."


def leave_one_out_caption(estimates, overall, scale: Scale = SMD_SCALE) -> str:
    """The leave-one-out plot in words: the range of the pooled estimate with each trial left out in turn."""
    n = len([v for v in estimates if _finite(v)])
    words = f"Leaving out each of {count(n, 'trial')} in turn, the pooled {scale.short} goes {_span(estimates, scale)}"
    if _finite(overall):
        words += f" (all trials: {fmt(scale.natural(overall)[0])})"
    return words + "."


def cumulative_caption(years, estimates, scale: Scale = SMD_SCALE) -> str:
    """The cumulative plot in words: the pooled estimate after the first trial and after all, and its range."""
    est = [float(v) for v in estimates]
    if not est:
        return "No trials."
    yrs = [int(y) for y in years if _finite(y)]
    span = f" ({min(yrs)} to {max(yrs)})" if yrs else ""
    first, last = scale.natural(est[0], est[-1])
    fin = [v for v in est if _finite(v)] or [math.nan]
    low, high = scale.natural(min(fin), max(fin))
    return (f"Adding {count(len(est), 'trial')} by year{span}, the pooled {scale.short} goes from {fmt(first)} "
            f"(first trial) to {fmt(last)} (all trials), within the range {fmt_ci(low, high)}.")


def baujat_caption(labels, x, y) -> str:
    """The Baujat plot in words: the ranges of both axes and the trial furthest along each."""
    pts = [(str(lab), float(a), float(b)) for lab, a, b in zip(labels, x, y) if _finite(a) and _finite(b)]
    if not pts:
        return "No trial could be drawn."
    right = max(pts, key=lambda p: p[1])
    up = max(pts, key=lambda p: p[2])
    return (f"{count(len(pts), 'trial')}: contribution to heterogeneity {_span([p[1] for p in pts])} (largest: "
            f"{right[0]}), influence on the pooled result {_span([p[2] for p in pts])} (largest: {up[0]}).")


def rob_summary_caption(judgements: dict) -> str:
    """The risk-of-bias summary in words: per domain, how many trials at low, unclear and high risk, and not reported.

    ``judgements``: domain name -> the trials' judgements ("low", "unclear", "high"; anything else, missing
    included, is "not reported": unknown is not low)."""
    parts = []
    for domain, levels in judgements.items():
        norm = [str(v).strip().lower() if isinstance(v, str) else "" for v in levels]
        n = {lv: sum(1 for v in norm if v == lv) for lv in ("low", "unclear", "high")}
        missing = len(norm) - sum(n.values())
        part = f"{domain}: {n['low']} low, {n['unclear']} unclear, {n['high']} high"
        parts.append(part + (f", {missing} not reported" if missing else ""))
    return "Trials per judgement. " + "; ".join(parts) + "."


def bubble_caption(x, yi, x_title: str, scale: Scale = SMD_SCALE) -> str:
    """The meta-regression bubble plot in words: how many trials and the ranges of both axes."""
    unit = f"log {scale.short}" if scale.ratio else scale.short
    return (f"{count(len(list(x)), 'trial')}: {lower_first(x_title)} {_span(x, digits=0)} (across), {unit} "
            f"{_span(yi)} (up); bubble area is the trial's weight; the line is the fitted regression.")


def power_caption(n_per_arm, power) -> str:
    """The power curve in words: power at the smallest and largest trial size, and where it first reaches 80%."""
    pts = sorted((float(n), float(p)) for n, p in zip(n_per_arm, power) if _finite(n) and _finite(p))
    if not pts:
        return "No power could be computed."
    words = (f"Power {fmt(pts[0][1])} with {fmt_int(pts[0][0])} participants per arm, {fmt(pts[-1][1])} with "
             f"{fmt_int(pts[-1][0])}")
    reach = next((n for n, p in pts if p >= 0.8), None)
    words += (f"; 0.80 first reached at {fmt_int(reach)} per arm" if reach is not None
              else "; 0.80 not reached on this range")
    return words + f" ({count(len(pts), 'trial size')} computed)."
