"""Reported effect rows from the Metapsy data sets (Smit et al. 2022 peer-support data; Westerhof 2019).

Source: ``sources/metapsy_rows.csv``, the data-set lines verbatim (checked against the files by
``verify_metapsy.py``). Each line used is mapped below (``ROWS``) to one of the paper's constructs, with this
project's decision on its doubts.

Reading the lines (the traps of the data set, see ``data/README.md``):

* semicolon-separated, decimal commas, double-encoded UTF-8 (kept verbatim in the quote);
* arm 1 is peer support (codebook); ``time_weeks`` holds months in the peer-support data set;
* ``.g``/``.g_se`` are metapsyTools' Hedges' g with **positive = favours peer support**. This is checked, not
  assumed: :func:`sign_check` recomputes g from the arm columns of every line that has them and requires
  ``.g = benefit * yi`` (``yi`` in construct direction, ``benefit`` = +1 when more of the construct is beneficial)
  to within 0.006, except the two Davidson 2004 lines whose flags are in doubt;
* the precalculated (``precalc_*``), dichotomous and baseline columns are **not aligned** with their rows in the
  peer-support file and are never read. Lines without arm data give only ``.g``/``.g_se`` ("g-only"), turned into
  construct direction with the checked convention: ``yi = benefit * .g``, ``vi = .g_se^2``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from peerstats.data import OUTCOMES
from peerstats.effects import align_sign, smd

HERE = Path(__file__).resolve().parent
EXCERPTS = HERE / "sources" / "metapsy_rows.csv"

SMIT = "Smit et al. 2022 peer-support data set (Metapsy; Zenodo 10.5281/zenodo.7687898)"
WESTERHOF = "Metapsy depression psychotherapy data set (data-depression-psyctr)"

DOUBT_SALZER = (
    "As typed, the SDs look like standard errors: {sds} on a scale whose means are {means} ({compare}); g as typed "
    "({g}) would be inflated several-fold. Decision: NOT POOLED as typed (shown only); the derived row of the same "
    "line reads the SDs as standard errors (SD = SE x sqrt(n)) and is pooled, flagged as an assumption."
)
SALZER_COMPARE = {
    "personal_recovery": "the RAS totals of the other trials here have SDs of 12.8-14.4",
    "quality_of_life": "Lehman QoL item means on a 1-7 scale; Kaplan 2011's Lehman QoL SDs here are 0.70 and 1.0",
}
ASSUMPTION_SALZER = (
    "ASSUMPTION: the data set's SD columns of this line are read as standard errors (SD = SE x sqrt(n)); the paper "
    "gives no SD to confirm it. Decision: pooled (primary), flagged as an assumption, so the 'leave out doubtful "
    "rows' switch removes it."
)
DAVIDSON_COMPARATOR = (
    "Comparator: the 'no partner' arm (n 70). The trial randomised 260 'to one of three conditions ... (a) not "
    "matched with a volunteer partner (N = 70), (b) matched with a volunteer partner who had a personal history of "
    "psychiatric disability (N = 95), or (c) matched with a volunteer partner with no history of psychiatric "
    "disability (N = 95)' (Davidson et al. 2004, J Community Psychol 32:453-477, abstract, "
    "https://www.rand.org/pubs/external_publications/EP20040714.html); the data set's arm 1 (n 95) is (b), its arm 2 "
    "('Other', n 70) is (a), the only arm of 70. Participants of all three arms received the $28 monthly stipend."
)
DAVIDSON_SIGN = (
    " Resolved: the arms are not swapped. Computed from the arm columns as typed, the trial's three lines all "
    "point the same way (the peer-partner arm slightly worse: BPRS higher, GAF lower, well-being lower), in "
    "line with the abstract ('those who were assigned to consumer partners only improved when they did not [meet "
    "with their partners]'), and the well-being line's own .g agrees with its arms. The data set's .g of BPRS and GAF "
    "both say 'favours peer support', which no reading of the arms gives for both (BPRS: higher = worse; GAF: higher "
    "= better): the conflict comes from the data set's direction coding of these two scales. Pooled as computed "
    "from the arms; the data set's .g is kept as a non-primary row."
)
DOUBT_DAVIDSON_TYPED = (
    "As typed: the data set's .g, whose sign conflicts with its own arm columns (the data set's direction coding of "
    "BPRS and GAF, see the primary row). Decision: NOT POOLED (shown only); the row computed from the arms is "
    "primary."
)
DOUBT_KAPLAN = (
    "Three-arm trial (listserv, bulletin board, waitlist); the data set's arm 1 (n {n1}) does not say which online "
    "arm, or both combined, it is; the paper's online cell counts all 300 randomised.{sd} Decision: pooled "
    "(flagged)."
)
DOUBT_G_ONLY = (
    "g only: the data set gives its own g and SE without arm data, and its precalculated/dichotomous columns are not "
    "aligned with their rows, so the inputs, direction, adjustment and time point of this g cannot be checked. "
    "Decision: kept (not in a published cell); its sign follows the data set's convention, checked on the lines "
    "with arm data."
)

NOT_POOLED_MAPPING = (
    "NOT POOLED: the paper's definitions exclude it. {why} The row is shown (Data page) but pooled nowhere, so no "
    "analysis puts a trial in a category x outcome the paper says had no studies."
)
MAPPING = {
    "kaplan2011": (
        "The paper: online peer services had 'No studies reported on the effects of online peer services on overall "
        "psychiatric symptoms' (Results, online paragraph). The HSCL-25 total mixes anxiety (10) and depression (15) "
        "items, and the paper pooled Kaplan in neither online cell (depression: refs 80, 81, 87; anxiety: 'not "
        "applicable because of insufficient data'), so it treated this scale as no comparable construct."),
    "corrigan2017": (
        "The paper: peers independent of hospital services: 'No studies reported on outcomes related to suicidal "
        "ideation, BASIS-24 score, self-reported health, or satisfaction with services' (Results, independent "
        "paragraph); Corrigan 2017 is an independent trial, so the paper did not count its SF-36 as self-reported "
        "health (and the data set's 'POOLED' SF-36 g mixes the subscales)."),
    "craig2004": (
        "The paper: adding peers to hospital services: 'No studies reported outcomes related to anxiety, BASIS-24 "
        "score, and level of function' (Results, hospital paragraph); Craig 2004 is a hospital trial, so the paper "
        "did not count the Life Skills Profile as level of functioning (and 'all: functioning' was 'not applicable "
        "because of insufficient data')."),
    "oconnell2018": (
        "The paper: adding peers to hospital services: 'No studies reported outcomes related to anxiety, BASIS-24 "
        "score, and level of function' (Results, hospital paragraph); O'Connell 2018 is a hospital trial, so the "
        "paper did not count two SF-36 social-functioning items as level of functioning; nor are they the SF-36/SF-12 "
        "summary scores this project maps to self-reported health."),
}

# line (in the peer-support data.csv unless a repo is given) ->
# (trial_id, outcome, instrument, higher_score_means_more, candidate for primary, doubt, note)
PEER = "metapsy-project/data-peer-support-interventions"
DEPR = "metapsy-project/data-depression-psyctr"
ROWS = {
    (PEER, 2): ("boevink2016", "psychotic_symptoms", "CAPE (Community Assessment of Psychic Experiences)", True,
                True, "", "The data set's .g is rounded to -0.05."),
    (PEER, 3): ("boevink2016", "quality_of_life", "Lancashire Quality of Life Profile", True, True, "", ""),
    (PEER, 4): ("boevink2016", "empowerment", "Boston University Empowerment Scale", True, True, "", ""),
    (PEER, 5): ("castelein2008", "quality_of_life", "WHOQOL total", True, True, "", ""),
    (PEER, 6): ("castelein2008", "self_efficacy", "Mental Health Confidence Scale (total)", True, True, "",
                "Filed by Smit et al. under personal recovery; mapped to self-efficacy as Van Gestel-Timmermans' MHCS "
                "is. The paper pooled Castelein in personal recovery with an instrument it does not name, so this "
                "row does not stand for that cell."),
    (PEER, 7): ("cook2012_wrap", "overall_symptoms", "Brief Symptom Inventory, Global Severity Index", True, True,
                "", "Same trial and outcome as the Cochrane-derived row (mean difference -0.13, N 458); this row has "
                "the real arm sizes (224/234) and SDs."),
    (PEER, 8): ("cook2012_wrap", "quality_of_life", "WHOQOL-BREF environment domain", True, True, "", ""),
    (PEER, 9): ("cook2012_wrap", "personal_recovery", "Recovery Assessment Scale (RAS) total", True, True, "", ""),
    (PEER, 10): ("cook2012_bridges", "personal_recovery", "Recovery Assessment Scale (RAS) total", True, True, "",
                 "The data set's time is 3.5 (months), not obviously the immediate post-course interview."),
    (PEER, 11): ("corrigan2017", "overall_symptoms",
                 "Texas Christian University Health Form (TCU-HF), psychological distress", True, True, "", ""),
    (PEER, 12): ("corrigan2017", "self_reported_health", "SF-36 (pooled by the data set)", True, False,
                 DOUBT_G_ONLY + " " + NOT_POOLED_MAPPING.format(why=MAPPING["corrigan2017"]), ""),
    (PEER, 13): ("corrigan2017", "personal_recovery", "Recovery Assessment Scale (RAS) total", True, True,
                 DOUBT_G_ONLY, ""),
    (PEER, 16): ("craig2004", "functioning", "Life Skills Profile (total)", True, False,
                 NOT_POOLED_MAPPING.format(why=MAPPING["craig2004"]), ""),
    (PEER, 17): ("davidson2004", "overall_symptoms", "Brief Psychiatric Rating Scale (BPRS)", True, True,
                 "", DAVIDSON_COMPARATOR + DAVIDSON_SIGN),
    (PEER, 18): ("davidson2004", "functioning", "Global Assessment of Functioning (GAF)", True, True,
                 "", DAVIDSON_COMPARATOR + DAVIDSON_SIGN),
    (PEER, 19): ("davidson2004", "personal_recovery", "Well-being scale (as named in the data set)", True, True,
                 "", "Filed by Smit et al. under personal recovery. " + DAVIDSON_COMPARATOR
                 + " Its .g agrees with its arm columns."),
    (PEER, 30): ("johnson2018", "overall_symptoms", "Brief Psychiatric Rating Scale (BPRS)", True, True, "", ""),
    (PEER, 31): ("johnson2018", "loneliness", "UCLA Loneliness Scale", True, True, "",
                 "Fewer participants (173/171) than the trial's other outcomes."),
    (PEER, 32): ("johnson2018", "personal_recovery", "Questionnaire about the Process of Recovery (QPR)", True, True,
                 "", "Opposite sign to the earlier reconstruction (-0.13), which was fitted, not data."),
    (PEER, 33): ("kaplan2011", "overall_symptoms", "Hopkins Symptom Checklist-25 (HSCL-25)", True, False,
                 DOUBT_KAPLAN.format(n1=99, sd="").replace(" Decision: pooled (flagged).", "") + " "
                 + NOT_POOLED_MAPPING.format(why=MAPPING["kaplan2011"]), ""),
    (PEER, 34): ("kaplan2011", "quality_of_life", "Lehman Quality of Life (as typed)", True, True,
                 DOUBT_KAPLAN.format(n1=90, sd=" Its arm-1 SD 0.696491205974634 is a computed value (from an SE or "
                                     "CI), not a typed SD."), ""),
    (PEER, 35): ("kaplan2011", "personal_recovery", "Recovery Assessment Scale (RAS), item mean", True, True,
                 DOUBT_KAPLAN.format(n1=99, sd=" Its arm-1 SD 0.49749371855331 is a computed value (from an SE or "
                                     "CI), not a typed SD."), ""),
    (PEER, 38): ("ludman2007", "depression", "SCID depression diagnosis (dichotomous; g by the data set)", True,
                 True, DOUBT_G_ONLY, ""),
    (PEER, 39): ("mahlke2017", "overall_symptoms", "Clinical Global Impression (CGI) severity", True, True, "",
                 "Same mean difference (-0.30) as the Cochrane-derived row, but Cochrane's N is 216 and this row's "
                 "arms are 61/42 (with data)."),
    (PEER, 40): ("mahlke2017", "quality_of_life", "EQ-5D (pooled by the data set)", True, True, DOUBT_G_ONLY, ""),
    (PEER, 41): ("mahlke2017", "self_efficacy", "General Self-Efficacy Scale (GSE)", True, True, "", ""),
    (PEER, 42): ("oconnell2018", "overall_symptoms", "Brief Psychiatric Rating Scale (BPRS)", True, True,
                 DOUBT_G_ONLY, ""),
    (PEER, 43): ("oconnell2018", "functioning", "SF-36 social functioning (mean of two items)", True, False,
                 NOT_POOLED_MAPPING.format(why=MAPPING["oconnell2018"]), ""),
    (PEER, 44): ("pfeiffer2018", "suicidal_ideation", "Beck Scale for Suicidal Ideation (BSS)", True, True, "",
                 "Corroborated by Metapsy data-suicide-psyctr data.csv line 139 (.g -0.1237, n 34/36)."),
    (PEER, 45): ("pfeiffer2018", "social_support", "NIH Toolbox social relationships (pooled by the data set)", True,
                 True, DOUBT_G_ONLY, ""),
    (PEER, 46): ("pfeiffer2018", "hope", "Hope Scale", True, True, "", ""),
    (PEER, 49): ("rivera2007", "overall_symptoms", "Brief Symptom Inventory (BSI)", True, True, "",
                 "Means of 4.7/5.1 are not a usual BSI Global Severity Index range (perhaps another summary score); "
                 "the SMD does not depend on the unit."),
    (PEER, 50): ("rivera2007", "quality_of_life", "Lehman Quality of Life Inventory (pooled by the data set)", True,
                 True, DOUBT_G_ONLY, ""),
    (PEER, 57): ("rusch2014", "empowerment", "Empowerment Scale", True, True, "",
                 "The data set's time is 0.7 (months): the end of the three-session programme."),
    (PEER, 58): ("russinova2014", "depression", "CES-D", True, True, "", ""),
    (PEER, 59): ("russinova2014", "personal_recovery", "Personal Growth and Recovery Scale (PGRS)", True, True, "",
                 ""),
    (PEER, 60): ("salzer2016", "quality_of_life", "Lehman Quality of Life (as typed)", True, False,
                 DOUBT_SALZER.format(sds="0.14/0.15", means="4.65/4.53", g="0.82",
                                     compare=SALZER_COMPARE["quality_of_life"]), ""),
    (PEER, 61): ("salzer2016", "personal_recovery", "Recovery Assessment Scale (RAS) total", True, False,
                 DOUBT_SALZER.format(sds="1.49/1.54", means="80.23/78.79", g="0.94",
                                     compare=SALZER_COMPARE["personal_recovery"]), ""),
    (PEER, 66): ("vangestel2012", "quality_of_life", "Manchester Short Assessment of Quality of Life (MANSA)", True,
                 True, "", "Identical to the group-based review data set's row: corroboration."),
    (PEER, 67): ("vangestel2012", "empowerment", "Dutch Empowerment Scale", True, True, "",
                 "Identical to the group-based review data set's row: corroboration."),
    (DEPR, 887): ("westerhof2019", "depression", "CES-D", True, True, "",
                  "Peer-supported online life-review arm vs waitlist; ns 14/12 are completers (randomised 20/19); the "
                  "SDs (4.677) are computed values (SE x sqrt(n)) in the source."),
}

COMPARISON = {"WL": "waitlist", "wl": "waitlist", "CAU": "tau",
              "Other": "active:non-peer arm not identified (data set code 'Other')"}
COMPARISON_BY_TRIAL = {  # where the data set's code 'Other' is identified
    "davidson2004": "tau:no-partner arm (not matched with a volunteer partner, monthly stipend; n 70)",
}


def _num(s: str) -> float:
    return float(s.replace(",", ".")) if s not in ("NA", "", "NR") else np.nan


def read_excerpts() -> dict[tuple[str, int], dict]:
    """Every excerpt line as a dict of the data set's columns (strings, verbatim), keyed by (repo, line)."""
    out: dict[tuple[str, int], dict] = {}
    headers: dict[str, list[str]] = {}
    with EXCERPTS.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            fields = next(csv.reader([row["text"]], delimiter=";"))
            if row["id"] == "(header)":
                headers[row["repo"]] = fields
                continue
            rec = dict(zip(headers[row["repo"]], fields))
            rec.update(_repo=row["repo"], _commit=row["commit"], _path=row["path"], _line=int(row["line"]),
                       _id=row["id"], _text=row["text"])
            out[(row["repo"], int(row["line"]))] = rec
    return out


def _arms(rec: dict):
    vals = [_num(rec[c]) for c in ("mean_arm1", "sd_arm1", "n_arm1", "mean_arm2", "sd_arm2", "n_arm2")]
    return vals if np.all(np.isfinite(vals)) else None


def sign_check() -> list[tuple[str, int, float, float]]:
    """(trial, line, .g, benefit * yi) for every mapped line with arm data; raises if the convention fails.

    The two Davidson 2004 lines whose direction flags are in doubt (BPRS, GAF) are returned but not required to
    agree.
    """
    ex = read_excerpts()
    out = []
    for key, (tid, outcome, _inst, hsm, *_rest) in ROWS.items():
        rec = ex[key]
        arms = _arms(rec)
        if arms is None:
            continue
        yi = float(align_sign(smd(*arms).yi, hsm))
        expected = OUTCOMES[outcome][2] * yi
        g = _num(rec[".g"])
        out.append((tid, key[1], g, expected))
        if not (tid == "davidson2004" and key[1] in (17, 18)) and abs(g - expected) > 0.006:
            raise AssertionError(f"{tid} line {key[1]}: .g {g} vs benefit*yi {expected}")
    return out


def metapsy_rows(base_row) -> list[dict]:
    """The effect rows, built with ``base_row`` (the column defaults of ``real_effects``)."""
    sign_check()
    ex = read_excerpts()
    rows = []
    for key, (tid, outcome, instrument, hsm, candidate, doubt, note) in ROWS.items():
        rec = ex[key]
        repo, line = key
        smit = repo == PEER
        months = _num(rec["time_weeks"]) if smit else np.nan
        tp = (f"post-test (data set: time 'post', time_weeks {rec['time_weeks']}, which this data set uses for "
              "months)") if smit else "post-test (data set: time 'post')"
        common = dict(
            trial_id=tid, outcome=outcome, instrument=instrument, higher_score_means_more=hsm, timepoint=tp,
            timepoint_months=months,
            comparison=COMPARISON_BY_TRIAL.get(tid, COMPARISON[rec["condition_arm2"]]),
            source_url=f"https://github.com/{repo}/blob/{rec['_commit']}/{rec['_path']}#L{line}",
            source_locator=(f"{SMIT if smit else WESTERHOF}, GitHub {repo}, {rec['_path']} at commit "
                            f"{rec['_commit'][:7]}, line {line}, .id {rec['_id']}"),
            source_quote=rec["_text"], primary=candidate, doubt=doubt, note=note,
        )
        arms = _arms(rec)
        if arms is not None:
            m1, s1, n1, m2, s2, n2 = arms
            es = smd(m1, s1, n1, m2, s2, n2)
            rows.append(base_row(
                **common, n_peer=int(n1), mean_peer=m1, sd_peer=s1, n_control=int(n2), mean_control=m2,
                sd_control=s2, yi=float(align_sign(es.yi, hsm)), vi=float(es.vi), provenance="reported",
                formula="smd (Hedges' g from arm means/SDs/ns)",
            ))
        else:
            g, se = _num(rec[".g"]), _num(rec[".g_se"])
            n1, n2 = _num(rec["n_arm1"]), _num(rec["n_arm2"])
            rows.append(base_row(
                **common, n_peer=int(n1) if np.isfinite(n1) else np.nan,
                n_control=int(n2) if np.isfinite(n2) else np.nan, smd_reported=g,
                yi=float(OUTCOMES[outcome][2] * g), vi=float(se**2), provenance="reported",
                formula="Metapsy .g and .g_se (metapsyTools Hedges' g, positive favours peer support): yi = .g "
                        "turned into construct direction (sign of OUTCOMES benefit), vi = .g_se^2",
            ))
        rows.extend(_resolutions(key, rec, common, base_row))
    return rows


G_ONLY_FORMULA = ("Metapsy .g and .g_se (metapsyTools Hedges' g, positive favours peer support): yi = .g turned into "
                  "construct direction (sign of OUTCOMES benefit), vi = .g_se^2")


def _resolutions(key, rec, common, base_row) -> list[dict]:
    """Rows that resolve a doubt of one line (Salzer 2016, Davidson 2004, Ludman 2007; see data/README.md)."""
    tid, outcome = ROWS[key][0], ROWS[key][1]
    benefit = OUTCOMES[outcome][2]
    out = []
    if tid == "salzer2016":
        # SD = SE x sqrt(n): the SD columns read as standard errors of the arm means.
        m1, se1, n1, m2, se2, n2 = _arms(rec)
        s1, s2 = se1 * math.sqrt(n1), se2 * math.sqrt(n2)
        es = smd(m1, s1, n1, m2, s2, n2)
        out.append(base_row(
            **{**common, "primary": True, "doubt": ASSUMPTION_SALZER, "note": SALZER_NOTE[outcome]},
            n_peer=int(n1), mean_peer=m1, sd_peer=s1, n_control=int(n2), mean_control=m2, sd_control=s2,
            yi=float(es.yi), vi=float(es.vi), provenance="derived",
            formula="SD = SE x sqrt(n) (the data set's SD columns read as standard errors of the arm means), then "
                    "smd (Hedges' g from arm means/SDs/ns)",
        ))
    elif tid == "davidson2004" and key[1] in (17, 18):
        g, se = _num(rec[".g"]), _num(rec[".g_se"])
        out.append(base_row(
            **{**common, "primary": False, "doubt": DOUBT_DAVIDSON_TYPED, "note": ""},
            n_peer=int(_num(rec["n_arm1"])), n_control=int(_num(rec["n_arm2"])), smd_reported=g,
            yi=float(benefit * g), vi=float(se**2), provenance="reported", formula=G_ONLY_FORMULA,
        ))
    elif tid == "ludman2007":
        # The line's own dichotomous columns are empty; its counts sit one row off, on line 13 (Corrigan 2017 RAS):
        # 'Presence of MDD diagnosis (SCID) at 12 months', 5 of 21 (peer support) vs 7 of 20.
        src = read_excerpts()[(PEER, 13)]
        a, n1, c, n2 = (int(_num(src[k])) for k in ("event_arm1", "totaln_arm1", "event_arm2", "totaln_arm2"))
        yi, vi = logor_to_g(a, n1, c, n2)
        out.append(base_row(
            **{k: v for k, v in common.items() if k not in ("source_locator", "source_quote", "primary", "doubt", "note")},
            primary=True, doubt="",
            note=LUDMAN_NOTE.format(g=_num(rec[".g"]), se=_num(rec[".g_se"])),
            source_locator=common["source_locator"] + "; its counts from line 13 (.id " + src["_id"]
            + "), columns dich, event_arm1, event_arm2, totaln_arm1, totaln_arm2",
            source_quote=common["source_quote"] + "\n[line 13] " + src["_text"],
            n_peer=n1, n_control=n2, yi=yi, vi=vi, provenance="derived",
            formula="logor_to_g: log odds ratio -> SMD (Chinn 2000; Cochrane Handbook 10.6.4: d = ln(OR) sqrt(3)/pi, "
                    "SE likewise), times the exact Hedges' J(n1 + n2 - 2); counts 5/21 vs 7/20 of MDD diagnoses",
        ))
    return out


def logor_to_g(a: int, n1: int, c: int, n2: int) -> tuple[float, float]:
    """Hedges' g and its variance from two arms' event counts (the way metapsyTools computes dichotomous ``.g``).

    ``ln OR = ln(a (n2 - c) / ((n1 - a) c))``, ``SE = sqrt(1/a + 1/(n1-a) + 1/c + 1/(n2-c))``; ``d = ln OR sqrt(3) /
    pi`` (Chinn 2000), ``g = J(n1 + n2 - 2) d`` and ``vi = (J SE sqrt(3) / pi)^2``, ``J`` the exact small-sample
    factor (:func:`peerstats.effects.hedges_j`, as every SMD here; metapsyTools uses the approximation
    ``1 - 3 / (4 df - 1)``, about 2e-5 relative away). Positive when arm 1 has more events.
    """
    from peerstats.effects import hedges_j

    lor = math.log(a * (n2 - c) / ((n1 - a) * c))
    se = math.sqrt(1 / a + 1 / (n1 - a) + 1 / c + 1 / (n2 - c))
    j = float(hedges_j(n1 + n2 - 2))
    k = math.sqrt(3) / math.pi
    return j * lor * k, (j * se * k) ** 2


SALZER_NOTE = {
    "personal_recovery": (
        "Salzer 2016 RAS with its SDs read as standard errors: SD = 1.49 x sqrt(50) = 10.54 and 1.54 x sqrt(49) = "
        "10.78, near the RAS SDs of the other trials here (12.8-14.4); g = 0.13 instead of 0.94 as typed. Evidence "
        "for the reading: the paper pooled Salzer in all: personal recovery (k 17, N 4,104), and with this row the "
        "cell comes out {cell} against the paper's 0.20 (0.11, 0.29), I2 47%; as typed (g 0.94) the trial would be "
        "the largest effect of the cell by far. Primary because the paper pooled the trial: leaving it out changes "
        "the paper's trial set, and a reading that agrees with the paper's cell is better evidence than none."),
    "quality_of_life": (
        "Salzer 2016 Lehman QoL with its SDs read as standard errors: SD = 0.14 x sqrt(50) = 0.99 and 0.15 x sqrt(49) "
        "= 1.05, in the range of Kaplan 2011's Lehman SDs here (0.70, 1.0); g = 0.12 instead of 0.82 as typed. Same "
        "line pattern and same reading as the trial's RAS row (see there); in no published cell."),
}
LUDMAN_NOTE = (
    "Resolved: the g-only line of Ludman 2007 (line 38, .g {g:.4f}, SE {se:.4f}) has empty count columns; its counts "
    "sit one row off, in the dichotomous columns of line 13 (a Corrigan 2017 line, whose own outcome is the RAS): "
    "'Presence of MDD diagnosis (SCID) at 12 months', 5 of 21 with peer support vs 7 of 20. They reproduce the data "
    "set's g and SE to 1e-9 (J x ln OR x sqrt(3)/pi with the approximate J = 1 - 3/(4 df - 1) the data set uses: "
    "0.294178, SE 0.375468), so they are this line's inputs, and the sign is confirmed: fewer diagnoses with peer support (yi < 0 on depression, higher = more). Primary; the g-only row "
    "is kept, not primary."
)
