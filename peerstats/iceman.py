"""Credibility of a subgroup effect: the ICEMAN items for meta-analyses, answered from the data where the data can.

ICEMAN (Instrument to assess the Credibility of Effect Modification ANalyses; Schandelmaier et al. 2020 [1]_) asks,
for one outcome and one potential effect modifier, 8 core questions for meta-analyses (5 for RCTs) with 4 response
options, 1 optional item for additional considerations, and an overall credibility the assessor marks on a scale
from *very low* to *high* [1]_ [3]_. The response options are *definitely yes*, *probably yes*, *probably no or
unclear* and *definitely no* (the manual's words [2]_). Core GRADE 3 [4]_ names the critical criteria (within- vs
between-trial comparison, the interaction test's p, a small number of a priori hypotheses with a stated direction)
and what follows: only a credible subgroup effect splits the Summary of findings into one row per subgroup;
otherwise one row, with inconsistency judged.

Items (:data:`ITEMS`, in the form's order as far as it could be checked; ``docs/iceman.md`` gives each item's
source, what could and could not be re-read, and the rule below)
------------------------------------------------------------------------------------------------------------------
=== ========== ===================================================================== ======== ====================
#   key        question (only item 1 re-read verbatim, see :data:`ITEM_SOURCES`)    critical answered by
=== ========== ===================================================================== ======== ====================
1   comparison Is the analysis of effect modification based on comparison within    yes      data: who is where
               rather than between trials?
2   similar    For within-trial comparisons, is the effect modification similar      no       data (n/a between)
               from trial to trial?
3   trials     For between-trial comparisons, is the number of trials large?         no       data: k per subgroup
4   direction  Was the direction of effect modification correctly hypothesized a      yes      the user
               priori?
5   chance     Does a test for interaction suggest that chance is an unlikely        yes      data: p in bands
               explanation of the apparent effect modification?
6-7 prior      Is the effect modification supported by prior evidence?               no       the user
6-7 modifiers  Did the analysis test only a small number of effect modifiers, or     yes      data: moderators
               consider the number in its statistical analysis?                               examined this session
8   cut_points If the effect modifier is a continuous variable, were arbitrary cut    no       data: the levels
               points avoided?
opt outcomes   (optional item, additional considerations) Is the effect modification no       data: same moderator,
               consistent across related outcomes?                                            same domain
=== ========== ===================================================================== ======== ====================

Overall rating: this tool's rule, not ICEMAN's
----------------------------------------------
ICEMAN does not compute an overall rating: the assessor rates it ("Click scale to rate manually", very low to high
[3]_) and justifies a moderate or high rating with the items [5]_. So that the app can show and test one, this
package applies its own written rule (:func:`rate`): start at *high* and go down one level for each of: a
between-trial (or mixed) comparison; an interaction p of 0.01 or more (two levels at 0.05 or more); a direction
not hypothesized a priori, *or not answered* (unknown is not yes; the manual's option is "probably no or unclear");
more effect modifiers examined than :data:`FEW_MODIFIERS` without a Bonferroni-surviving p; a very small number of
trials; and each other item answered *definitely no*. Floor *very low*. ``credible`` is a rating of *moderate* or
*high* when ICEMAN applies: at least two subgroups and an interaction p below :data:`APPLIES_BELOW` (0.1; the
instrument's scope [3]_).

References
----------
.. [1] Schandelmaier S, Briel M, Varadhan R, et al. Development of the Instrument to assess the Credibility of Effect
   Modification Analyses (ICEMAN) in randomized controlled trials and meta-analyses. CMAJ 2020;192(32):E901-E906.
   doi:10.1503/cmaj.200077 (abstract: "core questions (5 for RCTs, 8 for meta-analyses) with 4 response options,
   1 optional item for additional considerations and a rating of credibility on a visual analogue scale ranging
   from very low to high").
.. [2] ICEMAN manual: for meta-analyses https://iceman.help/manual/meta.html (item 1); for RCTs
   https://iceman.help/manual/rct.html (response options of the a priori direction item); reporting legend
   https://iceman.help/manual/index.html ("(-) probably reduces credibility or uncl[ear]").
.. [3] ICEMAN assessment tool v1.1, https://www.iceman.help/tool.html ("developed to assess the credibility of a
   suggested effect modification (interaction or meta-regression p < 0.1)"; overall rating "Click scale to rate
   manually").
.. [4] Guyatt G, Eachempati P. Core GRADE 3: rating certainty of evidence - assessing inconsistency.
   BMJ 2025;389:e081905.
.. [5] ICEMAN FAQ, https://www.iceman.help/manual/faq.html ("Justify ratings of moderate-to-high credibility with
   reference to the individual items").
.. [6] Higgins JPT, Thomas J, et al. (eds). Cochrane Handbook for Systematic Reviews of Interventions v6.4,
   section 10.11.5.1 (subgroup analyses and meta-regression: generally not with fewer than ten studies).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np

__all__ = ["ANSWERS", "ITEMS", "ITEM_SOURCES", "FORM_WORDS", "SHORT", "USER_ITEMS", "CHANCE_BANDS", "APPLIES_BELOW",
           "FEW_MODIFIERS", "MANY_TRIALS", "RATINGS", "IcemanItem", "Iceman", "comparison_item", "similar_item",
           "trials_item", "chance_item", "modifiers_item", "cut_points_item", "outcomes_item", "user_item", "rate",
           "assess", "assess_view", "subgroup_trials", "related_estimates", "encode_answers", "decode_answers"]

#: Answer code -> the instrument's words. The third option is "probably no or unclear" in the manual (its response
#: options table, https://iceman.help/manual/rct.html, and the reporting legend "(-) probably reduces credibility or
#: uncl[ear]", https://iceman.help/manual/index.html): an unclear answer counts as a probable no.
ANSWERS: dict[str, str] = {"dy": "definitely yes", "py": "probably yes", "pn": "probably no or unclear",
                           "dn": "definitely no"}
NOT_APPLICABLE = "not applicable"
NOT_ANSWERED = "not answered"

#: item key -> (question, critical for Core GRADE 3, answered by "data" or "user"), in the order of the ICEMAN form
#: for meta-analyses as far as it could be checked (:data:`ITEM_SOURCES`): items 1-5 and 8 placed as a published
#: application of the form numbers them; the order of ``prior`` and ``modifiers`` (6 and 7) is not confirmed.
ITEMS: dict[str, tuple[str, bool, str]] = {
    "comparison": ("Is the analysis of effect modification based on comparison within rather than between trials?",
                   True, "data"),
    "similar": ("For within-trial comparisons, is the effect modification similar from trial to trial?", False,
                "data"),
    "trials": ("For between-trial comparisons, is the number of trials large?", False, "data"),
    "direction": ("Was the direction of effect modification correctly hypothesized a priori?", True, "user"),
    "chance": ("Does a test for interaction suggest that chance is an unlikely explanation of the apparent effect "
               "modification?", True, "data"),
    "prior": ("Is the effect modification supported by prior evidence?", False, "user"),
    "modifiers": ("Did the analysis test only a small number of effect modifiers, or consider the number in its "
                  "statistical analysis?", True, "data"),
    "cut_points": ("If the effect modifier is a continuous variable, were arbitrary cut points avoided?", False,
                   "data"),
    "outcomes": ("(Optional item, additional considerations) Is the effect modification consistent across related "
                 "outcomes?", False, "data"),
}
#: item key -> (what of it was checked against a source, where). "verbatim": the wording was read in the manual;
#: "title": the manual's short title was read (wording of the full question not); "position": only the item's
#: place in the form (a published application numbering the form's items and giving its answers); "not re-read":
#: this package's wording, from the CMAJ paper as remembered, not checked. docs/iceman.md quotes each source.
_APPLIED = "Stem Cell Res Ther 2022 (doi:10.1186/s13287-022-02883-3), Table 2"
ITEM_SOURCES: dict[str, tuple[str, str]] = {
    "comparison": ("verbatim", "https://iceman.help/manual/meta.html, item 1"),
    "similar": ("position", f"{_APPLIED}, Q2 (not applicable when completely between)"),
    "trials": ("position", f"{_APPLIED}, Q3 (its four answers)"),
    "direction": ("title", "https://iceman.help/manual/rct.html, item 1 'Direction of effect modification "
                           f"hypothesized a priori?'; {_APPLIED}, Q4"),
    "chance": ("position", f"{_APPLIED}, Q5 (answers given with the interaction p)"),
    "prior": ("not re-read", "https://iceman.help/manual/index.html names 'lack of prior evidence' as a source of "
                             "uncertainty; its place in the meta-analysis form was not found"),
    "modifiers": ("not re-read", "place in the form (6 or 7) not confirmed"),
    "cut_points": ("position", f"{_APPLIED}, Q8 (not applicable to a categorical modifier)"),
    "outcomes": ("not re-read", "CMAJ 2020 abstract: '1 optional item for additional considerations'; the "
                                "related-outcomes question under it is this package's choice"),
}
#: Item -> answer code -> the form's own words for that answer where they were seen (the published application of
#: the form, :data:`ITEM_SOURCES`): put before the reason of a data item.
FORM_WORDS: dict[str, dict[str, str]] = {
    "comparison": {"dn": "completely between"},
    "trials": {"dy": "large", "py": "rather large", "pn": "rather small or unclear", "dn": "very small"},
    "chance": {"dn": "chance a very likely explanation", "py": "chance may not explain"},
}
#: item key -> the few words the overall reason uses for it.
SHORT: dict[str, str] = {"comparison": "within vs between trials", "similar": "similar across trials",
                         "trials": "number of trials", "direction": "direction hypothesized a priori",
                         "chance": "chance", "prior": "prior evidence", "modifiers": "number of modifiers examined",
                         "cut_points": "cut points", "outcomes": "related outcomes"}
#: Items only the user can answer (kept in the URL by the app).
USER_ITEMS: tuple[str, ...] = tuple(k for k, (_, _, by) in ITEMS.items() if by == "user")

#: Interaction p bands: (upper bound, answer), first match wins; p at or above the last bound: definitely no.
#: Not re-read in the manual. Consistent with the published application of the form (p = 0.06, 0.1: "chance a very
#: likely explanation", i.e. definitely no; p = 0.007: "chance may not explain", i.e. probably yes); the 0.005 and
#: 0.01 bounds themselves are unconfirmed.
CHANCE_BANDS: tuple[tuple[float, str], ...] = ((0.005, "dy"), (0.01, "py"), (0.05, "pn"))
#: ICEMAN assesses a *suggested* effect modification: interaction p below this (the tool's note: "interaction or
#: meta-regression p < 0.1"; the FAQ says "p-value <= 0.1" and "skip ICEMAN when the interaction p-value exceeds
#: 0.1": the two differ only at p = 0.1 exactly, where this package follows the tool).
APPLIES_BELOW = 0.1
#: Up to this many effect modifiers examined counts as "a small number".
FEW_MODIFIERS = 2
#: Trials per subgroup from which a between-trial comparison has "many" trials (Cochrane Handbook 10.11.5.1).
MANY_TRIALS = 10
#: Overall ratings, best first (the instrument's words).
RATINGS: tuple[str, ...] = ("high", "moderate", "low", "very low")


@dataclass(frozen=True)
class IcemanItem:
    """One ICEMAN item as answered.

    Attributes
    ----------
    key : str
        :data:`ITEMS` key.
    question : str
    answer : str
        ``"definitely yes"`` .. ``"definitely no"``, ``"not applicable"`` or ``"not answered"``.
    by : str
        ``"data"`` (prefilled from the analysis) or ``"user"``.
    reason : str
        Why, in words (the numbers behind a data answer).
    levels_down : int
        What this answer costs the overall rating (:func:`rate`).
    """

    key: str
    question: str
    answer: str
    by: str
    reason: str
    levels_down: int = 0


@dataclass(frozen=True)
class Iceman:
    """The assessment of one subgroup comparison.

    Attributes
    ----------
    items : tuple of IcemanItem
        In :data:`ITEMS` order.
    rating : str
        Overall credibility by this package's rule (:func:`rate`; ICEMAN itself leaves it to judgement):
        ``"high"``, ``"moderate"``, ``"low"`` or ``"very low"``.
    credible : bool
        ``applicable`` and a rating of moderate or high: the Summary of findings may split by this moderator.
    applicable : bool
        At least two subgroups and an interaction p below :data:`APPLIES_BELOW`.
    levels_down : int
        Sum of the items' ``levels_down``.
    reason : str
        One sentence: the rating and what lowered it.
    """

    items: tuple
    rating: str
    credible: bool
    applicable: bool
    levels_down: int
    reason: str

    def item(self, key: str) -> IcemanItem:
        """The item with ``key``."""
        return next(i for i in self.items if i.key == key)


def _item(key: str, answer: str, reason: str, levels_down: int = 0) -> IcemanItem:
    question, _, by = ITEMS[key]
    words = FORM_WORDS.get(key, {}).get(answer)
    return IcemanItem(key, question, ANSWERS.get(answer, answer), by, f"{words}: {reason}" if words else reason,
                      levels_down)


def _other_cost(answer: str) -> int:
    """Non-critical items cost a level only when answered "definitely no"."""
    return 1 if answer == "dn" else 0


def comparison_item(trial_ids, groups) -> IcemanItem:
    """Item 1: within- or between-trial comparison, from which subgroups each trial's rows sit in.

    Aggregate data pooled per subgroup compare trials with other trials (between) unless a trial contributes rows
    to more than one subgroup. Every trial in one subgroup: *definitely no* ("completely between"). Some trials in
    several: *probably no or unclear* (within- and between-trial information combined by comparing pooled subgroup
    estimates: the manual's approach (3), still open to study-level confounding). Costs one level either way.
    """
    ids = np.asarray(list(trial_ids), dtype=object)
    g = np.asarray(list(groups), dtype=object)
    if ids.shape != g.shape:
        raise ValueError(f"trial_ids and groups differ in length ({ids.size} and {g.size})")
    levels: dict = {}
    for t, v in zip(ids, g):
        levels.setdefault(t, set()).add(v)
    both = sum(1 for s in levels.values() if len(s) > 1)
    if both == 0:
        return _item("comparison", "dn", f"each of the {len(levels)} trials sits in one "
                                         "subgroup, so a difference may come from anything else that differs "
                                         "between the trials (study-level confounding)", 1)
    return _item("comparison", "pn", f"{both} of {len(levels)} trials contribute to more than one subgroup, but the "
                                     "comparison of pooled subgroup estimates mixes within- and between-trial "
                                     "information", 1)


def similar_item(within: bool) -> IcemanItem:
    """Item 2: similarity of within-trial modification. Not applicable to a between-trial comparison; with
    within-trial information the app does not estimate each trial's own modification: not answered."""
    if not within:
        return _item("similar", NOT_APPLICABLE, "no within-trial comparison")
    return _item("similar", NOT_ANSWERED, "the app does not estimate each trial's own effect modification")


def trials_item(k_by_group: Mapping, labels: Mapping | None = None) -> IcemanItem:
    """Item 3: number of trials of a between-trial comparison.

    Every subgroup with at least :data:`MANY_TRIALS` trials: *probably yes* (never *definitely*: study-level
    confounding does not shrink with k); at least that many in all but not in every subgroup: *probably no or
    unclear*; fewer in all: *definitely no* (costs a level). The form's words for the four answers, as a published
    application of it gives them: large, rather large, rather small or unclear, very small (:data:`FORM_WORDS`).
    """
    k = {g: int(n) for g, n in k_by_group.items()}
    if len(k) < 2:
        return _item("trials", NOT_APPLICABLE, "fewer than two subgroups")
    total, smallest = sum(k.values()), min(k.values())
    words = ", ".join(f"{(labels or {}).get(g, g)}: {n}" for g, n in k.items())
    if smallest >= MANY_TRIALS:
        return _item("trials", "py", f"at least {MANY_TRIALS} trials in every subgroup ({words})")
    if total >= MANY_TRIALS:
        return _item("trials", "pn", f"{total} trials, but a subgroup has only {smallest} ({words})")
    return _item("trials", "dn", f"only {total} trials in all ({words}); fewer than {MANY_TRIALS} cannot support a "
                                 "between-trial comparison (Cochrane Handbook 10.11.5.1)", 1)


def chance_item(pval: float) -> IcemanItem:
    """Item 5: the interaction test's p in :data:`CHANCE_BANDS`.

    p < 0.005 *definitely yes*; 0.005 to < 0.01 *probably yes*; 0.01 to < 0.05 *probably no or unclear* (one
    level); 0.05 or more *definitely no* (two levels). Not a number: not answered (two levels: no test, no
    evidence). The bands are not re-read in the manual (see :data:`CHANCE_BANDS`); the levels are this package's
    rule.
    """
    if pval is None or not math.isfinite(float(pval)):
        return _item("chance", NOT_ANSWERED, "no test for subgroup differences (fewer than two subgroups)", 2)
    p = float(pval)
    for bound, answer in CHANCE_BANDS:
        if p < bound:
            return _item("chance", answer, f"p = {_p(p)} for the subgroup difference (below {bound:g})",
                         0 if answer in ("dy", "py") else 1)
    return _item("chance", "dn", f"p = {_p(p)} for the subgroup difference (0.05 or more)", 2)


def modifiers_item(n_examined: int, pval: float = math.nan, names: Iterable[str] = ()) -> IcemanItem:
    """Item 6 or 7: how many effect modifiers were examined (honest multiplicity: the moderators looked at).

    Up to :data:`FEW_MODIFIERS`: *probably yes* (what was examined elsewhere cannot be seen). More: *probably no or
    unclear* (up to 5) or *definitely no*, costing a level, unless the interaction p survives a Bonferroni
    correction for the number (``p * n < 0.05``): *probably yes*, "the number considered".
    """
    n = int(n_examined)
    listed = ", ".join(str(x) for x in names)
    seen = f"{n} effect modifier{'s' if n != 1 else ''} examined in this session" + (f" ({listed})" if listed else "")
    if n <= FEW_MODIFIERS:
        return _item("modifiers", "py", seen)
    p = float(pval) if pval is not None else math.nan
    if math.isfinite(p) and p * n < 0.05:
        return _item("modifiers", "py", f"{seen}; p x {n} = {_p(min(1.0, p * n))} stays below 0.05 (Bonferroni)")
    return _item("modifiers", "pn" if n <= 5 else "dn", f"{seen}: the more are tried, the likelier one differs by "
                                                        "chance", 1)


def cut_points_item(levels: Iterable) -> IcemanItem:
    """Item 8: arbitrary cut points. Categories (text levels): not applicable. Numeric levels, each value its own
    subgroup: *probably yes* (no cut point was chosen)."""
    labels = [str(v) for v in levels]
    numeric = bool(labels) and all(_is_number(v) for v in labels if v != "not recorded")
    if not numeric:
        return _item("cut_points", NOT_APPLICABLE, "the modifier is categorical")
    return _item("cut_points", "py", "a numeric modifier with each value its own subgroup: no cut point chosen")


def outcomes_item(focus: Mapping, related: Mapping, labels: Mapping | None = None) -> IcemanItem:
    """The optional item (additional considerations), as this package fills it: the same moderator across related
    outcomes.

    ``focus`` maps subgroup -> estimate for the outcome assessed; ``related`` maps another outcome -> (subgroup ->
    estimate). Estimates must be signed so that larger is better (multiply by the outcome's beneficial direction).
    The claimed contrast is the best vs the worst subgroup of ``focus``; a related outcome is consistent when it
    has both subgroups and orders them the same way. All consistent: *probably yes*; at least half: *probably no or
    unclear*;
    fewer: *definitely no* (a level); no related outcome with both: not answered.
    """
    est = {g: float(v) for g, v in focus.items() if v is not None and math.isfinite(float(v))}
    if len(est) < 2:
        return _item("outcomes", NOT_APPLICABLE, "fewer than two subgroups")
    best, worst = max(est, key=est.get), min(est, key=est.get)
    name = {g: (labels or {}).get(g, g) for g in (best, worst)}
    same, seen = [], []
    for outcome, by_group in related.items():
        a, b = by_group.get(best), by_group.get(worst)
        if a is None or b is None or not (math.isfinite(float(a)) and math.isfinite(float(b))):
            continue
        seen.append(str(outcome))
        if float(a) > float(b):
            same.append(str(outcome))
    n, c = len(seen), len(same)
    if n == 0:
        return _item("outcomes", NOT_ANSWERED, f"no related outcome has trials in both '{name[best]}' and "
                                               f"'{name[worst]}'")
    words = f"'{name[best]}' does better than '{name[worst]}' in {c} of {n} related outcome{'s' if n != 1 else ''}"
    if c == n:
        return _item("outcomes", "py", words + f" ({', '.join(same)})")
    if 2 * c >= n:
        return _item("outcomes", "pn", words)
    return _item("outcomes", "dn", words, 1)


def user_item(key: str, answer: str | None) -> IcemanItem:
    """An item only the user can answer (:data:`USER_ITEMS`). ``answer`` is an :data:`ANSWERS` code or ``None``.

    *direction* is critical: not answered costs a level like a *no* (unknown is not yes). *prior* costs a level
    only when *definitely no*.
    """
    if key not in USER_ITEMS:
        raise ValueError(f"'{key}' is not answered by the user (user items: {', '.join(USER_ITEMS)})")
    critical = ITEMS[key][1]
    if answer not in ANSWERS:
        return _item(key, NOT_ANSWERED, "only you can say (the data cannot)" + (
            "; unanswered counts as no" if critical else ""), 1 if critical else 0)
    cost = (1 if answer in ("pn", "dn") else 0) if critical else _other_cost(answer)
    return _item(key, answer, "your answer", cost)


def rate(items: Iterable[IcemanItem], applicable: bool = True) -> Iceman:
    """Combine answered items into an overall rating by this package's written rule, not ICEMAN's (ICEMAN leaves
    the overall rating to the assessor's judgement on a scale from very low to high, to be justified with the
    items): ``high`` lowered one level per ``levels_down``, floor ``very low``; credible when ``applicable`` and
    moderate or high."""
    items = tuple(items)
    for it in items:
        if it.key not in ITEMS or it.levels_down < 0:
            raise ValueError(f"not an ICEMAN item: {it!r}")
    down = sum(it.levels_down for it in items)
    rating = RATINGS[min(down, len(RATINGS) - 1)]
    credible = bool(applicable) and rating in RATINGS[:2]
    costs = [f"{SHORT[it.key]} ({it.answer})" for it in items if it.levels_down]
    reason = f"{rating} credibility" + (f": lowered by {', '.join(costs)}" if costs else "")
    if not applicable:
        reason += (f"; ICEMAN assesses a suggested effect modification (interaction p < {APPLIES_BELOW:g}), which "
                   "this is not: one row, with inconsistency judged")
    return Iceman(items, rating, credible, bool(applicable), down, reason)


def assess(trial_ids, groups, pval: float, n_examined: int, *, answers: Mapping | None = None,
           examined: Iterable[str] = (), focus: Mapping | None = None, related: Mapping | None = None,
           labels: Mapping | None = None) -> Iceman:
    """ICEMAN for one outcome and one moderator: every item, prefilled from the data where it can answer.

    Parameters
    ----------
    trial_ids, groups : array_like
        One entry per pooled row: its trial and its subgroup (as :func:`peerstats.select.subgroup_inputs` orders
        them).
    pval : float
        The test for subgroup differences (``SubgroupResult.pval``; ``nan`` with one subgroup).
    n_examined : int
        Effect modifiers examined so far (at least this one).
    answers : mapping, optional
        The user's :data:`USER_ITEMS` answers, item -> :data:`ANSWERS` code.
    examined : iterable of str
        Their names, for the reason.
    focus, related : mapping, optional
        For the related-outcomes consideration (:func:`outcomes_item`); left out: not answered.
    labels : mapping, optional
        Subgroup -> words, for the reasons.

    Returns
    -------
    Iceman
        ``.credible`` decides whether the Summary of findings may show one row per subgroup.
    """
    answers = dict(answers or {})
    groups = list(groups)
    ids = list(trial_ids)
    k_by_group: dict = {}
    for t, g in dict.fromkeys(zip(ids, groups)):
        k_by_group[g] = k_by_group.get(g, 0) + 1
    comparison = comparison_item(ids, groups)
    p = float(pval) if pval is not None else math.nan
    items = [
        comparison,
        similar_item(comparison.answer != ANSWERS["dn"]),
        trials_item(k_by_group, labels),
        user_item("direction", answers.get("direction")),
        chance_item(p),
        user_item("prior", answers.get("prior")),
        modifiers_item(max(1, int(n_examined)), p, examined),
        cut_points_item(k_by_group),
        outcomes_item(focus or {}, related or {}, labels) if focus is not None else
        _item("outcomes", NOT_ANSWERED, "related outcomes not examined"),
    ]
    applicable = len(k_by_group) >= 2 and math.isfinite(p) and p < APPLIES_BELOW
    return rate(items, applicable)


def subgroup_trials(selection, moderator: str) -> tuple[np.ndarray, np.ndarray]:
    """``(trial_ids, groups)`` of a selection's pooled rows, in :func:`peerstats.select.subgroup_inputs`' order and
    with its group labels (missing values ``"not recorded"``)."""
    from peerstats.select import subgroup_inputs

    positions = replace(selection, yi=np.arange(selection.k, dtype=float))
    order, _, groups = subgroup_inputs(positions, moderator)
    return selection.effects["trial_id"].to_numpy()[order.astype(int)], groups


def related_estimates(evidence, filters, outcome: str, moderator: str, outcomes: Mapping, method: str = "DL",
                      test: str = "z") -> tuple[dict, dict]:
    """Subgroup estimates of ``outcome`` and of the other outcomes of its domain, signed so that larger is better.

    Parameters
    ----------
    evidence, filters
        As for :func:`peerstats.select.select`.
    outcome, moderator : str
    outcomes : mapping
        outcome -> (domain, label, beneficial direction), e.g. :func:`peerstats.select.outcome_labels`.
    method, test : str
        As for :func:`peerstats.meta.subgroup_test`.

    Returns
    -------
    (focus, related)
        ``focus``: subgroup -> estimate x direction for ``outcome``; ``related``: other outcome of the same domain
        with at least two trials and the moderator -> the same. The input of :func:`outcomes_item`.
    """
    from peerstats.select import outcome_selection, subgroup_inputs, view_rows
    from peerstats.subgroups import subgroup_test

    trials, rows = view_rows(evidence, filters)  # once for every outcome (as outcome_table)

    def estimates(name: str) -> dict:
        sel = outcome_selection(trials, rows, name)
        if sel.k < 2 or moderator not in sel.effects:
            return {}
        yi, vi, groups = subgroup_inputs(sel, moderator)
        res = subgroup_test(yi, vi, groups, method=method, test=test)
        sign = outcomes[name][2] if name in outcomes else 1
        return {g: sign * r.estimate for g, r in res.subgroups.items()}

    domain = outcomes[outcome][0] if outcome in outcomes else None
    related = {}
    for name, spec in outcomes.items():
        if name != outcome and spec[0] == domain:
            est = estimates(name)
            if len(est) >= 2:
                related[name] = est
    return estimates(outcome), related


def assess_view(evidence, filters, outcome: str, moderator: str, outcomes: Mapping, *, method: str = "DL",
                test: str = "z", examined: Iterable[str] = (), answers: Mapping | None = None,
                labels: Mapping | None = None) -> Iceman:
    """ICEMAN for one outcome split by one moderator under the view's filters: the one call for a page or the
    Summary of findings (split the outcome's row by ``moderator`` only when ``.credible``).

    Parameters
    ----------
    evidence, filters, outcome, moderator, outcomes, method, test
        As for :func:`related_estimates`.
    examined : iterable of str
        The moderators examined in the session (``moderator`` is counted whether listed or not).
    answers : mapping, optional
        The user's answers for this outcome and moderator, item -> :data:`ANSWERS` code.
    labels : mapping, optional
        Subgroup -> words, for the reasons.

    Returns
    -------
    Iceman
    """
    from peerstats.select import select, subgroup_inputs
    from peerstats.subgroups import subgroup_test

    sel = select(evidence, filters, outcome)
    seen = list(dict.fromkeys([*examined, moderator]))
    if sel.k < 2 or moderator not in sel.effects:
        return assess([], [], math.nan, len(seen), answers=answers, examined=seen, labels=labels)
    yi, vi, groups = subgroup_inputs(sel, moderator)
    res = subgroup_test(yi, vi, groups, method=method, test=test)
    ids, groups = subgroup_trials(sel, moderator)
    focus, related = related_estimates(evidence, filters, outcome, moderator, outcomes, method, test)
    return assess(ids, groups, res.pval, len(seen), answers=answers, examined=seen, focus=focus, related=related,
                  labels=labels)


# ---------------------------------------------------------------------------------------------------------------
# The user's answers as URL text: "outcome.moderator.item.code~..."
# ---------------------------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]+$")


def encode_answers(answers: Mapping) -> str:
    """``{(outcome, moderator): {item: code}}`` as one URL-safe text (sorted, so equal answers give equal text).

    >>> encode_answers({("hope", "category"): {"direction": "py"}})
    'hope.category.direction.py'
    """
    parts = []
    for (outcome, moderator), items in sorted(answers.items()):
        if not (_TOKEN.match(str(outcome)) and _TOKEN.match(str(moderator))):
            continue
        for item, code in sorted(items.items()):
            if item in USER_ITEMS and code in ANSWERS:
                parts.append(f"{outcome}.{moderator}.{item}.{code}")
    return "~".join(parts)


def decode_answers(text: str | None) -> dict:
    """Inverse of :func:`encode_answers`; never raises, anything not understood is dropped."""
    answers: dict = {}
    for part in str(text or "").split("~"):
        bits = part.split(".")
        if len(bits) == 4 and all(_TOKEN.match(b) for b in bits[:2]) and bits[2] in USER_ITEMS \
                and bits[3] in ANSWERS:
            answers.setdefault((bits[0], bits[1]), {})[bits[2]] = bits[3]
    return answers


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False
