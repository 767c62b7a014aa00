"""The reported and derived effect rows of ``data/effects.csv``.

Every row here comes from a source in ``data/build/sources/``:

* ``effects_from_group_based_review_dataset.csv``: arm-level post-test means/SDs/ns typed from the trial papers by
  the team of the group-based review (GitHub MikkelVembye/Group-based-interventions, ``Data/gb_dat.rds`` at commit
  07b5f4c; checked value by value against that file with ``verify_gb_dat.R``). -> ``reported`` rows, Hedges' g by
  :func:`peerstats.effects.smd`.
* ``effects_from_abstracts_and_tables.csv``: rows with ``status == "extracted"`` (arm-level data) -> ``reported``;
  rows with ``status == "partial"`` that carry a between-group mean difference with its 95% CI and arm sizes ->
  ``derived`` by :func:`peerstats.effects.smd_from_md_ci` (Cochrane Handbook 6.5.2.3); rows that carry an SMD with
  its CI read from another review -> ``reported`` with ``vi`` from the CI (:func:`peerstats.effects.smd_from_smd_ci`).

Every other ``partial`` row is left out, for the reason recorded in ``EXCLUDED`` (written to the codebook).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from peerstats.effects import align_sign, smd, smd_from_md_ci, smd_from_smd_ci

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"

GB_URL = (
    "https://github.com/MikkelVembye/Group-based-interventions/blob/"
    "07b5f4c58b7ce7104a828611b597c4d7189434ee/Data/gb_dat.rds"
)

# gb_dat rows: trial_id, test_name (as in the data set), weeks from baseline -> our outcome coding.
# (outcome, instrument, higher_score_means_more, timepoint label, months from baseline, primary, note)
GB_ROWS = {
    ("barbic2009", "Hope Index", 12): (
        "hope", "Herth Hope Index", True, "post-test, end of the 12-week programme", 2.8, True, ""),
    ("barbic2009", "the Quality of Life index", 12): (
        "quality_of_life", "Quality of Life Index", True, "post-test, end of the 12-week programme", 2.8, True, ""),
    ("barbic2009", "Recovery Assessment Scale", 12): (
        "personal_recovery", "Recovery Assessment Scale (RAS)", True, "post-test, end of the 12-week programme",
        2.8, True, ""),
    ("druss2010", "Health Related Quality of Life (HRQOL) - Physical Component Summary", 24): (
        "self_reported_health", "HRQOL physical component summary", True, "6 months after baseline", 5.5, True,
        "Of the two component scores the physical one is primary (project rule for self-reported health: the "
        "physical component summary, the general medical health the construct names first)."),
    ("druss2010", "Health Related Quality of Life (HRQOL) - Mental Component Summary", 24): (
        "self_reported_health", "HRQOL mental component summary", True, "6 months after baseline", 5.5, False,
        "Second component score of the same trial and time point; not primary."),
    ("druss2018", "Recovery Assessment Scale", 12): (
        "personal_recovery", "Recovery Assessment Scale (RAS)", True,
        "3 months after baseline (6 weeks after the 6-week HARP course)", 2.8, True,
        "Primary: the assessment closest to the end of the 6-week core course (the review data set codes it 6 "
        "weeks after the end of the intervention); the abstract's primary endpoint is 6 months."),
    ("druss2018", "Short-Form Health Survey (SF-36) Physical", 12): (
        "self_reported_health", "SF-36 physical component summary", True,
        "3 months after baseline (6 weeks after the 6-week HARP course)", 2.8, True,
        "CAUTION: in the source data set the peer arm's 3-month PCS and MCS values are identical (34.49, SD 11.15), "
        "which suggests a transcription error in one of them; kept as the source gives them."),
    ("druss2018", "Short-Form Health Survey (SF-36) Mental", 12): (
        "self_reported_health", "SF-36 mental component summary", True,
        "3 months after baseline (6 weeks after the 6-week HARP course)", 2.8, False,
        "CAUTION: peer-arm values identical to the PCS row (see there); not primary."),
    ("druss2018", "Recovery Assessment Scale", 24): (
        "personal_recovery", "Recovery Assessment Scale (RAS)", True, "6 months after baseline", 5.5, False,
        "Later time point; not primary."),
    ("druss2018", "Short-Form Health Survey (SF-36) Physical", 24): (
        "self_reported_health", "SF-36 physical component summary", True, "6 months after baseline", 5.5, False,
        "Later time point; not primary."),
    ("druss2018", "Short-Form Health Survey (SF-36) Mental", 24): (
        "self_reported_health", "SF-36 mental component summary", True, "6 months after baseline", 5.5, False,
        "Later time point; not primary."),
    ("vangestel2012", "The Dutch Empowerment Scale", 12): (
        "empowerment", "Dutch Empowerment Scale", True, "3 months (end of the 12-week course)", 3.0, True, ""),
    ("vangestel2012", "The Dutch Empowerment Scale", 24): (
        "empowerment", "Dutch Empowerment Scale", True, "6 months (3 months after the course)", 6.0, False,
        "Follow-up; not primary."),
    ("vangestel2012", "The Herth Hope Index", 12): (
        "hope", "Herth Hope Index (Dutch version)", True, "3 months (end of the 12-week course)", 3.0, True, ""),
    ("vangestel2012", "The Herth Hope Index", 24): (
        "hope", "Herth Hope Index (Dutch version)", True, "6 months (3 months after the course)", 6.0, False,
        "Follow-up; not primary."),
    ("vangestel2012", "The Loneliness Scale", 12): (
        "loneliness", "Loneliness Scale (0-11; higher = more loneliness)", True,
        "3 months (end of the 12-week course)", 3.0, True, ""),
    # The 6-month loneliness row is left out: its means equal its SDs (3.87/3.68), a transcription error.
    ("vangestel2012", "The Manchester Short Assessment of Quality of Life", 12): (
        "quality_of_life", "Manchester Short Assessment of Quality of Life (MANSA)", True,
        "3 months (end of the 12-week course)", 3.0, True, ""),
    ("vangestel2012", "The Manchester Short Assessment of Quality of Life", 24): (
        "quality_of_life", "Manchester Short Assessment of Quality of Life (MANSA)", True,
        "6 months (3 months after the course)", 6.0, False, "Follow-up; not primary."),
    ("vangestel2012", "The Mental Health Confidence Scale", 12): (
        "self_efficacy", "Mental Health Confidence Scale", True, "3 months (end of the 12-week course)", 3.0, True,
        "Not in the paper's self-efficacy list for peers added to hospital services (32, 40, 41): the paper did not "
        "pool this row there (paper_cells empty)."),
    ("vangestel2012", "The Mental Health Confidence Scale", 24): (
        "self_efficacy", "Mental Health Confidence Scale", True, "6 months (3 months after the course)", 6.0, False,
        "Follow-up; not primary."),
}

GB_AUTHORS = {  # gb_dat.rds columns authors and year
    "barbic2009": ("Barbic et al.", 2009),
    "druss2010": ("Druss et al.", 2010),
    "druss2018": ("Druss et al.", 2018),
    "vangestel2012": ("Gestel-Timmermans et al.", 2012),
}

HENSEL_ADJUSTED = (
    "CAUTION, an adjusted difference: this row starts from the abstract's 'adjusted' between-group difference (a "
    "model-based difference; the adjustment set is not given in the abstract), not from end-point means and SDs. The "
    "SD behind g is backed out of that difference's CI, so where the adjustment (e.g. for baseline) explains "
    "variance the SD is smaller than the raw end-point SD and g comes out larger than an end-point SMD: likely "
    "inflated, and a plausible cause of the online personal-recovery gap (0.317 recomputed vs the paper's 0.27). "
    "Unadjusted numbers were looked for and not reached: the journal's full text (J Med Internet Res "
    "2019;21(6):e10838, https://jmir.org/2019/6/e10838) is stored only up to its abstract, and no other stored "
    "source (registry, reviews, the BMC Psychiatry 2019 extension study, which re-randomised completers) gives the "
    "main trial's 3-month arm means and SDs."
)

# Extraction rows (index in effects_from_abstracts_and_tables.csv) used, with our decisions.
# kind: "arms" (extracted arm data -> reported), "md_ci" (derived), "smd_ci" (reported SMD from a review).
EXTRACTION_ROWS = {
    55: dict(kind="arms", primary=True, note=""),
    56: dict(kind="arms", primary=False, note="SF-12 mental component; not primary (physical component is)."),
    57: dict(kind="arms", primary=True, note="SF-12 physical component: primary for self-reported health "
             "(project rule: physical component summary)."),
    58: dict(kind="arms", primary=False, note="SF-12 general health functioning; not primary."),
    59: dict(kind="arms", primary=True, note="Construct mapping by the extractor: patient activation -> "
             "empowerment (could be read as self-efficacy)."),
    54: dict(kind="md_ci", n=(114, 102), primary=True, timepoint="6 months (end of intervention; Cochrane "
             "'medium term')", months=6.0, note="Study attribution of the single-study Cochrane analysis is "
             "inferred (N = 216 and CGI as listed for Mahlke 2017 in its characteristics table). n are the "
             "randomised arm sizes (their sum equals the analysis N)."),
    191: dict(kind="md_ci", n=(74, 84), primary=True, timepoint="3 months (end of the 12-week group)",
              months=3.0, note="Attributed to Eisen 2012 by Cochrane's characteristics table (VR-12; arms 74 + 84 "
              "= analysis N 158). Peer vs usual care; the clinician-led arm is not in this comparison."),
    96: dict(kind="md_ci", n=(229, 229), primary=True, timepoint="end of intervention (Cochrane 'medium term'; "
             "presumably the 2-month post-test)", months=2.0, note="Study attribution inferred (N = 458 exceeds "
             "every other trial in the Cochrane review; BSI listed as usable for Cook 2012b = WRAP). Arm sizes not "
             "given: the analysis N of 458 is split equally (229 + 229), which affects only the small-sample "
             "factors."),
    157: dict(kind="md_ci", n=(260, 186), primary=True, timepoint="3 months (end of the 3-month access)",
              months=3.0, note="Adjusted mean difference, immediate vs delayed access; n are the participants "
              "with 3-month data (260 of 542 and 186 of 270). 260 + 186 + 300 (Kaplan) = 746, the N the paper "
              "gives for its online personal-recovery cell, so these are the ns the paper used. " + HENSEL_ADJUSTED),
    158: dict(kind="md_ci", n=(260, 186), primary=True, timepoint="3 months (end of the 3-month access)",
              months=3.0, note="Adjusted mean difference (PHQ-9; higher = more depression), immediate vs delayed "
              "access; n as for the personal-recovery row. " + HENSEL_ADJUSTED),
    159: dict(kind="md_ci", n=(260, 186), primary=True, timepoint="3 months (end of the 3-month access)",
              months=3.0, note="Adjusted mean difference (GAD-7; higher = more anxiety), immediate vs delayed "
              "access; n as for the personal-recovery row. " + HENSEL_ADJUSTED),
    193: dict(kind="smd_ci", primary=False, timepoint="8 months (6 months after the 8-week course)", months=8.0,
              note="SMD as reported by Lloyd-Evans 2014 Table 3 for its reference [45], attributed to the WRAP "
              "trial (single trial, N = 448, 6 months post-treatment; not verified against the review's "
              "reference list). Sign: the review's negative SMDs favour peer support, here fewer symptoms. "
              "Follow-up, so not primary (the Cochrane BSI row is)."),
    194: dict(kind="smd_ci", primary=True, timepoint="8 months (6 months after the 8-week course)", months=8.0,
              note="SMD as reported by Lloyd-Evans 2014 Table 3 for its reference [45], attributed to the WRAP "
              "trial (not verified against the review's reference list). Only row for this trial and outcome, "
              "so primary although it is a follow-up value."),
}

# Partial rows not used, with the reason (for the codebook).
EXCLUDED_REASONS = {
    "per-year or condition-by-time model coefficient, not an end-of-intervention between-group difference":
        "boevink2016 (self_efficacy, overall_symptoms); cook2012_wrap (overall_symptoms BSI coefficient, hope, "
        "quality_of_life); cook2012_bridges (personal_recovery, hope); segal2013 (stigma, two path coefficients)",
    "group-by-time interaction statistic (t, z or F with more than 1 numerator df) from a repeated-measures model, "
    "not a two-group end-point test (the formulas of Cochrane 6.5.2 need t or F(1, df) of the end-point comparison)":
        "muralidharan2019 (overall_symptoms, t = -2.02, df = 603); chinman2015 (self_efficacy, z = 2.00); "
        "segal2010 (five outcomes, F with 3 and 491 df)",
    "p-value only (repeated-measures average or change score), no estimate or SD":
        "ludman2016 (depression, personal_recovery); druss2018 (personal_recovery p = .02 and SF-36 change "
        "scores; the trial's arm-level post-test values come from the group-based review data set instead); "
        "segal2011 (three outcomes)",
    "difference in change scores: an SMD of change scores must not be pooled with SMDs of final values "
    "(Cochrane Handbook 10.5.2)": "laracabrera2016_education (overall_symptoms, BASIS-32 net change -0.27)",
    "eta-squared of an omnibus ANOVA, not convertible to an end-point SMD without arm data":
        "corrigan2017 (four outcomes)",
    "non-inferiority t statistic (includes the margin) and within-arm effect sizes": "mathews2018 "
    "(overall_symptoms)",
    "binary abstinence rates without arm sizes": "peterson2009 (overall_symptoms, three comparisons)",
}


def _num(x):
    return float(x) if str(x).strip() not in ("", "nan") else np.nan


def _base_row(**kw):
    row = dict(
        effect_id="", trial_id="", outcome="", instrument="", higher_score_means_more=True, timepoint="",
        timepoint_months=np.nan, comparison="", n_peer=np.nan, mean_peer=np.nan, sd_peer=np.nan,
        n_control=np.nan, mean_control=np.nan, sd_control=np.nan, md=np.nan, md_ci_low=np.nan,
        md_ci_high=np.nan, smd_reported=np.nan, smd_ci_low=np.nan, smd_ci_high=np.nan, yi=np.nan, vi=np.nan,
        provenance="", formula="", source_url="", source_locator="", source_quote="", primary=False,
        paper_cells="", target_cell="", note="", doubt="",
    )
    row.update(kw)
    return row


def gb_rows() -> list[dict]:
    gb = pd.read_csv(SOURCES / "effects_from_group_based_review_dataset.csv")
    control = {"barbic2009": "tau", "druss2010": "tau", "druss2018": "tau", "vangestel2012": "waitlist"}
    rows = []
    for _, r in gb.iterrows():
        key = (r["trial_id"], r["test_name"], int(r["time_from_baseline_weeks"]))
        if key not in GB_ROWS:
            continue
        outcome, instrument, hsm, tp, months, primary, note = GB_ROWS[key]
        yi, vi = smd(r["m_post_t"], r["sd_post_t"], r["N_t"], r["m_post_c"], r["sd_post_c"], r["N_c"])
        yi = float(align_sign(yi, hsm))
        quote = (
            f"authors={GB_AUTHORS[r['trial_id']][0]}; year={GB_AUTHORS[r['trial_id']][1]}; "
            f"test_name={r['test_name']}; "
            f"time_from_baseline_weeks={int(r['time_from_baseline_weeks'])}; N_t={int(r['N_t'])}; "
            f"N_c={int(r['N_c'])}; m_post_t={r['m_post_t']:g}; m_post_c={r['m_post_c']:g}; "
            f"sd_post_t={r['sd_post_t']:g}; sd_post_c={r['sd_post_c']:g}"
        )
        rows.append(_base_row(
            trial_id=r["trial_id"], outcome=outcome, instrument=instrument, higher_score_means_more=hsm,
            timepoint=tp, timepoint_months=months, comparison=control[r["trial_id"]],
            n_peer=int(r["N_t"]), mean_peer=r["m_post_t"], sd_peer=r["sd_post_t"],
            n_control=int(r["N_c"]), mean_control=r["m_post_c"], sd_control=r["sd_post_c"],
            yi=yi, vi=float(vi), provenance="reported", formula="smd (Hedges' g from arm means/SDs/ns)",
            source_url=GB_URL,
            source_locator=(
                "Group-based review data set (Dalgaard, Vembye et al.), Data/gb_dat.rds at commit 07b5f4c, row "
                f"with authors '{GB_AUTHORS[r['trial_id']][0]}', year {GB_AUTHORS[r['trial_id']][1]}, "
                f"test_name '{r['test_name']}', "
                f"time_from_baseline_weeks {int(r['time_from_baseline_weeks'])}; values typed from the trial "
                "paper by that review team"
            ),
            source_quote=quote, primary=primary, note=note,
        ))
    return rows


def extraction_rows() -> list[dict]:
    ex = pd.read_csv(SOURCES / "effects_from_abstracts_and_tables.csv", keep_default_na=False, dtype=str)
    rows = []
    for idx, spec in EXTRACTION_ROWS.items():
        r = ex.loc[idx]
        hsm = r["higher_score_means_more"].strip().lower() == "true"
        base = dict(
            trial_id=r["trial_id"], outcome=r["outcome"], instrument=r["instrument"], higher_score_means_more=hsm,
            comparison=r["comparison"], source_url=r["source_url"].split(" ; ")[0].split(" | ")[0],
            source_locator=r["source_locator"], source_quote=r["source_quote"], primary=spec["primary"],
            note=spec["note"],
        )
        if spec["kind"] == "arms":
            n1, m1, s1 = _num(r["n_peer"]), _num(r["mean_peer"]), _num(r["sd_peer"])
            n2, m2, s2 = _num(r["n_control"]), _num(r["mean_control"]), _num(r["sd_control"])
            yi, vi = smd(m1, s1, n1, m2, s2, n2)
            rows.append(_base_row(
                **base, timepoint="post-intervention (about 3 months)", timepoint_months=_num(r["timepoint_months"]),
                n_peer=int(n1), mean_peer=m1, sd_peer=s1, n_control=int(n2), mean_control=m2, sd_control=s2,
                yi=float(align_sign(yi, hsm)), vi=float(vi), provenance="reported",
                formula="smd (Hedges' g from arm means/SDs/ns)",
            ))
        elif spec["kind"] == "md_ci":
            md, lo, hi = _parse_md(r["other_stats"])
            n1, n2 = spec["n"]
            yi, vi = smd_from_md_ci(md, lo, hi, n1, n2)
            rows.append(_base_row(
                **base, timepoint=spec["timepoint"], timepoint_months=spec["months"], n_peer=n1, n_control=n2,
                md=md, md_ci_low=lo, md_ci_high=hi, yi=float(align_sign(yi, hsm)), vi=float(vi),
                provenance="derived",
                formula="smd_from_md_ci (Cochrane Handbook 6.5.2.3: SD from the t-based 95% CI of the mean "
                        "difference and the arm sizes, then Hedges' g)",
            ))
        elif spec["kind"] == "smd_ci":
            s, lo, hi = _num(r["smd"]), _num(r["smd_ci_low"]), _num(r["smd_ci_high"])
            yi, vi = smd_from_smd_ci(s, lo, hi)
            rows.append(_base_row(
                **base, timepoint=spec["timepoint"], timepoint_months=spec["months"], smd_reported=s,
                smd_ci_low=lo, smd_ci_high=hi, yi=float(yi), vi=float(vi), provenance="reported",
                formula="smd_from_smd_ci (reported SMD; vi from its 95% CI)",
            ))
    return rows


def _parse_md(text: str) -> tuple[float, float, float]:
    """Pull 'X (95% CI A to B)' or 'X, 95% CI A to B' or 'X [A, B]' out of an other_stats cell."""
    import re

    t = text.replace("\u2212", "-").replace("\u2010", "-")
    num = r"(-?\d+(?:\.\d+)?)"
    for pat in (
        num + r"\s*(?:points\s*)?\(95% CI\s*" + num + r"\s*to\s*" + num + r"\)",
        num + r",\s*95% CI\s*" + num + r"\s*to\s*" + num,
        num + r"\s*\[" + num + r",\s*" + num + r"\]",
    ):
        m = re.search(pat, t)
        if m:
            return tuple(float(g) for g in m.groups())
    raise ValueError(f"no mean difference with CI in {text!r}")


def real_rows() -> pd.DataFrame:
    """All reported and derived rows, with the primary row of each trial x outcome chosen by ``primary.py``."""
    from metapsy_effects import metapsy_rows
    from primary import choose_primary

    return choose_primary(pd.DataFrame(gb_rows() + extraction_rows() + metapsy_rows(_base_row)))


if __name__ == "__main__":
    df = real_rows()
    pd.set_option("display.width", 250)
    print(df[["trial_id", "outcome", "instrument", "provenance", "md", "md_ci_low", "md_ci_high", "yi", "vi",
              "primary"]].to_string())
