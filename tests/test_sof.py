"""peerstats.sof.summary_of_findings on the bundled data: one row per outcome, numbers equal to an independent
recomputation (outcome_table's pooling, the NNT by hand with stdlib NormalDist), statements follow the CI rule."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from peerstats.data import OUTCOMES, load_evidence
from peerstats.select import Filters, exclude_poor, outcome_table
from peerstats.sof import SOF_COLUMNS, summary_of_findings

EV = load_evidence()
N = NormalDist()


@pytest.fixture(scope="module")
def sof():
    return summary_of_findings(EV, Filters(), "DL", "z", mid=0.2, cer=0.3)


def test_one_row_per_outcome_with_the_pooled_numbers(sof):
    ref = outcome_table(EV, Filters(), "DL", "z")
    assert list(sof.columns) == list(SOF_COLUMNS)
    assert list(sof["outcome"]) == list(ref["outcome"])
    assert sof["k"].tolist() == ref["k"].tolist()
    pooled = ref["k"] > 0
    assert sof.loc[pooled, "estimate"].to_numpy() == pytest.approx(ref.loc[pooled, "estimate"].to_numpy(), rel=1e-12)
    assert (sof.loc[~pooled, "note"] == "no trials").all()


@pytest.mark.parametrize("outcome", ["personal_recovery", "anxiety", "hope"])
def test_nnt_by_hand(sof, outcome):
    row = sof.set_index("outcome").loc[outcome]
    b = OUTCOMES[outcome][2]
    # NNT = 1 / (Phi(b * SMD + Phi^-1(CER)) - CER), CER = 0.3
    expected = 1 / (N.cdf(b * row["estimate"] + N.inv_cdf(0.3)) - 0.3)
    assert row["nnt"] == pytest.approx(expected, rel=1e-9)
    assert row["nnt_text"].startswith(f"NNTB {math.ceil(expected)}")


def test_one_threshold_and_no_rating_on_imputed_numbers_under_every_filter():
    # every row with a certainty: symbols match it; an unhedged claim never has a CI crossing the threshold; rows with
    # more than half of the weight reconstructed carry no certainty (the number stays)
    for threshold in ("mid", "any"):
        for filters in (Filters(), exclude_poor(Filters())):
            tab = summary_of_findings(EV, filters, threshold=threshold)
            t = 0.2 if threshold == "mid" else 0.0
            for _, r in tab[tab["k"] > 0].iterrows():
                assert math.isfinite(r["estimate"])
                if r["reconstructed_share"] > 50:
                    assert not r["assessable"] and math.isnan(r["certainty"]) and r["symbols"] == ""
                    assert r["certainty_label"] == "not assessable"
                    assert r["not_assessable"] == "not assessable: mostly imputed values"
                    assert r["caveat"].startswith("Certainty not assessable")
                    continue
                assert r["assessable"] and r["symbols"].count("⊕") == r["certainty"]
                b = OUTCOMES[r["outcome"]][2]
                lo, hi = sorted((b * r["ci_low"], b * r["ci_high"]))
                if r["certainty"] == 4:
                    assert not (lo < t < hi or lo < -t < hi), r["label"]
                if 0 < r["reconstructed_share"] <= 50:
                    assert f"{r['reconstructed_share']:.0f}% of the weight is on rows reconstructed" in r["caveat"]


def test_excluding_poor_quality_never_worsens_the_risk_of_bias_domain():
    from peerstats.grade import grade_outcome
    from peerstats.rma import pool
    from peerstats.select import select

    for outcome in OUTCOMES:
        downs = []
        for filters in (Filters(), exclude_poor(Filters())):
            sel = select(EV, filters, outcome)
            if sel.k == 0:
                downs.append(None)
                continue
            res = pool(sel.yi, sel.vi, method="DL")
            d = grade_outcome(sel.effects, res, outcome=outcome).domains[0]
            assert d.name == "risk_of_bias" and d.assessed
            downs.append(d.downgrade)
        if None not in downs:
            assert downs[1] <= downs[0], outcome


def test_a_plain_upload_never_shows_high():
    # a synthetic upload (arm-level means, SDs, Ns; no risk-of-bias column) through the importer: no outcome gets a
    # certainty, and none says "high"; the numbers are there
    import numpy as np
    import pandas as pd

    from peerstats.importer import import_studies
    from tests.upload_files import text_bytes

    rng = np.random.default_rng(18)
    k = 8
    df = pd.DataFrame({"study": [f"Trial {i} {2010 + i}" for i in range(k)], "year": 2010 + np.arange(k),
                       "m1i": np.round(rng.normal(21, 2, k), 2), "sd1i": np.round(rng.uniform(3, 6, k), 2),
                       "n1i": rng.integers(100, 300, k), "m2i": np.round(rng.normal(18, 2, k), 2),
                       "sd2i": np.round(rng.uniform(3, 6, k), 2), "n2i": rng.integers(100, 300, k)})
    res = import_studies(text_bytes(df), "plain.csv")
    assert res.errors == [] and res.evidence is not None
    tab = summary_of_findings(res.evidence, Filters(), outcomes=res.outcomes or None)
    pooled = tab[tab["k"] > 0]
    assert len(pooled) >= 1 and pooled["estimate"].notna().all()
    assert (~pooled["assessable"]).all()
    assert (pooled["certainty_label"] == "not assessable").all() and (pooled["symbols"] == "").all()
    assert not pooled["certainty_label"].str.contains("high").any()
    assert pooled["reasons"].str.contains("Risk of bias: Not assessed").all()


def test_split_by_gives_one_row_per_subgroup_each_graded():
    from peerstats.rma import pool
    from peerstats.select import select

    tab = summary_of_findings(EV, Filters(), split_by="category")
    pr = tab[tab["outcome"] == "personal_recovery"]
    sel = select(EV, Filters(), "personal_recovery")
    levels = sorted(sel.effects["category"].astype(str).unique())
    assert pr["subgroup"].tolist() == levels
    for _, r in pr.iterrows():
        part = sel.effects["category"].astype(str).eq(r["subgroup"]).to_numpy()
        assert r["k"] == int(part.sum())
        if r["k"]:
            assert r["estimate"] == pytest.approx(pool(sel.yi[part], sel.vi[part], method="DL").estimate, rel=1e-12)
    assert (summary_of_findings(EV, Filters())["subgroup"] == "").all()
    with pytest.raises(ValueError, match="no such column"):
        summary_of_findings(EV, Filters(), split_by="shoe_size")


@pytest.mark.parametrize("outcome", ["hope", "personal_recovery", "overall_symptoms"])
def test_risk_of_bias_share_counts_either_review(sof, outcome):
    """The table grades the full rows, RoB 2 included: the share of weight from trials high risk by either review
    (AHRQ poor or a key domain high, or RoB 2 overall high), recomputed here from the selection and the DL weights."""
    import numpy as np

    from peerstats.meta import pool
    from peerstats.select import select

    sel = select(EV, Filters(), outcome)
    w = pool(sel.yi, sel.vi, method="DL").weights
    rows = sel.effects
    high = rows["quality"].astype(str).eq("poor").to_numpy() | rows["rob2_overall"].astype(str).eq("high").to_numpy()
    for col in ("rob_sequence_generation", "rob_allocation_concealment", "rob_blinding_assessors",
                "rob_incomplete_data"):
        high |= rows[col].astype(str).eq("high").to_numpy()
    rob2 = float(np.asarray(w)[rows["rob2_overall"].astype(str).eq("high").to_numpy()].sum())
    reasons = sof.set_index("outcome").loc[outcome, "reasons"]
    assert f"{float(np.asarray(w)[high].sum()):.0f}% of the weight is from trials at high risk" in reasons, reasons
    assert f"high risk by RoB 2 {rob2:.0f}%" in reasons, reasons


def test_the_caveats_travel_with_every_export():
    # the exports the Summary page offers (dashboard.decision.sof_exports): the CSV rows, the PNG/SVG image's note and
    # the HTML report all say which outcomes are mostly imputed, in words, and carry no certainty for them
    from dashboard import charts, export
    from dashboard.decision import sof_exports

    tab = summary_of_findings(EV, Filters())
    out = sof_exports(tab, cer=0.3, threshold="mid", mid=0.2, filters_words="all trials", model_words="DL")
    imputed = tab.loc[tab["reconstructed_share"] > 50, "label"].tolist()
    assert imputed and out.caveats[0].startswith("Not assessable, mostly imputed values: " + ", ".join(imputed))
    csv = export.frame_csv(out.shown).decode("utf-8")
    for label in imputed:
        line = next(x for x in csv.splitlines() if x.startswith(label + ","))
        assert "(mostly imputed)" in line and "Not assessable: mostly imputed values" in line and "⊕" not in line
    assert out.picture.set_index("Outcome").loc[imputed, "Certainty"].eq(
        "Not assessable: mostly imputed values").all()
    image = charts.table_image(out.picture, "Summary of findings", widths=out.widths, note=out.note)
    svg = export.chart_svg(image)
    assert "mostly imputed" in svg and "Not assessable" in svg
    assert export.chart_png(image, scale=1).startswith(b"\x89PNG")
    html = export.html_report("Summary of findings", [export.Section("Summary of findings", table=out.shown,
                                                                     text=out.report_text)])
    assert "Not assessable, mostly imputed values" in html and "(mostly imputed)" in html


def test_summary_page_threshold_travels_in_the_url():
    # the Summary page's threshold (issue 18) goes into the URL, a fresh session opened with it shows the same
    # choice, and the page's table is summary_of_findings under that threshold
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    app = str(Path(__file__).resolve().parents[1] / "app.py")
    at = AppTest.from_file(app, default_timeout=60).run()
    at.switch_page("pages/summary.py").run()
    assert at.radio(key="sof_threshold").value == "mid" and "threshold" not in at.query_params
    at.radio(key="sof_threshold").set_value("any").run()
    assert not at.exception
    carried = at.query_params["threshold"]
    assert (carried[0] if isinstance(carried, list) else carried) == "any"

    fresh = AppTest.from_file(app, default_timeout=60)
    fresh.query_params["threshold"] = "any"
    fresh.run()
    fresh.switch_page("pages/summary.py").run()
    assert not fresh.exception and fresh.radio(key="sof_threshold").value == "any"
    df = next(d.value for d in fresh.dataframe if "What it means" in d.value.columns)
    want = summary_of_findings(EV, Filters(), threshold="any")
    assert df["What it means"].tolist() == want["statement"].tolist()
    assert any("Not assessable, mostly imputed values" in w.value for w in fresh.warning)


def test_rob2_domain_ratings_reach_the_rule_without_an_overall_judgement():
    # ratings in the codebook's RoB 2 domain columns only (as the importer maps an upload's): the domain is assessed
    # (RoB 2's algorithm: high in any domain is high overall); with every rating removed it is not assessed
    from dataclasses import replace

    from peerstats.risk_of_bias import RATING_COLUMNS

    bare = EV.trials.drop(columns=[c for c in RATING_COLUMNS if c in EV.trials])
    ev_none = replace(EV, trials=bare)
    ev_d1 = replace(EV, trials=bare.assign(rob2_d1_randomisation="high", rob2_d2_deviations="low"))
    no = summary_of_findings(ev_none, Filters()).set_index("outcome").loc["depression"]
    d1 = summary_of_findings(ev_d1, Filters()).set_index("outcome").loc["depression"]
    assert not no["assessable"] and no["not_assessable"] == "not assessable: risk of bias not assessed"
    assert d1["assessable"] and "Risk of bias: Very serious: 100% of the weight is from trials at high risk" in \
        d1["reasons"]


def test_the_metapsy_example_never_shows_high():
    # "Try an example" (Metapsy) through the importer with the app's mapping: whatever the importer maps of its RoB 2
    # columns, no outcome reads "high" unless its trials are rated, and no certainty rests on unrated trials alone
    from dashboard.byor import EXAMPLE, EXAMPLE_MAPPING
    from peerstats.importer import import_studies

    res = import_studies(EXAMPLE.read_bytes(), EXAMPLE.name, EXAMPLE_MAPPING)
    assert res.evidence is not None
    tab = summary_of_findings(res.evidence, Filters(), outcomes=res.outcomes or None)
    pooled = tab[tab["k"] > 0]
    assert len(pooled) and not pooled["certainty_label"].eq("high").any()
    from peerstats.risk_of_bias import rated

    if not rated(res.evidence.trials).any():  # the importer maps no rating: not assessable everywhere
        assert (pooled["not_assessable"] == "not assessable: risk of bias not assessed").all()


# ---- Core GRADE 3 x ICEMAN: only a credible subgroup effect splits a row; imputation ranges; unknown N ----------
def test_split_outcomes_splits_only_the_named_outcomes():
    tab = summary_of_findings(EV, Filters(), split_by="category", split_outcomes=["personal_recovery"])
    for outcome, rows in tab.groupby("outcome", sort=False):
        k_view = int(EV.effects.query("outcome == @outcome")["primary"].astype(bool).sum())
        if outcome == "personal_recovery":
            # one row per category present, their k adding up to the outcome's primary rows
            cats = EV.trials.set_index("trial_id").loc[
                EV.effects.query("outcome == @outcome and primary")["trial_id"], "category"]
            assert sorted(rows["subgroup"]) == sorted(set(cats))
            assert rows["k"].sum() == k_view
        else:
            assert rows["subgroup"].tolist() == [""] and rows["k"].iloc[0] == k_view


@pytest.mark.parametrize("moderator", ["category", "control"])  # control: personal recovery and anxiety p < 0.1
def test_credible_splits_assesses_only_suggested_subgroup_effects(moderator):
    """ICEMAN applies only to a suggested effect modification (interaction p < 0.1, iceman.help): every outcome it
    returns has that p, computed here independently as the Q-between of separately pooled DL subgroups."""
    import numpy as np

    from peerstats.select import select, subgroup_inputs
    from peerstats.sof import ICEMAN_APPLIES_BELOW, credible_splits
    from scipy.stats import chi2

    def q_between_p(yi, vi, groups):
        est, var = [], []
        for g in sorted(set(groups)):
            m = np.asarray(groups) == g
            y, v = yi[m], vi[m]
            w = 1 / v
            fe = (w * y).sum() / w.sum()
            q = (w * (y - fe) ** 2).sum()
            c = w.sum() - (w * w).sum() / w.sum()
            tau2 = max(0.0, (q - (m.sum() - 1)) / c) if m.sum() > 1 else 0.0
            ws = 1 / (v + tau2)
            est.append((ws * y).sum() / ws.sum())
            var.append(1 / ws.sum())
        est, var = np.array(est), np.array(var)
        w = 1 / var
        qb = (w * (est - (w * est).sum() / w.sum()) ** 2).sum()
        return chi2.sf(qb, len(est) - 1)

    found = credible_splits(EV, Filters(), moderator)
    for outcome in OUTCOMES:
        sel = select(EV, Filters(), outcome)
        if sel.k < 2:
            assert outcome not in found
            continue
        yi, vi, groups = subgroup_inputs(sel, moderator)
        if len(set(groups)) < 2:
            assert outcome not in found
            continue
        p = q_between_p(np.asarray(yi, float), np.asarray(vi, float), list(groups))
        assert (outcome in found) == (p < ICEMAN_APPLIES_BELOW), (outcome, p)
        if outcome in found:
            assert found[outcome].rating and isinstance(found[outcome].credible, bool)


def test_imputation_range_columns_bracket_the_estimate():
    tab = summary_of_findings(EV, Filters(), imputation=True)
    has = tab["imputation_low"].notna()
    assert has.any()  # the bundled data pool reconstructed rows
    for _, r in tab[has].iterrows():
        assert r["reconstructed_share"] > 0
        assert r["imputation_low"] - 1e-12 <= r["estimate"] <= r["imputation_high"] + 1e-12
    assert tab.loc[tab["reconstructed_share"].fillna(0) == 0, "imputation_low"].isna().all()
    assert "imputed value is arbitrary" in " ".join(__import__("peerstats.sof").sof.sof_caveats(tab))


def test_unknown_participants_are_not_zero():
    import numpy as np

    from dashboard.decision import sof_exports

    import dataclasses

    ev = load_evidence()
    eff, trials = ev.effects.copy(), ev.trials.copy()
    # every hope trial's size unknown (no arm sizes, no randomised N); one personal-recovery trial's too
    hope_ids = set(eff.loc[(eff["outcome"] == "hope") & eff["primary"].astype(bool), "trial_id"])
    pr_rows = eff[(eff["outcome"] == "personal_recovery") & eff["primary"].astype(bool)]
    one = pr_rows.loc[~pr_rows["trial_id"].isin(hope_ids), "trial_id"].iloc[0]
    blank = eff["trial_id"].isin(hope_ids | {one})
    eff.loc[blank, ["n_peer", "n_control"]] = np.nan
    trials["n_randomized"] = trials["n_randomized"].astype("Float64")
    trials.loc[trials["trial_id"].isin(hope_ids | {one}), "n_randomized"] = np.nan
    ev2 = dataclasses.replace(ev, effects=eff, trials=trials)
    tab = summary_of_findings(ev2, Filters())
    hope = tab.set_index("outcome").loc["hope"]
    assert hope["n_unknown"] == hope["k"]
    out = sof_exports(tab, cer=0.3, threshold="mid", mid=0.2, filters_words="all", model_words="DL")
    shown = out.shown.set_index("Outcome")
    assert shown.loc[hope["label"], "Participants"] == "unknown"
    pr_label = tab.set_index("outcome").loc["personal_recovery", "label"]
    assert shown.loc[pr_label, "Participants"].startswith("at least ")
    assert any("Participants unknown" in c for c in out.caveats)
