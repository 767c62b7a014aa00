"""The Metapsy-sourced rows (Smit et al. 2022 peer-support data set; Westerhof 2019) against the committed excerpt.

Independent of the build: the excerpt lines are parsed here with the csv module (semicolons, decimal commas), and
Hedges' g is computed here from the closed form, not with ``peerstats.effects``.
"""

from __future__ import annotations

import csv
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from peerstats.data import OUTCOMES, load_evidence

ROOT = Path(__file__).resolve().parents[1]
EXCERPTS = ROOT / "data" / "build" / "sources" / "metapsy_rows.csv"
VERIFY = ROOT / "data" / "build" / "verify_metapsy.py"


def _excerpts():
    headers, out = {}, {}
    with EXCERPTS.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            fields = next(csv.reader([row["text"]], delimiter=";"))
            if row["id"] == "(header)":
                headers[row["repo"]] = fields
            else:
                out[(row["repo"], int(row["line"]))] = dict(zip(headers[row["repo"]], fields), _text=row["text"],
                                                            _id=row["id"], _commit=row["commit"])
    return out


EX = _excerpts()


def _num(s):
    return float(s.replace(",", ".")) if s not in ("NA", "NR", "") else math.nan


def _hedges(m1, s1, n1, m2, s2, n2):
    # Hedges' g with the exact J (metafor escalc "SMD") and the large-sample variance.
    df = n1 + n2 - 2
    sp = math.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / df)
    j = math.exp(math.lgamma(df / 2) - 0.5 * math.log(df / 2) - math.lgamma((df - 1) / 2))
    g = j * (m1 - m2) / sp
    return g, 1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2))


@pytest.fixture(scope="module")
def rows():
    e = load_evidence().effects
    return e[e.source_url.fillna("").str.contains("github.com/metapsy-project/")]


def _key(url):
    m = re.match(r"https://github.com/(metapsy-project/[^/]+)/blob/([0-9a-f]{40})/data.csv#L(\d+)$", url)
    assert m, url
    return m.group(1), int(m.group(3)), m.group(2)


def test_every_excerpt_line_of_a_used_trial_is_a_row():
    assert len(EX) == 41  # 40 lines of the 18 shared trials + Westerhof 2019
    studies = {r["study"] for (repo, _), r in EX.items() if repo.endswith("peer-support-interventions")}
    assert len(studies) == 18


def test_rows_equal_the_committed_excerpt(rows):
    # 41 lines, one row each, plus the rows that resolve doubts: Salzer 2016's two lines read as standard errors,
    # Davidson 2004's two as-typed .g, Ludman 2007's counts (tested below).
    assert len(rows) == 46
    assert len(rows[rows.provenance == "derived"]) == 3
    as_typed_g = rows.doubt.fillna("").str.startswith("As typed: the data set's .g")
    assert as_typed_g.sum() == 2
    for _, r in rows[(rows.provenance == "reported") & ~as_typed_g].iterrows():
        repo, line, commit = _key(r.source_url)
        src = EX[(repo, line)]
        assert commit == src["_commit"]
        assert r.source_quote == src["_text"], r.effect_id
        assert src["_id"] in r.source_locator and f"line {line}" in r.source_locator
        benefit = OUTCOMES[r.outcome][2]
        if src["mean_arm1"] != "NA":
            arms = [_num(src[c]) for c in ("mean_arm1", "sd_arm1", "n_arm1", "mean_arm2", "sd_arm2", "n_arm2")]
            # effects.csv keeps 10 significant digits (build.to_csv_text): the computed SDs of Kaplan need the rel
            assert [r.mean_peer, r.sd_peer, r.n_peer, r.mean_control, r.sd_control, r.n_control] == pytest.approx(
                arms, rel=1e-9, abs=0)
            g, v = _hedges(*arms)
            assert r.yi == pytest.approx(g, abs=1e-9), r.effect_id  # every instrument here runs with its construct
            assert r.vi == pytest.approx(v, rel=1e-9), r.effect_id
        else:
            # g-only: the data set's g (positive favours peer support) in construct direction, vi = SE^2
            assert r.yi == pytest.approx(benefit * _num(src[".g"]), abs=1e-9), r.effect_id  # 10 digits kept
            assert r.vi == pytest.approx(_num(src[".g_se"]) ** 2, rel=1e-9), r.effect_id
            assert "g only" in r.doubt


def test_sign_convention_of_the_data_sets_g(rows):
    # Checked, not assumed: on every arm-data row (Davidson's BPRS and GAF lines excepted, see their doubt)
    # the data set's .g equals g in the direction that favours peer support.
    checked = 0
    for _, r in rows[rows.mean_peer.notna() & (rows.provenance == "reported")].iterrows():
        repo, line, _ = _key(r.source_url)
        if r.trial_id == "davidson2004" and line in (17, 18):
            assert _num(EX[(repo, line)][".g"]) == pytest.approx(-OUTCOMES[r.outcome][2] * r.yi, abs=1e-5)
            assert "direction coding" in r.note and r.primary
            continue
        assert _num(EX[(repo, line)][".g"]) == pytest.approx(OUTCOMES[r.outcome][2] * r.yi, abs=0.006), r.effect_id
        checked += 1
    assert checked == 32


def test_doubts_are_present_and_decided(rows):
    d = rows[rows.provenance == "reported"].set_index(["trial_id", "outcome"])
    for o in ("personal_recovery", "quality_of_life"):
        r = d.loc[("salzer2016", o)]
        assert "standard errors" in r.doubt and "NOT POOLED" in r.doubt and not r.primary
    for o in ("overall_symptoms", "functioning", "personal_recovery"):
        prim = rows[(rows.trial_id == "davidson2004") & (rows.outcome == o) & rows.primary]
        assert len(prim) == 1 and prim.iloc[0].doubt == "" and "no partner" in prim.iloc[0].note
        assert prim.iloc[0].comparison.startswith("tau:no-partner arm") and "n 70" in prim.iloc[0].comparison
    for o in ("overall_symptoms", "quality_of_life", "personal_recovery"):
        assert "which online arm" in d.loc[("kaplan2011", o)].doubt
    g_only = rows[rows.mean_peer.isna() & (rows.provenance == "reported")
                  & ~rows.doubt.fillna("").str.startswith("As typed")]
    assert len(g_only) == 7 and g_only.doubt.str.contains("g only").all()
    # Outcome mappings the paper's "no studies" statements exclude: shown, not pooled.
    for tid, o in (("kaplan2011", "overall_symptoms"), ("corrigan2017", "self_reported_health"),
                   ("craig2004", "functioning"), ("oconnell2018", "functioning")):
        r = d.loc[(tid, o)]
        assert "NOT POOLED: the paper's definitions exclude it" in r.doubt and "No studies" in r.doubt
        assert not r.primary
    clean = rows[~rows.trial_id.isin(["salzer2016", "davidson2004", "kaplan2011", "craig2004", "oconnell2018"])
                 & rows.mean_peer.notna()]
    assert (clean.doubt.fillna("") == "").all()


def test_salzer_read_as_standard_errors():
    # Closed form, independent of the build: SD = SE x sqrt(n) on line 61 (RAS) and 60 (Lehman QoL), then Hedges' g.
    # RAS: SDs 1.49 sqrt(50) = 10.536, 1.54 sqrt(49) = 10.78; g = J(97) x 1.44 / 10.66 = 0.134.
    e = load_evidence().effects
    for line, o in ((61, "personal_recovery"), (60, "quality_of_life")):
        src = EX[("metapsy-project/data-peer-support-interventions", line)]
        m1, se1, n1, m2, se2, n2 = (_num(src[c]) for c in ("mean_arm1", "sd_arm1", "n_arm1", "mean_arm2", "sd_arm2",
                                                          "n_arm2"))
        g, v = _hedges(m1, se1 * math.sqrt(n1), n1, m2, se2 * math.sqrt(n2), n2)
        rs = e[(e.trial_id == "salzer2016") & (e.outcome == o)]
        r = rs[rs.provenance == "derived"].iloc[0]
        assert r.primary and r.doubt.startswith("ASSUMPTION") and "SE x sqrt(n)" in r.formula
        assert r.yi == pytest.approx(g, abs=1e-9) and r.vi == pytest.approx(v, rel=1e-9)
        assert not rs[rs.provenance == "reported"].iloc[0].primary  # the as-typed row stays, not pooled
    ras = e[(e.trial_id == "salzer2016") & (e.outcome == "personal_recovery") & e.primary].iloc[0]
    assert ras.yi == pytest.approx(0.134, abs=0.001)
    assert "all:personal_recovery" in ras.paper_cells.split(";")
    assert "I2" in ras.note and "{cell}" not in ras.note  # the agreement figures are filled in


def test_ludman_counts_reproduce_the_data_sets_g():
    # Line 13's dichotomous columns (5 of 21 vs 7 of 20 MDD diagnoses) give Ludman 2007's line-38 .g and SE exactly:
    # ln OR = ln((5/16) / (7/13)) = -0.54411; d = ln OR sqrt(3)/pi = -0.29998; J(39) ~ 0.9806 -> g = -0.2942;
    # SE = sqrt(1/5 + 1/16 + 1/7 + 1/13) sqrt(3)/pi J = 0.3755.
    src = EX[("metapsy-project/data-peer-support-interventions", 13)]
    assert (src["event_arm1"], src["totaln_arm1"], src["event_arm2"], src["totaln_arm2"]) == ("5", "21", "7", "20")
    # The data set uses the approximate J = 1 - 3/(4 df - 1) and reproduces to 1e-9 with it; the project's rows use
    # the exact J (as metafor), 6e-6 away.
    lor = math.log((5 / 16) / (7 / 13))
    k = math.sqrt(3) / math.pi
    se_lor = math.sqrt(1 / 5 + 1 / 16 + 1 / 7 + 1 / 13)
    j_approx = 1 - 3 / (4 * 39 - 1)
    line38 = EX[("metapsy-project/data-peer-support-interventions", 38)]
    assert -j_approx * lor * k == pytest.approx(_num(line38[".g"]), abs=1e-9)  # positive .g favours peer support
    assert j_approx * se_lor * k == pytest.approx(_num(line38[".g_se"]), abs=1e-9)
    j = math.exp(math.lgamma(39 / 2) - 0.5 * math.log(39 / 2) - math.lgamma(38 / 2))
    g, se = j * lor * k, j * se_lor * k
    e = load_evidence().effects
    rs = e[(e.trial_id == "ludman2007") & (e.outcome == "depression")]
    d = rs[rs.primary].iloc[0]
    assert d.provenance == "derived" and (d.n_peer, d.n_control) == (21, 20) and d.doubt == ""
    assert d.yi == pytest.approx(g, abs=1e-9) and d.vi == pytest.approx(se**2, rel=1e-9)
    assert len(rs) == 2 and "g only" in rs[~rs.primary].iloc[0].doubt


def test_one_rule_for_several_sources():
    e = load_evidence().effects
    for tid in ("mahlke2017", "cook2012_wrap"):
        rs = e[(e.trial_id == tid) & (e.outcome == "overall_symptoms")]
        prim = rs[rs.primary]
        assert len(prim) == 1 and "metapsy-project" in prim.iloc[0].source_url  # arm data over a mean difference
        derived = rs[rs.provenance == "derived"]
        assert len(derived) == 1 and not derived.iloc[0].primary and "Not primary" in derived.iloc[0].note
    vg = e[(e.trial_id == "vangestel2012") & (e.outcome == "quality_of_life") & (e.timepoint_months == 3)]
    assert len(vg) == 2 and vg.yi.nunique() == 1  # two sources, identical numbers: one primary
    assert "Group-based" in vg[vg.primary].iloc[0].source_url


def test_targets_of_the_issue():
    e = load_evidence().effects
    real_primary = e[e.primary & (e.provenance != "reconstructed")]
    assert real_primary.trial_id.nunique() >= 24
    # Johnson 2018's real QPR effect is positive (the old reconstruction had -0.13).
    j = e[(e.trial_id == "johnson2018") & (e.outcome == "personal_recovery")].iloc[0]
    assert j.provenance == "reported" and j.yi > 0.1


def test_verify_script_catches_a_changed_value(tmp_path):
    # Build a fake data.csv from the excerpt, change one SD, and the script must report that line.
    lines = {}
    with EXCERPTS.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["repo"].endswith("peer-support-interventions"):
                lines[int(row["line"])] = row["text"]
    full = [lines.get(i, "") for i in range(1, max(lines) + 1)]
    good = tmp_path / "good.csv"
    good.write_text("\n".join(full) + "\n", encoding="utf-8")
    out = subprocess.run([sys.executable, str(VERIFY), str(good)], capture_output=True, text=True)
    assert out.returncode == 0 and "41 lines checked, 0 problems" in out.stdout
    full[60] = full[60].replace(";1,49;", ";10,5;")  # Salzer RAS: the SD a reader might wish it were
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(full) + "\n", encoding="utf-8")
    out = subprocess.run([sys.executable, str(VERIFY), str(bad)], capture_output=True, text=True)
    assert out.returncode == 1 and "line 61: values differ" in out.stdout


def test_rob2_judgements_equal_the_excerpt():
    # Independent reading: per trial, the most severe judgement per domain over its lines (the overall judgement is
    # the same on every line); 18 trials carry them, the other 31 are empty.
    t = load_evidence().trials.set_index("trial_id")
    level = {"Low risk": "low", "Some concerns": "some_concerns", "High risk": "high"}
    order = ["low", "some_concerns", "high"]
    e = load_evidence().effects
    by_trial = {}
    for _, r in e[e.source_url.fillna("").str.contains("data-peer-support-interventions")].iterrows():
        repo, line, _ = _key(r.source_url)
        by_trial.setdefault(r.trial_id, []).append(EX[(repo, line)])
    assert len(by_trial) == 18
    cols = ["rob2_d1_randomisation", "rob2_d2_deviations", "rob2_d3_missing_data", "rob2_d4_measurement",
            "rob2_d5_selection", "rob2_overall"]
    src = ["RoB_D1", "RoB_D2", "RoB_D3", "RoB_D4", "RoB_D5", "overall_RoB"]
    for tid, recs in by_trial.items():
        assert len({rec["overall_RoB"] for rec in recs}) == 1
        for c, s in zip(cols, src):
            assert t.loc[tid, c] == max((level[rec[s]] for rec in recs), key=order.index), (tid, c)
        assert "github.com/metapsy-project/data-peer-support-interventions" in t.loc[tid, "rob2_source_url"]
    others = t.drop(index=list(by_trial))
    assert (others[cols].fillna("") == "").all().all()
    # Examples read by eye from data.csv: Johnson 2018 D4 differs by outcome (low on BPRS line 30, some concerns on
    # lines 31-32) -> some_concerns; Castelein 2008 overall "Some concerns".
    assert t.loc["johnson2018", "rob2_d4_measurement"] == "some_concerns"
    assert t.loc["castelein2008", "rob2_overall"] == "some_concerns"
