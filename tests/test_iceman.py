"""ICEMAN for meta-analyses (peerstats.iceman): each item's answer from hand-worked cases, the overall rating rule,
and the URL text of the user's answers. The expected answers are worked out by hand from the bands and counts in
docs/iceman.md (written here as literals, not taken from the module's constants)."""

from __future__ import annotations

import math

import pytest

from peerstats import iceman as ic


# --- item 1: within vs between --------------------------------------------------------------------------------------

def test_each_trial_in_one_subgroup_is_between_trials_only():
    it = ic.comparison_item(["a", "b", "c", "d"], ["online", "online", "hospital", "hospital"])
    assert it.answer == "definitely no" and it.levels_down == 1 and "4 trials" in it.reason
    assert it.reason.startswith("completely between: ")             # the form's words for this answer


def test_a_trial_in_two_subgroups_is_mixed():
    it = ic.comparison_item(["a", "a", "b", "c"], ["x", "y", "x", "y"])
    assert it.answer == "probably no or unclear" and it.levels_down == 1 and it.reason.startswith("1 of 3 trials")


def test_similarity_is_not_applicable_between_trials():
    assert ic.similar_item(False).answer == "not applicable"
    assert ic.similar_item(True).answer == "not answered"


# --- number of trials -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("k, answer, down", [
    ({"a": 10, "b": 12}, "probably yes", 0),      # every subgroup has ten or more
    ({"a": 9, "b": 12}, "probably no or unclear", 0),        # 21 in all, the smaller has 9
    ({"a": 3, "b": 4}, "definitely no", 1),       # 7 in all
    ({"a": 5, "b": 5}, "probably no or unclear", 0),         # exactly ten in all
    ({"a": 30}, "not applicable", 0),
])
def test_number_of_trials(k, answer, down):
    it = ic.trials_item(k)
    assert (it.answer, it.levels_down) == (answer, down)


# --- the instrument's words and order (docs/iceman.md, Sources) -----------------------------------------------------

def test_response_options_are_the_manuals():
    # https://iceman.help/manual/rct.html, response options: "Definitely no | Probably no or unclear | Probably yes |
    # Definitely yes"
    assert sorted(ic.ANSWERS.values()) == sorted(["definitely no", "probably no or unclear", "probably yes",
                                                  "definitely yes"])


def test_item_one_is_the_manuals_wording_and_the_order_follows_the_form():
    # https://iceman.help/manual/meta.html: "1 — Is the analysis of effect modification based on comparison within
    # rather than between trials?"
    keys = list(ic.ITEMS)
    assert ic.ITEMS["comparison"][0] == ("Is the analysis of effect modification based on comparison within rather "
                                         "than between trials?")
    # positions as the published application of the form numbers them (Stem Cell Res Ther 2022, Table 2: Q2 not
    # applicable when completely between, Q3 number of trials, Q5 the interaction p, Q8 not applicable to categories)
    assert keys[:5] == ["comparison", "similar", "trials", "direction", "chance"]
    assert keys[7] == "cut_points" and keys[8] == "outcomes" and set(keys[5:7]) == {"prior", "modifiers"}
    assert set(ic.ITEM_SOURCES) == set(ic.ITEMS)
    assert [k for k, (status, _) in ic.ITEM_SOURCES.items() if status == "verbatim"] == ["comparison"]


@pytest.mark.parametrize("k, words", [
    ({"a": 10, "b": 12}, "rather large"), ({"a": 9, "b": 12}, "rather small or unclear"),
    ({"a": 3, "b": 4}, "very small"),
])
def test_number_of_trials_in_the_forms_words(k, words):
    assert ic.trials_item(k).reason.startswith(words + ": ")


# --- chance: the interaction p in bands -----------------------------------------------------------------------------

@pytest.mark.parametrize("p, words, answer", [
    # the answers a published application of the form gives with their interaction p (Stem Cell Res Ther 2022,
    # doi:10.1186/s13287-022-02883-3, Table 2)
    # ("chance a very likely explanation" is the least credible answer, "chance may not explain" the second best)
    (0.1, "chance a very likely explanation", "definitely no"), (0.06, "chance a very likely explanation",
                                                                 "definitely no"),
    (0.15, "chance a very likely explanation", "definitely no"), (0.92, "chance a very likely explanation",
                                                                  "definitely no"),
    (0.84, "chance a very likely explanation", "definitely no"), (0.007, "chance may not explain", "probably yes"),
])
def test_chance_bands_agree_with_a_published_application_of_the_form(p, words, answer):
    it = ic.chance_item(p)
    assert it.reason.startswith(words + ": ") and it.answer == answer


@pytest.mark.parametrize("p, answer, down", [
    (0.0001, "definitely yes", 0), (0.0049, "definitely yes", 0), (0.005, "probably yes", 0),
    (0.0099, "probably yes", 0), (0.01, "probably no or unclear", 1), (0.049, "probably no or unclear", 1),
    (0.05, "definitely no", 2), (0.09, "definitely no", 2), (0.6, "definitely no", 2), (math.nan, "not answered", 2),
])
def test_chance_bands(p, answer, down):
    it = ic.chance_item(p)
    assert (it.answer, it.levels_down) == (answer, down)


# --- honest multiplicity --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, p, answer, down", [
    (1, 0.03, "probably yes", 0), (2, 0.03, "probably yes", 0),
    (3, 0.03, "probably no or unclear", 1),            # 3 x 0.03 = 0.09: does not survive Bonferroni
    (3, 0.01, "probably yes", 0),           # 3 x 0.01 = 0.03 < 0.05: the number is considered
    (5, 0.2, "probably no or unclear", 1), (6, 0.2, "definitely no", 1), (6, 0.008, "probably yes", 0),  # 0.048
])
def test_modifiers(n, p, answer, down):
    it = ic.modifiers_item(n, p, ["category", "quality"][: min(n, 2)])
    assert (it.answer, it.levels_down) == (answer, down)
    assert f"{n} effect modifier" in it.reason


# --- cut points, related outcomes, the user's items ----------------------------------------------------------------

def test_cut_points():
    assert ic.cut_points_item(["online", "hospital_added"]).answer == "not applicable"
    assert ic.cut_points_item(["1", "2", "3.5"]).answer == "probably yes"
    assert ic.cut_points_item(["1", "2", "not recorded"]).answer == "probably yes"


def test_related_outcomes_order_the_same_subgroups_the_same_way():
    focus = {"online": 0.50, "hospital": 0.10, "independent": 0.30}       # contrast: online vs hospital
    agree = {"hope": {"online": 0.4, "hospital": 0.2}, "empowerment": {"online": 0.1, "hospital": 0.0}}
    assert ic.outcomes_item(focus, agree).answer == "probably yes"
    half = {**agree, "stigma": {"online": -0.1, "hospital": 0.2}, "x": {"online": 0.0, "hospital": 0.5}}
    it = ic.outcomes_item(focus, half)                                     # 2 of 4 agree
    assert (it.answer, it.levels_down) == ("probably no or unclear", 0) and "2 of 4" in it.reason
    worse = {"stigma": {"online": -0.1, "hospital": 0.2}, "x": {"online": 0.0, "hospital": 0.5}, **{
        "hope": {"online": 0.4, "hospital": 0.2}}}                         # 1 of 3
    assert ic.outcomes_item(focus, worse).answer == "definitely no"
    assert ic.outcomes_item(focus, {"hope": {"online": 0.4}}).answer == "not answered"


def test_user_items():
    assert ic.user_item("direction", None).levels_down == 1               # unknown is not yes
    assert ic.user_item("direction", "py").levels_down == 0
    assert ic.user_item("direction", "pn").levels_down == 1
    assert ic.user_item("prior", None).levels_down == 0
    assert ic.user_item("prior", "dn").levels_down == 1
    with pytest.raises(ValueError):
        ic.user_item("chance", "dy")


# --- the overall rating ---------------------------------------------------------------------------------------------

def _groups(k_a: int, k_b: int):
    ids = [f"t{i}" for i in range(k_a + k_b)]
    return ids, ["a"] * k_a + ["b"] * k_b


def test_a_typical_aggregate_subgroup_claim_is_not_credible():
    ids, g = _groups(4, 5)
    res = ic.assess(ids, g, pval=0.03, n_examined=4)
    # between (-1), 9 trials (-1), direction unanswered (-1), p 0.03 (-1), 4 modifiers, 4 x 0.03 = 0.12 (-1)
    assert res.levels_down == 5 and res.rating == "very low" and not res.credible and res.applicable


def test_a_prespecified_between_trial_effect_with_strong_evidence_is_moderate():
    ids, g = _groups(12, 15)
    res = ic.assess(ids, g, pval=0.002, n_examined=1, answers={"direction": "dy", "prior": "py"})
    # the form's order: 1 comparison, 2 similar, 3 trials, 4 direction, 5 chance, then prior, modifiers, 8 cut points
    assert [i.answer for i in res.items] == ["definitely no", "not applicable", "probably yes", "definitely yes",
                                             "definitely yes", "probably yes", "probably yes", "not applicable",
                                             "not answered"]
    assert res.levels_down == 1 and res.rating == "moderate" and res.credible


def test_no_suggestion_of_effect_modification_is_never_credible():
    ids, g = _groups(12, 15)
    res = ic.assess(ids, g, pval=0.2, n_examined=1, answers={"direction": "dy", "prior": "dy"})
    assert not res.applicable and not res.credible and res.rating == "very low"    # between -1, p -2
    assert "p < 0.1" in res.reason


def test_one_subgroup_is_not_applicable():
    res = ic.assess(["a", "b"], ["x", "x"], pval=math.nan, n_examined=1)
    assert not res.applicable and not res.credible


def test_rating_floor_and_words():
    items = [ic.chance_item(0.5), ic.user_item("direction", None), ic.modifiers_item(9)]
    res = ic.rate(items)
    assert res.levels_down == 4 and res.rating == "very low"
    assert ic.rate([ic.chance_item(0.001)]).rating == "high"
    assert ic.rate([ic.chance_item(0.02)]).rating == "moderate"
    assert ic.rate([ic.chance_item(0.02)], applicable=False).credible is False


def test_related_outcomes_enter_the_assessment():
    ids, g = _groups(12, 15)
    focus = {"a": 0.5, "b": 0.1}
    res = ic.assess(ids, g, pval=0.002, n_examined=1, answers={"direction": "dy"}, focus=focus,
                    related={"x": {"a": 0.0, "b": 0.3}, "y": {"a": -0.2, "b": 0.1}})
    assert res.item("outcomes").answer == "definitely no" and res.rating == "low" and not res.credible


# --- the URL text ---------------------------------------------------------------------------------------------------

def test_answers_round_trip_and_junk_is_dropped():
    answers = {("hope", "category"): {"direction": "py", "prior": "dn"}, ("anxiety", "rob2_overall"): {"prior": "dy"}}
    text = ic.encode_answers(answers)
    assert text == "anxiety.rob2_overall.prior.dy~hope.category.direction.py~hope.category.prior.dn"
    assert ic.decode_answers(text) == answers
    got = ic.decode_answers("hope.category.chance.dy~x.y.direction.maybe~<script>~a b.c.prior.py~hope.category."
                            "direction.pn")
    assert got == {("hope", "category"): {"direction": "pn"}}
    assert ic.decode_answers(None) == {}


# --- on the bundled data: the view's assessment, related outcomes, the paper beside each subgroup --------------------

@pytest.fixture(scope="module")
def bundled():
    from peerstats.data import load_evidence

    return load_evidence()


def test_related_estimates_are_the_subgroup_pools_signed_by_benefit(bundled):
    from peerstats.data import OUTCOMES
    from peerstats.meta import pool
    from peerstats.select import Filters, select

    focus, related = ic.related_estimates(bundled, Filters(), "depression", "category", OUTCOMES)
    # independently: select each outcome, pool each category's rows, multiply by the outcome's direction
    for outcome, got in [("depression", focus), *related.items()]:
        assert OUTCOMES[outcome][0] == "clinical"
        rows = select(bundled, Filters(), outcome).effects
        for g, est in got.items():
            part = rows[rows["category"] == g]
            assert est == pytest.approx(OUTCOMES[outcome][2] * pool(part["yi"], part["vi"]).estimate, rel=1e-12)
    clinical = [o for o, (d, _, _) in OUTCOMES.items() if d == "clinical" and o != "depression"]
    assert set(related) <= set(clinical) and "hope" not in related


def test_subgroup_trials_pairs_each_trial_with_its_category(bundled):
    from peerstats.select import Filters, select

    sel = select(bundled, Filters(), "personal_recovery")
    ids, groups = ic.subgroup_trials(sel, "category")
    truth = dict(zip(bundled.trials["trial_id"], bundled.trials["category"]))
    assert sorted(ids) == sorted(sel.effects["trial_id"]) and all(truth[t] == g for t, g in zip(ids, groups))


def test_assess_view_on_the_paper_main_analysis(bundled):
    from peerstats.data import OUTCOMES
    from peerstats.meta import subgroup_test
    from peerstats.select import Filters, select, subgroup_inputs

    res = ic.assess_view(bundled, Filters(), "personal_recovery", "category", OUTCOMES, examined=["quality"])
    p = subgroup_test(*subgroup_inputs(select(bundled, Filters(), "personal_recovery"), "category")).pval
    assert p > 0.1                                          # the paper: no subgroup difference for personal recovery
    assert not res.applicable and not res.credible
    assert res.item("chance").answer == "definitely no"
    assert res.item("modifiers").reason.startswith("2 effect modifiers")   # quality, then category


def test_published_beside_flags_only_cells_off_by_more_than_rounding(bundled):
    import pandas as pd

    from peerstats.subgroups import published_beside

    pub = pd.DataFrame({"category": ["a", "b", "c", "d"], "outcome": "x",
                        "status": ["reported", "reported", "not_significant", "no_studies"],
                        "k": [3, 4, None, None], "smd": [0.20, 0.31, None, None], "ci_low": [0.05, 0.1, None, None],
                        "ci_high": [0.35, 0.52, None, None]})
    table = pd.DataFrame({"group": ["a", "b", "c", "d", "e"], "k": [3, 5, 2, 1, 2],
                          "estimate": [0.2049, 0.31, 0.3, 0.1, 0.0], "ci_low": [0.0451, 0.1, 0.05, -0.2, -1],
                          "ci_high": [0.3549, 0.52, 0.6, 0.4, 1]})
    got = published_beside(table, pub, "x")
    assert got["differs"].tolist() == [False, True, True, True, False]
    assert got["what"].tolist() == ["", "k", "significance (the paper: not significant)", "k (the paper: no studies)",
                                    ""]
    assert got["status"].tolist() == ["reported", "reported", "not_significant", "no_studies", ""]


# --- the Subgroups page (AppTest) -----------------------------------------------------------------------------------

@pytest.mark.apptest
def test_subgroups_page_iceman_answers_live_in_the_link(bundled):
    from test_apptest import assert_clean, run_app

    at = run_app({"page": "subgroups", "outcome": "hope", "moderator": "category",
                  "iceman": "hope.category.direction.dy~hope.category.prior.nonsense"})
    assert at.radio(key="iceman_hope_category_direction").value == "dy"
    assert at.radio(key="iceman_hope_category_prior").value == ""
    table = next(d.value for d in at.dataframe if "Question" in d.value.columns)
    row = table[table["Question"].str.startswith("Was the direction")].iloc[0]
    assert (row["Answer"], row["Answered by"]) == ("definitely yes", "you")
    at.radio(key="iceman_hope_category_prior").set_value("pn").run()
    assert_clean(at)
    assert at.query_params["iceman"] == "hope.category.direction.dy~hope.category.prior.pn"
    at.radio(key="iceman_hope_category_direction").set_value("").run()
    assert at.query_params["iceman"] == "hope.category.prior.pn"


@pytest.mark.apptest
def test_subgroups_page_pairwise_paper_and_multiplicity(bundled):
    import pandas as pd

    from dashboard import text
    from peerstats.meta import pool
    from peerstats.select import Filters, select
    from test_apptest import assert_clean, run_app

    at = run_app({"page": "subgroups", "outcome": "personal_recovery", "moderator": "category"})
    at.selectbox(key="v_pair_a_category").set_value("online").run()
    at.selectbox(key="v_pair_b_category").set_value("hospital_added").run()
    assert_clean(at)
    rows = select(bundled, Filters(), "personal_recovery").effects
    a, b = (pool(rows.loc[rows["category"] == g, "yi"], rows.loc[rows["category"] == g, "vi"])
            for g in ("online", "hospital_added"))
    d, se = a.estimate - b.estimate, math.hypot(a.se, b.se)
    sentence = next(m.value for m in at.markdown if "difference in SMD" in m.value)
    assert f"difference in SMD {text.fmt(d)} ({text.fmt_ci(d - 1.959963984540054 * se, d + 1.959963984540054 * se)})" \
        in sentence
    # the paper's online cell (data/published.csv) is shown beside the recomputed one where they differ
    pub = pd.read_csv("data/published.csv")
    cell = pub[(pub["category"] == "online") & (pub["outcome"] == "personal_recovery")].iloc[0]
    shown = next(d.value for d in at.dataframe if "The paper (where it differs)" in d.value.columns)
    online = shown.loc[shown["Subgroup"] == "Peers online", "The paper (where it differs)"].item()
    assert online.startswith(f"SMD {text.fmt(cell['smd'])} ({text.fmt_ci(cell['ci_low'], cell['ci_high'])}), "
                             f"k = {int(cell['k'])}")
    # honest multiplicity: three moderators looked at in this session
    at.selectbox(key="v_moderator").set_value("quality").run()
    at.selectbox(key="v_moderator").set_value("control").run()
    assert_clean(at)
    table = next(d.value for d in at.dataframe if "Question" in d.value.columns)
    why = table.loc[table["Question"].str.startswith("Did the analysis test"), "Why"].item()
    assert why.startswith("3 effect modifiers examined in this session")
