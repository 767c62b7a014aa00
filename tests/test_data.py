"""The bundled evidence base against the facts of Egmose et al. (2023) and the codebook's rules.

Expected counts are read off the paper (Figure 1 and the Results text), not off the data files: where the paper
contradicts itself the codebook's reading is asserted and the comment says which.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from peerstats.data import DATA_DIR, OUTCOMES, Problem, load_evidence, validate_effects, validate_trials
from peerstats.errors import DataValidationError


@pytest.fixture(scope="module")
def ev():
    return load_evidence()


# ------------------------------------------------------------------------------------------------ trials
def test_49_trials_with_unique_ids(ev):
    assert len(ev.trials) == 49  # "49 RCTs" (Abstract; Figure 1 has 49 rows)
    assert ev.trials["trial_id"].is_unique
    assert ev.trials["label"].is_unique


def test_category_counts(ev):
    # Results, 'Participants and organization': 26 published + Miller = 27 hospital, 3 established roles,
    # "Thirteen trials (63-79)" independent, but Figure 1 lists 14 (Segal 2011, ref 71, is outside 63-79);
    # five online. The codebook follows Figure 1: 27/3/14/5.
    counts = ev.trials["category"].value_counts().to_dict()
    assert counts == {"hospital_added": 27, "established_roles": 3, "independent": 14, "online": 5}


def test_quality_counts(ev):
    # Figure 1, AHRQ column: 35 Poor, 13 Fair, 1 Good (Proudfoot 2012).
    assert ev.trials["quality"].value_counts().to_dict() == {"poor": 35, "fair": 13, "good": 1}
    assert ev.trials.loc[ev.trials.quality == "good", "trial_id"].tolist() == ["proudfoot2012"]


def test_control_counts(ev):
    # Results, 'Control Conditions': the tau list holds 26 trials (the text says 25), 9 waitlist, 5 active,
    # 8 with both; Segal 2011 is in no list (not_reported).
    counts = ev.trials["control"].value_counts().to_dict()
    assert counts == {"tau": 26, "waitlist": 9, "active": 5, "tau_and_active": 8, "not_reported": 1}
    assert ev.trials.loc[ev.trials.control == "not_reported", "trial_id"].tolist() == ["segal2011"]


# The Results text's reference lists, transcribed by hand from the seed (Control Conditions; Risk for Bias).
TAU_REFS = "30 32 36 37 39 40 43 44 45 47 48 49 50 53 54 55 56 57 60 61 62 66 68 69 70 76 78 miller".split()
WAITLIST_REFS = "31 33 42 51 52 63 64 67 73 74 80 81 82".split()
ACTIVE_REFS = "34 41 59 75 79".split()
BOTH_REFS = "38 46 58 65 77 83 84 85 86 87".split()
FAIR_REFS = "31 34 35 36 37 39 42 43 44 45 51 63 64 72 73 74 80 81 84 85 86".split()


def _trials_of(ev, refs):
    out = set()
    for _, t in ev.trials.iterrows():
        if set(str(t["refs"]).split()) & set(refs):
            out.add(t["trial_id"])
    return out


@pytest.mark.parametrize("code, refs", [("tau", TAU_REFS), ("waitlist", WAITLIST_REFS), ("active", ACTIVE_REFS),
                                        ("tau_and_active", BOTH_REFS)])
def test_control_matches_results_text(ev, code, refs):
    assert set(ev.trials.loc[ev.trials.control == code, "trial_id"]) == _trials_of(ev, refs)


def test_fair_quality_matches_results_text(ev):
    assert set(ev.trials.loc[ev.trials.quality == "fair", "trial_id"]) == _trials_of(ev, FAIR_REFS)


def test_risk_of_bias_spot_checks(ev):
    # Figure 1 rows read by eye: Proudfoot all '+'; Clayton all '?'; Mahlke blinding '-'; Pfeiffer power '-' and ITT '-'.
    t = ev.trials.set_index("trial_id")
    rob = [c for c in t.columns if c.startswith("rob_")]
    assert len(rob) == 7
    assert set(t.loc["proudfoot2012", rob]) == {"low"}
    assert set(t.loc["clayton2013", rob]) == {"unclear"}
    assert t.loc["mahlke2017", "rob_blinding_assessors"] == "high"
    assert (t.loc["pfeiffer2018", "rob_power_calculation"], t.loc["pfeiffer2018", "rob_intent_to_treat"]) == (
        "high", "high")


def test_miller_is_a_trial_without_reported_data(ev):
    t = ev.trials.set_index("trial_id")
    assert t.loc["miller2018", "refs"] == "miller"
    assert t.loc["miller2018", "category"] == "hospital_added"
    rows = ev.effects[ev.effects.trial_id == "miller2018"]
    assert set(rows["provenance"]) <= {"reconstructed"}  # only the paper's hope cells need it


def test_characteristics_not_from_the_seed_are_sourced(ev):
    extra = ["n_randomized", "country", "intervention", "population", "control_description"]
    for _, t in ev.trials.iterrows():
        has_extra = any(str(t[c]) not in ("", "<NA>", "nan") for c in extra)
        if has_extra:
            assert t["source_url"].startswith("http"), t["trial_id"]
            assert t["source_quote"], t["trial_id"]


# ------------------------------------------------------------------------------------------------ effects
def test_every_row_is_sourced(ev):
    e = ev.effects
    real = e[e.provenance.isin(["reported", "derived"])]
    assert len(real) > 0
    assert real.source_url.str.startswith("http").all()
    assert (real.source_locator.str.len() > 0).all()
    assert (real.source_quote.str.len() > 0).all()
    assert (e.loc[e.provenance == "derived", "formula"].str.len() > 0).all()
    recon = e[e.provenance == "reconstructed"]
    assert (recon.source_url == "").all()
    for _, r in recon.iterrows():
        assert r["target_cell"] and r["target_cell"] in r["note"]
        assert "NOT TRIAL DATA" in r["note"]


def test_effect_rows_reference_known_trials_and_outcomes(ev):
    assert set(ev.effects.trial_id) <= set(ev.trials.trial_id)
    assert set(ev.effects.outcome) <= set(OUTCOMES)
    assert ev.effects.effect_id.is_unique
    for o, d in zip(ev.effects.outcome, ev.effects.domain):
        assert OUTCOMES[o][0] == d


def _set_aside(e):
    """Pairs whose every row carries a doubt decided "NOT POOLED" (see data/README.md, "Doubts")."""
    not_pooled = e.doubt.fillna("").str.contains("NOT POOLED")
    pairs = e.groupby(["trial_id", "outcome"])
    return {k for k, g in pairs if not_pooled[g.index].all()}


def test_one_primary_row_per_trial_and_outcome(ev):
    prim = ev.effects[ev.effects.primary]
    assert not prim.duplicated(["trial_id", "outcome"]).any()
    # every trial x outcome with rows has a primary one, except pairs whose only rows are set aside for a doubt
    set_aside = _set_aside(ev.effects)
    # Salzer 2016's as-typed rows are set aside, but its rows read as standard errors are pooled. Four pairs have no
    # pooled row because the paper's own "no studies" statements exclude their mapping (see the next test).
    assert set_aside == {("kaplan2011", "overall_symptoms"), ("corrigan2017", "self_reported_health"),
                         ("craig2004", "functioning"), ("oconnell2018", "functioning")}
    assert set(map(tuple, ev.effects[["trial_id", "outcome"]].drop_duplicates().values)) - set_aside == set(
        map(tuple, prim[["trial_id", "outcome"]].values))
    assert not prim.doubt.fillna("").str.contains("NOT POOLED").any()


def test_no_pooled_row_where_the_paper_says_no_studies(ev):
    # The paper's "No studies reported ..." statements (published.csv status no_studies) are definitions: a primary
    # (pooled) row of a trial in such a category x outcome, or in an "all" cell that had no studies, contradicts them.
    status = {(c, o): s for c, o, s in zip(ev.published.category, ev.published.outcome, ev.published.status)}
    category = dict(zip(ev.trials.trial_id, ev.trials.category))
    assert sum(v == "no_studies" for v in status.values()) == 44
    wrong = [(r.effect_id, cat) for r in ev.effects[ev.effects.primary].itertuples()
             for cat in (category[r.trial_id], "all") if status[(cat, r.outcome)] == "no_studies"]
    assert wrong == []


def test_reconstructed_only_for_pairs_the_paper_pooled_without_real_data(ev):
    e, pub = ev.effects, ev.published
    pooled = set()
    for _, c in pub[pub.status == "reported"].iterrows():
        for t in c["trial_ids"].split():
            pooled.add((t, c["outcome"]))
    real = set(map(tuple, e.loc[e.provenance != "reconstructed", ["trial_id", "outcome"]].values))
    recon = set(map(tuple, e.loc[e.provenance == "reconstructed", ["trial_id", "outcome"]].values))
    assert recon == pooled - real


def test_paper_cells_match_published_trial_lists(ev):
    prim = ev.effects[ev.effects.primary]
    for _, c in ev.published[ev.published.status == "reported"].iterrows():
        name = f"{c['category']}:{c['outcome']}"
        members = prim[prim.paper_cells.str.split(";").map(lambda xs: name in xs)]
        # the paper's list minus trials whose only real rows are set aside for a doubt (none now)
        listed = [t for t in c["trial_ids"].split() if (t, c["outcome"]) not in _set_aside(ev.effects)]
        assert sorted(members.trial_id) == sorted(listed), name
        assert len(members) == len(listed), name


def test_reported_smd_by_hand():
    # Barbic 2009, Recovery Assessment Scale (gb_dat.rds): peer 168.81 (SD 20.11, n 16), control 149.11 (22.09, 17).
    # Pooled SD = sqrt((15*20.11^2 + 16*22.09^2)/31) = sqrt(13873.67/31) = 21.155; d = 19.70/21.155 = 0.93122;
    # J = 1 - 3/(4*31 - 1) = 0.97561 -> g = 0.9085; vi = 1/16 + 1/17 + g^2/66 = 0.13383.
    e = load_evidence().effects
    r = e[(e.trial_id == "barbic2009") & (e.outcome == "personal_recovery")].iloc[0]
    assert r.provenance == "reported"
    assert r.yi == pytest.approx(0.9085, abs=2e-4)
    assert r.vi == pytest.approx(0.13383, abs=2e-5)


def test_derived_smd_by_hand():
    # Hensel 2019, RAS-r adjusted MD 4.97 (95% CI 2.90 to 7.05), n 260 / 186 (Cochrane 6.5.2.3):
    # SE = 4.15 / (2 * t(0.975, 444) = 3.9306) = 1.0558; SD = SE / sqrt(1/260 + 1/186) = 1.0558 / 0.096031 = 10.995;
    # d = 4.97 / 10.995 = 0.45204; J(444) = 1 - 3/1775 = 0.99831 -> g = 0.4513.
    e = load_evidence().effects
    r = e[(e.trial_id == "hensel2019") & (e.outcome == "personal_recovery")].iloc[0]
    assert r.provenance == "derived"
    assert (r.md, r.md_ci_low, r.md_ci_high, r.n_peer, r.n_control) == (4.97, 2.90, 7.05, 260, 186)
    assert r.yi == pytest.approx(0.4513, abs=2e-4)


def test_sign_convention_more_of_the_construct():
    # Hensel GAD-7 fell more under peer support (MD -1.55): anxiety yi is negative (less anxiety), as in the paper.
    e = load_evidence().effects
    r = e[(e.trial_id == "hensel2019") & (e.outcome == "anxiety")].iloc[0]
    assert r.yi < 0 and bool(r.higher_score_means_more)


def test_numbers_are_finite_and_positive(ev):
    e = ev.effects
    assert np.isfinite(e.yi).all() and (e.vi > 0).all()
    for c in ("sd_peer", "sd_control"):
        assert (e[c].dropna() > 0).all()
    for c in ("n_peer", "n_control"):
        assert (e[c].dropna() >= 2).all()


def test_published_has_twelve_numeric_cells(ev):
    rep = ev.published[ev.published.status == "reported"]
    assert len(rep) == 12
    r = rep.set_index(["category", "outcome"])
    # Abstract: personal recovery SMD 0.20 (0.11-0.29); anxiety -0.21 (-0.40 to -0.02).
    assert tuple(r.loc[("all", "personal_recovery"), ["smd", "ci_low", "ci_high"]]) == (0.20, 0.11, 0.29)
    assert tuple(r.loc[("all", "anxiety"), ["smd", "ci_low", "ci_high"]]) == (-0.21, -0.40, -0.02)
    assert set(ev.published.status) <= {"reported", "not_significant", "no_studies", "not_applicable",
                                        "not_mentioned"}
    assert len(ev.published) == 5 * len(OUTCOMES)


# ------------------------------------------------------------------------------------------------ validation
def _problems_for(df, **kw):
    return validate_effects(df, {"t1", "t2"}, **kw)


def _good_effects():
    return pd.DataFrame({
        "effect_id": ["e1", "e2"], "trial_id": ["t1", "t2"], "outcome": ["hope", "anxiety"], "yi": ["0.2", "-0.1"],
        "vi": ["0.04", "0.05"], "provenance": ["reported", "reconstructed"],
        "source_url": ["https://example.org/t1", ""], "source_locator": ["Table 2", ""],
        "source_quote": ["12.1 (3.2)", ""], "note": ["", "target cell all:anxiety"],
        "n_peer": ["20", "30"], "n_control": ["21", "30"], "sd_peer": ["3.2", ""],
    })


def test_clean_effects_have_no_problems():
    assert _problems_for(_good_effects()) == []


def test_load_evidence_reports_problems_by_row_and_column(tmp_path):
    for f in ("trials.csv", "effects.csv", "published.csv"):
        (tmp_path / f).write_bytes((DATA_DIR / f).read_bytes())
    e = pd.read_csv(tmp_path / "effects.csv", dtype=str, keep_default_na=False)
    e.loc[4, "vi"] = "-1"
    e.loc[7, "trial_id"] = "nobody2020"
    e.to_csv(tmp_path / "effects.csv", index=False)
    with pytest.raises(DataValidationError) as info:
        load_evidence(tmp_path)
    found = {(p.row, p.column) for p in info.value.problems}
    assert (5, "vi") in found and (8, "trial_id") in found
    assert all(isinstance(p, Problem) for p in info.value.problems)


def test_trials_validation_problems():
    ev = load_evidence()
    t = ev.trials.astype(str).replace({"<NA>": ""}).copy()
    t.loc[0, "category"] = "hospital"
    t.loc[1, "trial_id"] = t.loc[2, "trial_id"]
    t.loc[3, "n_randomized"] = "1"
    t = t.drop(columns=["rob_intent_to_treat"])
    problems = validate_trials(t)
    msgs = {(p.row, p.column) for p in problems}
    assert (None, "rob_intent_to_treat") in msgs
    assert (1, "category") in msgs
    assert (3, "trial_id") in msgs  # the duplicate is reported on the later row
    assert (4, "n_randomized") in msgs


def test_paper_cells_select_exactly_the_papers_trials(ev):
    # "The paper's main analysis" of a cell = the primary rows whose paper_cells name it: exactly the paper's k trials,
    # one row each, and never more participants than the paper's N. all: personal recovery is the paper's 17 trials
    # with Salzer 2016 (ref 39) and without Corrigan 2017 (ref 76, not in the paper's list).
    prim = ev.effects[ev.effects.primary]
    for _, c in ev.published[ev.published.status == "reported"].iterrows():
        name = f"{c['category']}:{c['outcome']}"
        rows = prim[prim.paper_cells.fillna("").str.split(";").map(lambda xs: name in xs)]
        assert len(rows) == rows.trial_id.nunique() == int(c["k"]), name
        assert set(rows.trial_id) == set(c["trial_ids"].split()), name
        assert (rows.outcome == c["outcome"]).all(), name
        assert (rows.n_peer + rows.n_control).sum() <= int(c["n"]), name
    pr = prim[prim.paper_cells.fillna("").str.contains("all:personal_recovery")]
    assert len(pr) == 17 and "salzer2016" in set(pr.trial_id) and "corrigan2017" not in set(pr.trial_id)
