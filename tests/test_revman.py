"""read_revman against RevMan's own per-study numbers (Pairwise70 fixtures) and on damaged files."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from peerstats import pool_mh
from peerstats.revman import RATIO_MEASURES, is_revman, read_revman

FIX = Path(__file__).resolve().parent / "fixtures" / "revman"
FILES = sorted(FIX.glob("CD*.csv"))


def _read(path):
    return read_revman(pd.read_csv(path, dtype=str, keep_default_na=False), path.name)


@pytest.fixture(scope="module")
def data():
    return {p.stem: _read(p) for p in FILES}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_study_row_equals_revmans_own_estimate(path, data):
    """The oracle is the file: exp(yi) (ratios) or yi, and yi -/+ z se, against Mean, CI start, CI end (6 decimals)."""
    d = data[path.stem]
    assert d.analyses
    checked = 0
    for a in d.analyses:
        st = a.studies[np.isfinite(a.studies["file_mean"])]
        z = stats.norm.ppf(0.5 + a.level / 2)
        se = np.sqrt(st["vi"].to_numpy())
        y = st["yi"].to_numpy()
        est, lo, hi = y, y - z * se, y + z * se
        if a.measure in RATIO_MEASURES:
            est, lo, hi = np.exp(est), np.exp(lo), np.exp(hi)
        for got, col in ((est, "file_mean"), (lo, "file_ci_low"), (hi, "file_ci_high")):
            np.testing.assert_allclose(got, st[col].to_numpy(), rtol=0, atol=5.001e-7 + 1e-9 * np.abs(got).max(),
                                       err_msg=f"{path.stem} {a.label} {col}")
        checked += len(st)
        assert a.agreement == 1.0 and a.disagree_rows == ()
    assert checked > 40
    assert not [p for p in d.problems if "differ" in p.message]


def test_measures_levels_and_labels(data):
    got = {m for d in data.values() for m in (a.measure for a in d.analyses)}
    assert {"RR", "OR", "RD", "PETO", "MD", "SMD", "GIV", "GIV_RATIO", "OE"} <= got
    assert {a.level for a in data["CD014967_pub2"].analyses} == {0.95, 0.99}
    a = data["CD007809_pub3"].analyses[0]
    assert a.label == "1.1 Pain (0-10 numerical rating scale) at 12 weeks" and a.code == "1.1"
    assert data["CD007809_pub3"]["1.1"] is a


def test_double_zero_studies_not_estimable_for_ratios_kept_for_rd(data):
    seen = set()
    for d in data.values():
        for a in d.analyses:
            if a.data_type != "dichotomous":
                continue
            st = a.studies
            dz = (st["ai"] == 0) & (st["ci"] == 0)
            if not dz.any():
                continue
            seen.add(a.measure)
            if a.measure == "RD":
                assert st.loc[dz, "estimable"].all() and (st.loc[dz, "yi"] == 0).all()
            else:
                assert not st.loc[dz, "estimable"].any()
                assert st.loc[dz, "file_mean"].isna().all()  # RevMan shows no estimate either
    assert {"RD", "RR"} <= seen


def test_subgroups_year_and_rob_columns(data):
    d = data["CD007809_pub3"]
    with_sub = [a for a in d.analyses if a.subgroups()]
    assert with_sub
    st = with_sub[0].studies
    assert set(st["subgroup"]) >= set(with_sub[0].subgroups())
    assert st["year"].dtype == "Int64"
    assert "rob_overallbias" in st.columns and set(st["rob_overallbias"]) <= {"Low risk", "Some concerns", "High risk",
                                                                              ""}


def test_mantel_haenszel_weights_equal_revmans(data):
    """Where the review pooled with Mantel-Haenszel, RevMan's Weight column equals pool_mh's weights."""
    d = data["CD014967_pub2"]
    for code in ("2.1", "4.1", "9.1"):
        a = d[code]
        st = a.studies[a.studies["estimable"]]
        r = pool_mh(st["ai"], st["n1i"], st["ci"], st["n2i"], measure=a.measure)
        np.testing.assert_allclose(r.weights, st["file_weight"], atol=5.001e-7 * 100)


def test_dotted_headers_as_r_writes_them_read_the_same():
    path = FILES[0]
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    dotted = df.rename(columns=lambda c: c.replace(" ", ".").replace("-", ".").replace("(", ".").replace(")", "."))
    assert "CI.start" in dotted.columns and "O.E" in dotted.columns
    a, b = read_revman(df), read_revman(dotted)
    assert [x.label for x in a.analyses] == [x.label for x in b.analyses]
    pd.testing.assert_series_equal(a.analyses[3].studies["yi"], b.analyses[3].studies["yi"])


def test_is_revman():
    assert is_revman(["Analysis group", "Analysis number", "Analysis name", "Study", "Experimental cases",
                      "Experimental N", "Control cases", "Control N"])
    assert is_revman(["analysis.group", "Analysis.number", "analysis_name", "STUDY", "GIV.Mean", "GIV.SE"])
    assert not is_revman(["study", "ai", "n1i", "ci", "n2i"])
    assert not is_revman(["Analysis group", "Analysis number", "Analysis name", "Study", "Notes"])
    with pytest.raises(ValueError, match="not a RevMan data file: no Analysis name"):
        read_revman(pd.DataFrame(columns=["Analysis group", "Analysis number", "Study", "GIV Mean", "GIV SE"]))


HEADER = ("Analysis group,Analysis number,Analysis name,Subgroup,Study,Study year,Experimental cases,Experimental N,"
          "Control cases,Control N,Experimental mean,Experimental SD,Control mean,Control SD,Mean,CI start,CI end\n")


def _csv(lines):
    return read_revman(pd.read_csv(io.StringIO(HEADER + "\n".join(lines)), dtype=str, keep_default_na=False),
                       "upload.csv")


def test_damaged_rows_get_words():
    rr = lambda a, n1, c, n2: f"{(a / n1) / (c / n2):.6f}"  # noqa: E731
    d = _csv([
        f"1,1,Death,,Ann 2001,2001,4,50,8,50,,,,,{rr(4, 50, 8, 50)},0.100000,2.000000",  # CI wrong: warning names row 1
        "1,1,Death,,Bob 2002,2002,60,50,8,50,,,,,,,",                              # cases > N
        "1,1,Death,,Cy 2003,2003,-1,50,8,50,,,,,,,",                               # negative count
        f"1,1,Death,,Di 2004,20x4,3,40,9,41,,,,,{rr(3, 40, 9, 41)},,",             # damaged year
        "1,1,Death,,Ed 2005,2005,abc,40,9,41,,,,,,,",                              # text in a count
        "1,1,Death,,,,,,,,,,,,0.5,0.3,0.9",                                        # a totals row
        "2,1,Relapse,,Fay 2001,2001,3,30,5,30,,,,,,,",                             # no Mean: measure unknown
    ])
    words = [str(p) for p in d.problems]
    text = "\n".join(words)
    assert "row 2, column 'Experimental cases': 60 events in the experimental arm but N = 50: row left out" in text
    assert "row 3, column 'Experimental cases': a negative number of events (-1): row left out" in text
    assert "row 4, column 'Study year': '20x4' is not a year: left empty" in text
    assert "row 5, column 'Experimental cases': 'abc' is not a number" in text
    assert "1 row without a study (totals or empty analyses) left out" in text
    assert "analysis 2.1 Relapse: the measure cannot be inferred" in text
    assert "analysis 1.1 Death (risk ratio): the file's own Mean/CI differ from the computed ones on row 1 " in text
    a = d["1.1"]
    assert a.measure == "RR" and list(a.studies["row"]) == [1, 4, 5]
    assert a.studies.set_index("row").loc[5, "estimable"] == False  # noqa: E712 - unknown, not zero
    assert [x.code for x in d.analyses] == ["1.1"]


def test_measure_given_when_the_file_cannot_say():
    d = read_revman(pd.read_csv(io.StringIO(HEADER + "2,1,Relapse,,Fay 2001,2001,3,30,5,30,,,,,,,"), dtype=str,
                                keep_default_na=False), measures={"2.1": "OR"})
    a = d["2.1"]
    assert a.measure == "OR" and not a.inferred
    assert a.studies["yi"].iloc[0] == pytest.approx(math.log(3 * 25 / (27 * 5)), rel=1e-14)


# --- import_studies recognises a RevMan file ---------------------------------------------------------------------


def test_import_studies_opens_a_revman_file_every_analysis_an_outcome(data):
    from peerstats import import_studies

    path = FIX / "CD014967_pub2.csv"
    res = import_studies(path.read_bytes(), path.name)
    assert res.evidence is not None and not res.errors
    d = data["CD014967_pub2"]
    assert res.detected["format"] == "revman" and res.detected["revman"].analyses
    eff = res.evidence.effects
    for a in d.analyses:
        code = "analysis_" + a.code.replace(".", "_")
        if a.k == 0:
            assert code not in res.outcomes
            continue
        assert res.outcomes[code][1] == a.label
        assert res.detected["measures"][code] == a.measure
        rows = eff[eff["outcome"] == code]
        assert (rows["measure"] == a.measure).all()
        st = a.studies[a.studies["estimable"]]
        np.testing.assert_array_equal(rows["yi"].to_numpy(), st["yi"].to_numpy())
        np.testing.assert_array_equal(rows["row"].to_numpy(), st["row"].to_numpy())
    assert res.moderators["study_year"] == "numeric"
    assert "rob2_overallbias" in res.moderators
    assert res.evidence.trials["trial_id"].is_unique


def test_import_studies_maps_revman_rob2_judgements_onto_the_codebook():
    """RevMan's "<domain> (judgement)" columns fill the codebook's rob2_* trial columns; a study judged per result
    differently across analyses takes its most severe judgement (read here from the raw CSV)."""
    from peerstats import import_studies

    path = FIX / "CD007809_pub3.csv"
    res = import_studies(path.read_bytes(), path.name)
    assert {m.codebook for m in res.rob} == {"rob2_d1_randomisation", "rob2_d2_deviations", "rob2_d3_missing_data",
                                              "rob2_d4_measurement", "rob2_overall"} | {"rob2_d5_selection"}
    raw = pd.read_csv(path, dtype=str).fillna("")
    severity = {"Low risk": 0, "Some concerns": 1, "High risk": 2}
    code = {0: "low", 1: "some_concerns", 2: "high"}
    trials = res.evidence.trials.set_index("label")
    for study, rows in raw[raw["Study"] != ""].groupby("Study"):
        marks = [severity[v] for v in rows["Overall bias (judgement)"] if v in severity]
        if study in trials.index:
            assert trials.loc[study, "rob2_overall"] == (code[max(marks)] if marks else "")


def test_import_studies_subgroup_moderator_and_left_out_words():
    from peerstats import import_studies

    path = FIX / "CD007809_pub3.csv"
    res = import_studies(path.read_bytes(), path.name)
    assert res.moderators["subgroup"] == "categorical"
    text = "\n".join(str(p) for p in res.problems)
    assert "analysis 3.12 Number of participants withdrawing due to an adverse event: no study has an event" in text
    assert "analysis_3_12" not in res.outcomes


# --- pooled analyses of the fixtures against metafor (validation/revman_reference.json: R read the same CSVs) ----

import json  # noqa: E402

from peerstats import pool, pool_peto  # noqa: E402

_REF = json.loads((Path(__file__).resolve().parents[1] / "validation" / "revman_reference.json").read_text())


@pytest.mark.parametrize("case", _REF["cases"], ids=[c["id"] for c in _REF["cases"]])
def test_pooled_analysis_equals_metafor(case, data):
    a = data[case["file"][:-4]][case["analysis"]]
    st = a.studies
    assert len(st) == case["rows"]
    exp = case["expected"]
    if case["fn"] == "pool":
        assert a.measure == case["measure"]
        r = pool(st["yi"], st["vi"], method=case["method"], test=case["test"])
        fields = ("estimate", "se", "ci_low", "ci_high", "pval", "tau2", "q", "q_pval", "i2")
    else:
        args = (st["ai"], st["n1i"], st["ci"], st["n2i"])
        r = pool_peto(*args) if case["fn"] == "pool_peto" else pool_mh(*args, measure=case["measure"])
        fields = ("estimate", "se", "ci_low", "ci_high", "pval", "q", "q_pval", "i2")
        np.testing.assert_allclose(r.weights, exp["weights"], rtol=1e-9)
    assert r.k == exp["k"]
    for f in fields:
        assert getattr(r, f) == pytest.approx(exp[f], rel=1e-8, abs=1e-10), f


def test_import_studies_reads_a_semicolon_decimal_comma_revman_file(data):
    """A RevMan file saved by a spreadsheet in a comma-decimal locale reads to the same effects."""
    from peerstats import import_studies

    path = FIX / "CD013801_pub2.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw = df.apply(lambda col: col.str.replace(".", ",", regex=False) if col.name not in ("Study", "Analysis name",
                                                                                          "Subgroup") else col)
    res = import_studies(raw.to_csv(index=False, sep=";").encode("utf-8"), "semicolon.csv")
    ref = import_studies(path.read_bytes(), path.name)
    assert res.detected["format"] == "revman" and not res.errors
    np.testing.assert_allclose(res.evidence.effects["yi"], ref.evidence.effects["yi"], rtol=1e-12)
    assert list(res.outcomes) == list(ref.outcomes)


def test_import_studies_with_nothing_estimable_says_so():
    from peerstats import import_studies

    raw = (HEADER + "1,1,Harm,,Ann 2001,2001,0,20,0,20,,,,,,,\n1,1,Harm,,Bo 2002,2002,0,30,0,31,,,,,,,\n").encode()
    res = import_studies(raw, "zero.csv")
    assert res.evidence is None
    text = "\n".join(str(p) for p in res.problems)
    assert "analysis 1.1 Harm: no study has an event in either arm" in text
    assert "no analysis with an estimable study in the RevMan file" in text


def test_natural_scale_and_null_value():
    from peerstats.revman import natural_scale, null_value

    assert natural_scale("OR", math.log(2.0), 0.0) == pytest.approx((2.0, 1.0))
    assert natural_scale("OE", 0.0) == (1.0,) and natural_scale("GIV_RATIO", 0.0) == (1.0,)
    assert natural_scale("RD", -0.1) == (-0.1,) and natural_scale("SMD", 0.3) == (0.3,)
    assert [null_value(m) for m in ("RR", "PETO", "MD", "GIV")] == [1.0, 1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="measure must be one of"):
        natural_scale("HR", 0.0)
