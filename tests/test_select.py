"""peerstats.select: which trials and rows the current view keeps, checked by hand on a synthetic evidence base."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from peerstats.select import Filters, crosstab, exclude_poor, filter_trials, outcome_table, select
from synthetic_evidence import evidence

OUTCOMES = {
    "personal_recovery": ("personal", "Personal recovery", 1),
    "hope": ("personal", "Hope", 1),
    "anxiety": ("clinical", "Anxiety", -1),
    "depression": ("clinical", "Depression", -1),
}


def test_no_filter_keeps_primary_rows_of_the_outcome_sorted_by_label():
    sel = select(evidence(), Filters(), "personal_recovery")
    # e6 is t1's secondary row: not pooled. Labels sort Alpha, Beta, Delta, Epsilon, Gamma.
    assert list(sel.effects["effect_id"]) == ["e1", "e2", "e4", "e5", "e3"]
    assert sel.k == 5
    np.testing.assert_array_equal(sel.yi, [0.30, 0.10, 0.20, -0.10, 0.50])
    np.testing.assert_array_equal(sel.vi, [0.04, 0.05, 0.02, 0.07, 0.08])
    # n: 100 + 80 + 200 + 59 (arms), t3 has no arm ns -> n_randomized 60: total 499.
    assert list(sel.effects["n"]) == [100, 80, 200, 59, 60]
    assert sel.n_participants == 499
    assert sel.provenance_counts == {"reported": 2, "derived": 1, "reconstructed": 2, "doubtful": 0}
    assert len(sel.trials) == 6
    # trial columns are merged onto the rows for tooltips and subgroups
    assert list(sel.effects["quality"]) == ["poor", "fair", "poor", "good", "fair"]


def test_trial_level_filters_combine_with_and():
    ev = evidence()
    assert list(filter_trials(ev.trials, Filters(categories=("online",)))["trial_id"]) == ["t4", "t5"]
    assert list(filter_trials(ev.trials, Filters(quality=("fair", "good")))["trial_id"]) == ["t2", "t3", "t5"]
    both = Filters(categories=("hospital_added",), leadership=("peer_led",))
    assert list(filter_trials(ev.trials, both)["trial_id"]) == ["t1", "t6"]
    assert list(filter_trials(ev.trials, Filters(formats=("group",), control=("active",)))["trial_id"]) == ["t3"]
    rob = Filters(rob=(("rob_blinding_assessors", ("low",)),))
    assert list(filter_trials(ev.trials, rob)["trial_id"]) == ["t2", "t4", "t5"]
    # a domain listed with no levels does not restrict
    assert len(filter_trials(ev.trials, Filters(rob=(("rob_blinding_assessors", ()),)))) == 6


def test_excluded_trials_and_provenance_filter():
    ev = evidence()
    sel = select(ev, Filters(excluded_trials=("t4", "t1")), "personal_recovery")
    assert list(sel.effects["trial_id"]) == ["t2", "t5", "t3"]
    real = select(ev, Filters(provenance=("reported", "derived")), "personal_recovery")
    assert list(real.effects["effect_id"]) == ["e1", "e2", "e4"]
    assert real.provenance_counts == {"reported": 2, "derived": 1, "reconstructed": 0, "doubtful": 0}
    # the provenance filter acts on rows, not on trials
    assert len(real.trials) == 6


def test_empty_selection_is_k0_not_an_error():
    sel = select(evidence(), Filters(categories=("established_roles",)), "personal_recovery")
    assert sel.k == 0 and sel.n_participants == 0 and len(sel.yi) == 0
    assert sel.provenance_counts == {"reported": 0, "derived": 0, "reconstructed": 0, "doubtful": 0}


def test_primary_given_as_text_is_understood():
    ev = evidence()
    ev.effects["primary"] = ev.effects["primary"].map({True: "true", False: "false"})
    assert select(ev, Filters(), "personal_recovery").k == 5


def test_exclude_poor():
    assert exclude_poor(Filters()).quality == ("good", "fair")
    assert exclude_poor(Filters(quality=("fair", "poor"))).quality == ("fair",)
    only_poor = exclude_poor(Filters(quality=("poor",)))
    assert select(evidence(), only_poor, "personal_recovery").k == 0
    kept = select(evidence(), exclude_poor(Filters()), "personal_recovery")
    assert list(kept.effects["trial_id"]) == ["t2", "t5", "t3"]


def test_outcome_table_pools_each_outcome_under_the_filters():
    ev = evidence()
    tab = outcome_table(ev, Filters(), method="FE", outcomes=OUTCOMES)
    assert list(tab["outcome"]) == ["personal_recovery", "hope", "anxiety", "depression"]
    hope = tab.set_index("outcome").loc["hope"]
    # FE by hand: w = 1/0.05 = 20 and 1/0.08 = 12.5; (20*0.25 + 12.5*0.05) / 32.5 = 5.625 / 32.5 = 0.173077
    assert hope["k"] == 2
    assert hope["estimate"] == pytest.approx(5.625 / 32.5, abs=1e-12)
    se = math.sqrt(1 / 32.5)
    assert hope["ci_low"] == pytest.approx(5.625 / 32.5 - 1.959963984540054 * se, abs=1e-9)
    assert hope["n"] == 130
    # one trial: its own estimate
    anx = tab.set_index("outcome").loc["anxiety"]
    assert anx["k"] == 1 and anx["estimate"] == pytest.approx(-0.30) and anx["derived"] == 1
    dep = tab.set_index("outcome").loc["depression"]
    assert dep["k"] == 0 and math.isnan(dep["estimate"]) and dep["note"] == "no trials"


def test_outcome_table_adds_outcomes_only_found_in_uploads():
    ev = evidence()
    extra = pd.DataFrame([{"effect_id": "x1", "trial_id": "t1", "outcome": "wellbeing", "domain": "personal",
                           "yi": 0.1, "vi": 0.05, "provenance": "reported", "primary": True}])
    ev.effects = pd.concat([ev.effects, extra], ignore_index=True)
    tab = outcome_table(ev, Filters(), outcomes=OUTCOMES)
    # personal outcomes first, then clinical
    assert list(tab["outcome"]) == ["personal_recovery", "hope", "wellbeing", "anxiety", "depression"]
    assert tab.set_index("outcome").loc["wellbeing", "label"] == "Wellbeing"


def test_crosstab_counts_trials_per_combination():
    tab = crosstab(evidence().trials, "category", "quality")
    assert tab.loc["Peers added to hospital services", "Poor"] == 2
    assert tab.loc["Peers online", "Good"] == 1
    assert tab.loc["Total", "Total"] == 6


def test_subgroup_inputs_order_and_provenance_by_group():
    from peerstats.select import provenance_by, subgroup_inputs

    sel = select(evidence(), Filters(), "personal_recovery")
    yi, vi, groups = subgroup_inputs(sel, "quality")
    # rows by label: t1 poor, t2 fair, t4 poor, t5 good, t3 fair -> vocabulary order good, fair, fair, poor, poor
    assert list(groups) == ["good", "fair", "fair", "poor", "poor"]
    assert list(yi) == [-0.10, 0.10, 0.50, 0.30, 0.20]
    assert list(vi) == [0.07, 0.05, 0.08, 0.04, 0.02]
    assert provenance_by(sel, "quality") == {
        "poor": {"reported": 2, "derived": 0, "reconstructed": 0},
        "fair": {"reported": 0, "derived": 1, "reconstructed": 1},
        "good": {"reported": 0, "derived": 0, "reconstructed": 1},
    }
    with pytest.raises(ValueError):
        subgroup_inputs(sel, "colour")


def test_crosstab_agrees_with_pandas_crosstab_on_every_pair_of_moderators():
    """The plain-Python count against pandas' own crosstab with margins, on the bundled trials (labels, order, totals)."""
    import itertools

    from peerstats.data import load_evidence
    from peerstats.select import MODERATORS, VOCABULARY

    trials = load_evidence().trials
    present = [m for m in MODERATORS if m in trials]
    assert len(present) >= 4
    for a, b in itertools.permutations(present, 2):
        r = trials[a].astype(str).map(lambda v: VOCABULARY.get(a, {}).get(v, v)).rename(MODERATORS[a])
        c = trials[b].astype(str).map(lambda v: VOCABULARY.get(b, {}).get(v, v)).rename(MODERATORS[b])
        pd.testing.assert_frame_equal(crosstab(trials, a, b), pd.crosstab(r, c, margins=True, margins_name="Total"))


def test_moderator_levels_counts_recorded_values_only():
    from peerstats.select import moderator_levels

    assert moderator_levels(pd.Series([None, float("nan"), pd.NA, " a", "a", "", "nan", "None", "b"])) == 2
    assert moderator_levels(pd.Series([1, 1.0, 2], dtype=object)) == 3  # as text: "1", "1.0", "2"
    assert moderator_levels(pd.Series([], dtype=object)) == 0
