"""The robustness sections of the Sensitivity and Small-study effects pages show peerstats' numbers (AppTest)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import text
from peerstats import influence, pet_peese, s_value
from peerstats.data import load_evidence
from peerstats.planning import shift_to_null
from peerstats.select import Filters, select

pytestmark = pytest.mark.apptest
APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _page(path: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(str(Path(APP).parent / path)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_sensitivity_influence_and_what_would_it_take():
    sel = select(load_evidence(), Filters(), "personal_recovery")
    at = _page("pages/sensitivity.py")
    m = {x.label: x.value for x in at.metric}
    real = sel.effects["provenance"].isin(["reported", "derived"]).to_numpy()
    assert not real.all()
    sv = s_value(sel.yi[real], sel.vi[real])  # real rows by default (issue 17), as the Small-study page
    assert m["S-value (publication bias)"] == ("∞" if np.isinf(sv.s_value) else text.fmt(sv.s_value, 1))
    assert m["Worst case (non-significant trials only)"] == text.fmt(sv.worst_case)
    assert any(f"{int((~real).sum())} reconstructed rows are left out" in x.value for x in at.markdown)
    inf = influence(sel.yi, sel.vi, "DL")
    tables = [d.value for d in at.dataframe if "Cook's D" in d.value.columns]
    assert len(tables) == 1
    np.testing.assert_allclose(np.sort(tables[0]["Cook's D"].to_numpy()), np.sort(inf["cook_d"].to_numpy()))
    eff = sel.effects
    # high risk as peerstats.risk_of_bias defines it (issue 18): AHRQ poor, a key domain high, or RoB 2 overall high
    weak = eff["quality"].eq("poor").to_numpy() | eff["rob2_overall"].astype(str).eq("high").to_numpy()
    for d in ("rob_sequence_generation", "rob_allocation_concealment", "rob_blinding_assessors", "rob_incomplete_data"):
        weak |= eff[d].astype(str).eq("high").to_numpy()
    shift = shift_to_null(sel.yi, sel.vi, weak, method="DL")
    assert any(f"effects {text.fmt(abs(shift))} SMD lower" in x.value for x in at.markdown)


def test_small_study_pet_peese_on_real_rows_by_default():
    sel = select(load_evidence(), Filters(), "personal_recovery")
    real = sel.effects["provenance"].isin(["reported", "derived"]).to_numpy()
    pp = pet_peese(sel.yi[real], sel.vi[real])
    at = _page("pages/small-study-effects.py")
    m = {x.label: x.value for x in at.metric}
    assert m["PET (SE as predictor)"] == text.fmt(pp.pet)
    assert m["PEESE (variance)"] == text.fmt(pp.peese)
    # the funnel's text alternative: its numbers in a caption, its points in "Data of this chart"
    from peerstats.meta import trim_and_fill
    yi, se = sel.yi[real], np.sqrt(sel.vi[real])
    assert any(x.value.startswith(f"{int(real.sum())} trials: SMD from {text.fmt(yi.min())} to {text.fmt(yi.max())}")
               and f"standard error from {text.fmt(se.min(), 3)} to {text.fmt(se.max(), 3)}" in x.value
               for x in at.caption)
    data = next(e for e in at.expander if e.label == "Data of this chart")
    (table,) = [d.value for d in data.dataframe]
    k0 = trim_and_fill(sel.yi[real], sel.vi[real], method="DL").k0
    assert len(table) == real.sum() + k0
    np.testing.assert_allclose(table["SMD"].to_numpy()[:real.sum()], yi)
    np.testing.assert_allclose(table["Standard error"].to_numpy()[:real.sum()], se)
    assert (table["Row"].iloc[real.sum():] == "imputed by trim-and-fill (not data)").all()


def test_multiverse_page_counts_and_next_trial_power():
    from peerstats import power_next_trial, specifications
    from peerstats.select import Filters
    ev = load_evidence()
    specs = specifications(ev, "personal_recovery")
    excl = ((specs["ci_low"] > 0) | (specs["ci_high"] < 0)).mean()
    at = _page("pages/multiverse.py")
    m = {x.label: x.value for x in at.metric}
    assert m["Specifications"] == f"{len(specs):,}"
    assert m["CI excludes zero"] == text.fmt_pct(100 * excl)
    # the 'all rows' points depend on how the imputed values are assigned: said with the current view's range
    from peerstats.imputation import for_view

    rng = for_view(ev, Filters(), "personal_recovery")
    n_all = int((specs["rows"] == "all rows").sum())
    assert any(x.value.startswith(f"The {n_all:,} 'all rows' specifications") and
               f"{text.fmt(rng.estimate_low)} to {text.fmt(rng.estimate_high)}" in x.value for x in at.caption)
    # the curve's text alternative: its numbers in a caption, and its points in "Data of this chart"
    fin = np.sort(specs["estimate"].to_numpy(dtype=float))
    assert any(x.value.startswith(f"{len(specs):,} specifications, sorted by pooled estimate") and
               f"median {np.median(fin):.2f}".replace("-", "\u2212") in x.value for x in at.caption)
    data = next(e for e in at.expander if e.label == "Data of this chart")
    (table,) = [d.value for d in data.dataframe]
    assert len(table) == len(specs)
    np.testing.assert_allclose(table["Estimate"], fin)
    sel = select(ev, Filters(), "personal_recovery")
    from peerstats import pool
    est = pool(sel.yi, sel.vi).estimate
    pw = power_next_trial(sel.yi, sel.vi, 100, est, method="DL", n_sim=2000)
    assert any(f"**{text.fmt(pw.power, 3)}**" in x.value for x in at.markdown)


def _designer_page(trials, query=None) -> AppTest:
    """The Multiverse page with the designer's table set to ``trials`` (what the editor keeps between runs)."""
    import pandas as pd
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(query or {})
    at.run()
    at.session_state["_mv_trials"] = pd.DataFrame(trials)
    at.switch_page(str(Path(APP).parent / "pages/multiverse.py")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_designer_before_after_with_a_trial_the_view_leaves_out():
    from peerstats import pool
    from peerstats.sof import summary_of_findings
    trials = [{"n_per_arm": 500, "as_pooled": False, "smd": 0.5, "category": "online", "quality": "poor",
               "control": "tau", "leadership": "peer_led"},
              {"n_per_arm": 200, "as_pooled": False, "smd": 0.4, "category": "online", "quality": "good",
               "control": "waitlist", "leadership": "co_led"}]
    at = _designer_page(trials, {"quality": "good,fair"})
    ev = load_evidence()
    f = Filters(quality=("good", "fair"))
    sel = select(ev, f, "personal_recovery")
    # only the good-quality trial passes "good, fair": 200 per arm, SMD 0.4 -> v = 2/200 + 0.16/800
    after = pool(np.append(sel.yi, 0.4), np.append(sel.vi, 2 / 200 + 0.16 / 800), "DL")
    before = pool(sel.yi, sel.vi, "DL")
    tables = {tuple(d.value.columns): d.value for d in at.dataframe}
    listed = next(v for c, v in tables.items() if "Hypothetical trial" in c)
    assert listed["Hypothetical trial"].tolist() == ["Hypothetical trial 1", "Hypothetical trial 2"]
    assert listed["In the current view"][0].startswith("no: The view keeps AHRQ quality Good, Fair only")
    assert listed["In the current view"][1] == "yes"
    ba = next(v for c, v in tables.items() if "GRADE certainty" in c)
    np.testing.assert_allclose(ba["SMD"], [before.estimate, after.estimate], rtol=1e-12)
    assert ba["k"].tolist() == [sel.k, sel.k + 1]
    assert ba["95% CI"][1] == text.fmt_ci(after.ci_low, after.ci_high)
    assert ba[""][1] == "with 1 hypothetical trial"
    n_now = float(sel.effects["n"].sum())
    assert ba["Participants"].tolist() == [text.fmt_int(n_now), text.fmt_int(n_now + 400)]
    sof = summary_of_findings(ev, f, "DL", "z")
    row = sof[sof["outcome"] == "personal_recovery"].iloc[0]
    assert ba["GRADE certainty"][0] == f"{row['symbols']} {row['certainty_label']}"
    assert any("would not pass the current view's filters" in x.value for x in at.info)
    # no trial data is labelled hypothetical, and no hypothetical trial is shown as trial data
    assert not any("Hypothetical" in str(v) for d in at.dataframe if "Hypothetical trial" not in d.value.columns
                   for v in d.value.astype(str).to_numpy().ravel())


def test_designer_invalid_table_shows_words_not_a_traceback():
    at = _designer_page([{"n_per_arm": None, "as_pooled": True, "smd": 0.2, "category": "online",
                          "quality": "good", "control": "tau", "leadership": "peer_led"}])
    assert any("participants per arm must be a number of at least 2" in w.value for w in at.warning)


def test_sensitivity_s_value_switch_includes_reconstructed_rows():
    sel = select(load_evidence(), Filters(), "personal_recovery")
    at = _page("pages/sensitivity.py")
    at.checkbox(key="sens_sv_include_reconstructed").check().run()
    assert not at.exception and not at.error
    m = {x.label: x.value for x in at.metric}
    sv = s_value(sel.yi, sel.vi)
    assert m["Worst case (non-significant trials only)"] == text.fmt(sv.worst_case)


def test_sensitivity_imputation_range():
    from peerstats.imputation import for_view

    ev = load_evidence()
    rng = for_view(ev, Filters(), "personal_recovery")
    after = for_view(ev, Filters(quality=("good", "fair")), "personal_recovery")
    at = _page("pages/sensitivity.py")
    m = {x.label: x.value for x in at.metric}
    assert m["Range over assignments"] == text.fmt_ci(rng.estimate_low, rng.estimate_high)
    assert m["Assignments pooled"] == f"{rng.n_assignments:,}"
    words = [x.value for x in at.markdown if x.value.startswith("**Poor-quality trials excluded:**")]
    assert len(words) == 1 and f"{text.fmt(after.estimate_low)} to {text.fmt(after.estimate_high)}" in words[0]
    # the "after" headline has its own range line
    lines = [x.value for x in at.markdown if "imputed rows: the estimate ranges" in x.value]
    assert any(f"{text.fmt(after.estimate_low)} to {text.fmt(after.estimate_high)}" in x for x in lines)
