"""Bring your own review: import_studies reads every common file format, computes the effects exactly as
peerstats.effects does, and turns every bad input into words, row by row, without ever raising.

Files are generated here from one table of made-up arm data (they say nothing about any real trial). Effects are
compared with ``smd()`` and the converters called directly on the same numbers: the importer must pass the numbers
through unchanged, so the tolerance is a few ulps (``EXACT``), except where a format stores rounded text.
"""

from __future__ import annotations


from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerstats import pool
from peerstats.effects import smd, smd_from_f, smd_from_md_ci, smd_from_smd_ci, smd_from_t
from peerstats.importer import VI_MIN, guess_mapping, import_studies
from peerstats.select import Filters, select
from upload_files import text_bytes, xlsx_bytes

# The importer hands the file's numbers to the same numpy functions: only float parsing can differ (none expected).
EXACT = 1e-12

NAMES = ["Müller 2010", "Øster 2012", "Smith 2015", "García 2018", "Nguyễn 2020", "O'Brien 2021"]


def arm_table() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    k = len(NAMES)
    return pd.DataFrame({
        "study": NAMES,
        "year": [2010, 2012, 2015, 2018, 2020, 2021],
        "m1i": np.round(rng.normal(20, 3, k), 2), "sd1i": np.round(rng.uniform(3, 6, k), 2),
        "n1i": rng.integers(10, 80, k),
        "m2i": np.round(rng.normal(18, 3, k), 2), "sd2i": np.round(rng.uniform(3, 6, k), 2),
        "n2i": rng.integers(10, 80, k),
        "setting": ["inpatient", "outpatient", "inpatient", "online", "online", "outpatient"],
    })


def expected(df: pd.DataFrame):
    return smd(df.m1i.to_numpy(), df.sd1i.to_numpy(), df.n1i.to_numpy(), df.m2i.to_numpy(), df.sd2i.to_numpy(),
               df.n2i.to_numpy())


def _xlsx(df: pd.DataFrame, sheet="Sheet1", extra_first=False) -> bytes:
    return xlsx_bytes(df, sheet=sheet, notes_first=extra_first)


def _text(df: pd.DataFrame, sep=",", decimal=".", encoding="utf-8") -> bytes:
    return text_bytes(df, sep=sep, decimal=decimal, encoding=encoding)


FORMATS = {
    "csv-utf8": lambda df: (_text(df), "s.csv"),
    "csv-utf8-bom": lambda df: (_text(df, encoding="utf-8-sig"), "s.csv"),
    "csv-utf16": lambda df: (_text(df, encoding="utf-16"), "s.csv"),
    "csv-utf16le-no-bom": lambda df: (_text(df, encoding="utf-16-le"), "s.csv"),
    "tsv-utf8": lambda df: (_text(df, sep="\t"), "s.tsv"),
    "semicolon-decimal-comma-cp1252": lambda df: (_text(df.assign(study=df.study.str.replace("ễ", "e")), sep=";",
                                                        decimal=",", encoding="cp1252"), "s.csv"),
    "semicolon-latin1": lambda df: (_text(df.assign(study=df.study.str.replace("ễ", "e")), sep=";",
                                          encoding="latin-1"), "s.txt"),
    "pipe-utf8": lambda df: (_text(df, sep="|"), "s.txt"),
    "xlsx": lambda df: (_xlsx(df), "s.xlsx"),
}


@pytest.mark.parametrize("fmt", list(FORMATS), ids=list(FORMATS))
def test_every_format_gives_smd_of_the_arm_data(fmt):
    df = arm_table()
    raw, name = FORMATS[fmt](df)
    res = import_studies(raw, name)
    assert res.errors == [], res.problems
    ev = res.evidence
    exp = expected(df)
    np.testing.assert_allclose(ev.effects["yi"], exp.yi, rtol=EXACT, atol=0)
    np.testing.assert_allclose(ev.effects["vi"], exp.vi, rtol=EXACT, atol=0)
    labels = list(df.study) if "ễ" in "".join(ev.trials["label"]) else [s.replace("ễ", "e") for s in df.study]
    assert list(ev.trials["label"]) == labels          # accents read, never garbled
    assert list(ev.trials["year"]) == list(df.year)
    assert res.moderators.get("setting") == "categorical"
    assert list(ev.effects["setting"]) == list(df.setting)
    assert set(ev.effects["provenance"]) == {"derived"}


def test_xlsx_chosen_sheet():
    df = arm_table()
    raw = _xlsx(df, sheet="studies", extra_first=True)
    first = import_studies(raw, "s.xlsx")
    assert first.evidence is None and "sheets: notes, studies" in first.problems[0].message
    res = import_studies(raw, "s.xlsx", sheet="studies")
    np.testing.assert_allclose(res.evidence.effects["yi"], expected(df).yi, rtol=EXACT)
    assert "no sheet 'x'" in str(import_studies(raw, "s.xlsx", sheet="x").problems[0])


def test_encodings_are_detected_and_named():
    df = arm_table().assign(study=lambda d: d.study.str.replace("ễ", "e"))
    cp = import_studies(_text(df, sep=";", encoding="cp1252"), "s.csv")
    assert cp.detected["encoding"] == "cp1252" and cp.detected["delimiter"] == ";"
    assert any("not UTF-8" in p.message for p in cp.warnings)
    utf = import_studies(_text(df), "s.csv")
    assert utf.detected["encoding"] == "utf-8" and utf.warnings == []


def test_double_encoded_utf8_is_repaired_and_said():
    df = arm_table()
    raw = _text(df).decode("utf-8").encode("utf-8").decode("cp1252", errors="ignore").encode("utf-8")
    res = import_studies(raw, "s.csv")
    assert "Müller 2010" in list(res.evidence.trials["label"])
    assert any("encoded as UTF-8 twice" in p.message for p in res.warnings)


def test_metapsy_and_metafor_names_are_recognised():
    metapsy = ["", "study", "outcome_category", "instrument", "time", ".g", ".g_se", "mean_arm1", "sd_arm1",
               "n_arm1", "mean_arm2", "sd_arm2", "n_arm2", "year"]
    g = guess_mapping(metapsy)
    assert g == {"study": "study", "outcome": "outcome_category", "instrument": "instrument", "timepoint": "time",
                 "yi": ".g", "sei": ".g_se", "m1i": "mean_arm1", "sd1i": "sd_arm1", "n1i": "n_arm1",
                 "m2i": "mean_arm2", "sd2i": "sd_arm2", "n2i": "n_arm2", "year": "year"}
    metafor = ["studlab", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "yi", "vi"]
    assert guess_mapping(metafor) == {c if c != "studlab" else "study": c for c in metafor} | {"study": "studlab"}
    meta_r = ["Author", "Mean.e", "SD.e", "N.e", "Mean.c", "SD.c", "N.c"]
    assert guess_mapping(meta_r) == {"study": "Author", "m1i": "Mean.e", "sd1i": "SD.e", "n1i": "N.e",
                                     "m2i": "Mean.c", "sd2i": "SD.c", "n2i": "N.c"}


def _csv(rows: list[dict]) -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode()


def test_converters_for_each_effect_source():
    rows = [
        {"study": "A", "yi": 0.31, "vi": 0.04},
        {"study": "B", "yi": -0.2, "sei": 0.15},
        {"study": "C", "yi": 0.5, "ci_low": 0.1, "ci_high": 0.9},
        {"study": "D", "md": 2.5, "md_ci_low": 0.5, "md_ci_high": 4.5, "n1i": 30, "n2i": 32},
        {"study": "E", "t": 2.1, "n1i": 25, "n2i": 27},
        {"study": "F", "f": 4.41, "sign": -1, "n1i": 40, "n2i": 38},
    ]
    res = import_studies(_csv(rows), "s.csv")
    assert res.errors == [], res.problems
    e = res.evidence.effects
    want = [(0.31, 0.04), (-0.2, 0.15 ** 2), tuple(smd_from_smd_ci(0.5, 0.1, 0.9)),
            tuple(smd_from_md_ci(2.5, 0.5, 4.5, 30, 32)), tuple(smd_from_t(2.1, 25, 27)),
            tuple(smd_from_f(4.41, 40, 38, -1))]
    np.testing.assert_allclose(e["yi"], [w[0] for w in want], rtol=EXACT)
    np.testing.assert_allclose(e["vi"], [w[1] for w in want], rtol=EXACT)
    assert list(e["provenance"]) == ["reported", "reported"] + ["derived"] * 4


def test_arm_data_take_precedence_and_a_disagreeing_effect_is_refused():
    g, v = smd(10.0, 2.0, 20, 9.0, 2.0, 20)
    d = (10.0 - 9.0) / 2.0                                       # Cohen's d, uncorrected: 0.5
    rows = [
        {"study": "A", "m1i": 10.0, "sd1i": 2.0, "n1i": 20, "m2i": 9.0, "sd2i": 2.0, "n2i": 20, "yi": round(g, 2),
         "vi": 0.1},                                             # agrees to its two decimals: no problem
        {"study": "B", "m1i": 10.0, "sd1i": 2.0, "n1i": 20, "m2i": 9.0, "sd2i": 2.0, "n2i": 20, "yi": 0.9,
         "vi": 0.1},                                             # disagrees: the row is refused
        {"study": "C", "m1i": 10.0, "sd1i": 2.0, "n1i": 20, "m2i": 9.0, "sd2i": 2.0, "n2i": 20, "yi": -round(g, 3),
         "vi": 0.1},                                             # opposite sign: a warning that says so
        {"study": "D", "m1i": 10.0, "sd1i": 2.0, "n1i": 20, "m2i": 9.0, "sd2i": 2.0, "n2i": 20, "yi": d,
         "vi": 0.1},                                             # Cohen's d of the same arms: agrees
        {"study": "E", "m1i": 10.0, "sd1i": 2.0, "n1i": 20, "m2i": 9.0, "sd2i": 2.0, "n2i": 20, "yi": 1e300,
         "vi": 0.1},                                             # the 1e300 beside arm data of 0.49
    ]
    res = import_studies(_csv(rows), "s.csv")
    assert list(res.evidence.trials["label"]) == ["A", "C", "D"]
    np.testing.assert_allclose(res.evidence.effects["yi"], [g, g, g], rtol=EXACT)
    np.testing.assert_allclose(res.evidence.effects["vi"], [v, v, v], rtol=EXACT)
    assert [(p.row, p.column, p.severity) for p in res.problems] == [(2, "yi", "error"), (3, "yi", "warning"),
                                                                     (5, "yi", "error")]
    assert "signs are opposite" in res.problems[1].message and "signs" not in res.problems[0].message
    assert "disagrees" in res.problems[2].message and "1e+300" in res.problems[2].message
    assert f"Hedges' g = {g:.4g}" in res.problems[2].message and "np." not in res.problems[2].message
    assert res.rows_left_out == 2


def test_explicit_mapping_is_used_as_given():
    rows = [{"Trial": "A", "Effect (g)": 0.3, "Var": 0.04, "g": 9.0}, {"Trial": "B", "Effect (g)": 0.1, "Var": 0.02,
                                                                      "g": 9.0}]
    res = import_studies(_csv(rows), "s.csv", {"study": "Trial", "yi": "Effect (g)", "vi": "Var"})
    assert list(res.evidence.effects["yi"]) == [0.3, 0.1]
    assert res.moderators == {"g": "constant"}   # one value (9.0): nothing to split by
    bad = import_studies(_csv(rows), "s.csv", {"study": "Trial", "yi": "nope", "vi": "Var"})
    assert bad.evidence is None
    assert any(p.column == "nope" and "not in the file" in p.message for p in bad.problems)


def _where(res):
    return {(p.row, p.column, p.severity) for p in res.problems}


ARM = {"m1i": 10.0, "sd1i": 2.0, "n1i": 20, "m2i": 9.0, "sd2i": 2.0, "n2i": 20}


@pytest.mark.parametrize("row,where,words", [
    ({"study": "X", **ARM, "sd2i": -1.0}, (2, "sd2i", "error"), "SD must be > 0"),
    ({"study": "X", **ARM, "n1i": 1}, (2, "n1i", "error"), "n >= 2"),
    ({"study": "X", **ARM, "n1i": 12.5}, (2, "n1i", "error"), "whole number"),
    ({"study": "X", **{k: v for k, v in ARM.items() if k != "sd1i"}}, (2, None, "error"), "missing arm values: sd1i"),
    ({"study": "X", "yi": "inf", "vi": 0.1}, (2, "yi", "error"), "not a finite number"),
    ({"study": "X", "yi": "abc", "vi": 0.1}, (2, "yi", "error"), "not a number"),
    ({"study": "X", "yi": 6.2, "vi": 0.1}, (2, "yi", "error"), "unless you confirm"),
    ({"study": "X", "yi": 0.2, "vi": 0}, (2, "vi", "error"), "must be > 0"),
    ({"study": "X", "yi": 0.2, "vi": -0.1}, (2, "vi", "error"), "must be > 0"),
    ({"study": "X", "yi": 0.2, "vi": 1e-308}, (2, "vi", "error"), "pooling would overflow"),
    ({"study": "X", "yi": 0.2, "vi": 1e300}, (2, "vi", "error"), "too large"),
    ({"study": "X", "yi": 0.2, "vi": 1e-9}, (2, "vi", "error"), "pooling would overflow"),
    ({"study": "X", "yi": 0.2, "sei": 1e-160}, (2, "sei", "error"), "pooling would overflow"),
    ({"study": "X", "yi": 0.2}, (2, None, "error"), "without its variance"),
    ({"study": "", "yi": 0.2, "vi": 0.1}, (2, "study", "error"), "empty study name"),
    ({"study": "X", "yi": 0.2, "vi": 0.1, "source_url": "javascript:alert(1)"}, (2, "source_url", "warning"),
     "not an http(s) link"),
    ({"study": "X", "yi": 0.2, "ci_low": 0.5, "ci_high": 0.1}, (2, "ci_high", "error"), "not above"),
    ({"study": "X", "f": 4.0, "sign": "up", "n1i": 20, "n2i": 20}, (2, "sign", "error"), "not +1 or -1"),
    ({"study": "X", "yi": 0.2, "vi": 0.1, "year": "20x1"}, (2, "year", "warning"), "not a year"),
], ids=["negative-sd", "n-below-2", "fractional-n", "missing-arm-value", "infinite-yi", "text-yi", "huge-g",
        "zero-vi", "negative-vi", "vi-1e-308", "vi-1e300", "vi-1e-9", "tiny-sei", "yi-without-variance", "empty-study",
        "javascript-url", "inverted-ci", "bad-f-sign", "bad-year"])
def test_bad_rows_get_words_and_the_good_rows_survive(row, where, words):
    good = {"study": "Good", "yi": 0.1, "vi": 0.05}
    res = import_studies(_csv([good, row]), "bad.csv")
    assert where in _where(res), res.problems
    assert any(words in p.message for p in res.problems if (p.row, p.column, p.severity) == where)
    assert res.evidence is not None and res.evidence.effects["trial_id"].iloc[0] == "good"
    kept = len(res.evidence.effects)
    assert kept == (2 if where[2] == "warning" else 1)
    assert all(p.file == "bad.csv" for p in res.problems)


def test_variances_too_far_apart_for_one_analysis_are_a_warning():
    res = import_studies(_csv([{"study": "A", "yi": 0.1, "vi": 2e-8}, {"study": "B", "yi": 0.2, "vi": 5.0}]), "s.csv")
    assert [(p.row, p.column, p.severity) for p in res.problems] == [(None, "vi", "warning")]
    assert "row 1: 2e-08, row 2: 5" in res.problems[0].message
    assert len(res.evidence.effects) == 2


def test_duplicate_study_and_outcome_is_kept_but_pooled_once():
    rows = [{"study": "A", "outcome": "hope", "yi": 0.3, "vi": 0.04},
            {"study": "B", "outcome": "hope", "yi": 0.1, "vi": 0.04},
            {"study": "A", "outcome": "hope", "yi": 0.9, "vi": 0.04},
            {"study": "A", "outcome": "depression", "yi": -0.2, "vi": 0.05}]
    res = import_studies(_csv(rows), "s.csv")
    assert [(p.row, p.column) for p in res.problems] == [(3, "study")]
    assert "first on row 1" in res.problems[0].message
    assert list(res.evidence.effects["primary"]) == [True, True, False, True]
    assert len(res.evidence.trials) == 2
    sel = select(res.evidence, Filters(), "hope")
    assert sel.k == 2


@pytest.mark.parametrize("raw,words", [
    (b"", "empty"), (b"   \n\n", "empty"), (b"study,yi,vi\n", "no data rows"),
    (bytes(range(256)) * 8, "binary"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary"),
    (b"PK\x03\x04garbage", ".xlsx file could not be opened"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old Excel"),
    (b"site,value\nA,1\n", "no study column"),
    (b"study,colour\nA,red\n", "no effect columns"),
], ids=["empty", "blank-lines", "header-only", "all-bytes", "png", "broken-zip", "xls", "no-study", "no-effects"])
def test_unusable_files_say_why(raw, words):
    res = import_studies(raw, "f.csv")
    assert res.evidence is None
    assert any(words in p.message for p in res.problems), res.problems


def test_moderators_categorical_and_numeric():
    k = 12
    rows = [{"study": f"S{i}", "yi": 0.1 * i, "vi": 0.05, "dose": 1.5 * i + 0.25, "arm": "ab"[i % 2],
             "id": i + 1} for i in range(k)]
    res = import_studies(_csv(rows), "s.csv")
    assert res.moderators == {"dose": "numeric", "arm": "categorical"}      # the 1..k row-number column is dropped
    np.testing.assert_allclose(res.evidence.trials["dose"], [1.5 * i + 0.25 for i in range(k)])


def test_codebook_columns_in_codebook_codes_keep_their_names():
    rows = [{"study": "A", "yi": 0.3, "vi": 0.04, "quality": "good", "format": "Group"},
            {"study": "B", "yi": 0.1, "vi": 0.04, "quality": "poor", "format": "Individual"}]
    res = import_studies(_csv(rows), "s.csv")
    assert "quality" in res.moderators and "file_format" in res.moderators and "format" not in res.moderators
    assert list(res.evidence.trials["quality"]) == ["good", "poor"]


def test_upload_pools_like_pool_of_the_expected_effects():
    df = arm_table()
    res = import_studies(_text(df), "s.csv")
    outcome = next(iter(res.outcomes))
    sel = select(res.evidence, Filters(), outcome)
    exp = expected(df)
    order = np.argsort(df.study.to_numpy(), kind="stable")       # select sorts by label
    got, want = pool(sel.yi, sel.vi), pool(exp.yi[order], exp.vi[order])
    assert got.estimate == pytest.approx(want.estimate, rel=EXACT)
    assert got.tau2 == pytest.approx(want.tau2, rel=1e-9, abs=1e-15)


def test_same_bytes_same_fingerprint_and_mapping_changes_it():
    raw = _text(arm_table())
    a, b = import_studies(raw, "a.csv"), import_studies(raw, "b.csv")
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 16
    assert import_studies(raw, "a.csv", guess_mapping(arm_table().columns)).fingerprint != a.fingerprint


def test_re_exported():
    import peerstats

    assert import_studies is peerstats.import_studies is peerstats.evidence.import_studies
    assert VI_MIN > 0


HYP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _contract(res):
    assert isinstance(res.problems, list)
    assert res.evidence is not None or res.problems
    if res.evidence is not None:
        e = res.evidence.effects
        assert np.all(np.isfinite(e["yi"])) and np.all((e["vi"] >= VI_MIN))


@HYP
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(raw):
    _contract(import_studies(raw, "x.csv"))


cell = st.one_of(st.sampled_from(["", "NA", "inf", "-0", "1e309", "0,5", "-1", "1", "2", "0.04", "x", '"', ";"]),
                 st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=6))
header = st.lists(st.sampled_from(["study", "yi", "vi", "sei", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "t", "f",
                                   "sign", "md", "md_ci_low", "md_ci_high", "ci_low", "ci_high", "outcome", "year",
                                   "direction", "source_url", "x", ""]), min_size=0, max_size=10)


@HYP
@given(header, st.lists(st.lists(cell, max_size=11), max_size=8), st.sampled_from([",", ";", "\t"]))
def test_csv_like_text_never_raises(cols, rows, sep):
    text = "\n".join(sep.join(r) for r in [cols, *rows])
    for enc in ("utf-8", "utf-16"):
        _contract(import_studies(text.encode(enc, errors="replace"), "x.csv"))


# --- risk of bias: the file's judgements become the codebook's trial columns --------------------------------------

METAPSY = Path(__file__).resolve().parents[1] / "data" / "examples" / "metapsy_peer_support.csv"
RANK = {"low": 0, "some_concerns": 1, "unclear": 1, "high": 2}


def _undo_mojibake(s: str) -> str:
    try:
        return s.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return s


def _metapsy():
    from peerstats.importer import import_studies as imp

    mapping = {"study": "study", "outcome": "outcome_category", "instrument": "instrument", "timepoint": "time",
               "year": "year", "yi": ".g", "sei": ".g_se", "n1i": "n_arm1", "n2i": "n_arm2"}
    return imp(METAPSY.read_bytes(), METAPSY.name, mapping)


def test_metapsy_example_rob2_columns_are_mapped_most_severe_per_trial():
    res = _metapsy()
    # independently: pandas reads the file, the RoB 2 words are translated by hand, each study takes its worst
    raw = pd.read_csv(METAPSY, sep=";", decimal=",")
    raw["study"] = raw["study"].map(_undo_mojibake)   # the file spells Rüsch 'RÃ¼sch' (UTF-8 encoded twice)
    words = {"Low risk": "low", "Some concerns": "some_concerns", "High risk": "high"}
    pairs = {"RoB_D1": "rob2_d1_randomisation", "RoB_D2": "rob2_d2_deviations", "RoB_D3": "rob2_d3_missing_data",
             "RoB_D4": "rob2_d4_measurement", "RoB_D5": "rob2_d5_selection", "overall_RoB": "rob2_overall"}
    trials = res.evidence.trials.set_index("label")
    assert len(trials) == raw["study"].nunique() == 28
    for src, code in pairs.items():
        worst = raw.groupby("study")[src].agg(lambda s: max((words[v] for v in s), key=RANK.get))
        assert trials[code].to_dict() == worst.to_dict(), code
    # the mapping says what became what, and that all 28 are rated
    assert {(m.column, m.codebook, m.n_rated, m.n_trials) for m in res.rob} == {
        (src, code, 28, 28) for src, code in pairs.items()}
    # two hand-checked cells: Johnson 2018 and Mahlke 2017 rate D4 "low" on one line and "some concerns" on others
    # (data/README.md); the overall judgement of Dennis 2003 is "Low risk" on its line
    assert trials.loc["Johnson, 2018", "rob2_d4_measurement"] == "some_concerns"
    assert trials.loc["Dennis, 2003", "rob2_overall"] == "low"
    d4 = next(m for m in res.rob if m.codebook == "rob2_d4_measurement")
    assert d4.n_conflicting == 2
    said = [p.message for p in res.warnings if p.column == "RoB_D4"]
    assert any("Johnson, 2018" in m and "most severe" in m for m in said)
    assert any("Mahlke, 2017" in m for m in said)


def test_metapsy_example_rob2_reaches_the_filters():
    from peerstats.second_opinion import high_risk_either

    ev = _metapsy().evidence
    high = high_risk_either(ev.trials)
    assert int(high.sum()) == int((ev.trials["rob2_overall"] == "high").sum()) == 19


def test_cochrane_rob1_columns_map_onto_the_seven_domains():
    rows = [{"study": "A", "yi": 0.3, "vi": 0.04, "Random sequence generation (selection bias)": "Low risk",
             "Allocation concealment (selection bias)": "Unclear risk",
             "Blinding of outcome assessment (detection bias)": "High risk",
             "Incomplete outcome data (attrition bias)": "low", "Selective reporting (reporting bias)": "?"},
            {"study": "B", "yi": 0.1, "vi": 0.04, "Random sequence generation (selection bias)": "unclear",
             "Allocation concealment (selection bias)": "Low risk",
             "Blinding of outcome assessment (detection bias)": "", "Incomplete outcome data (attrition bias)": "High",
             "Selective reporting (reporting bias)": "Low risk of bias"}]
    res = import_studies(_csv(rows), "s.csv")
    t = res.evidence.trials.set_index("label")
    assert t.loc["A", ["rob_sequence_generation", "rob_allocation_concealment", "rob_blinding_assessors",
                       "rob_incomplete_data", "rob_selective_reporting"]].tolist() == [
        "low", "unclear", "high", "low", "unclear"]
    assert t.loc["B", "rob_blinding_assessors"] == ""            # blank: unknown, not low
    blinding = next(m for m in res.rob if m.codebook == "rob_blinding_assessors")
    assert (blinding.n_rated, blinding.n_trials) == (1, 2)
    assert not [p for p in res.problems if "risk-of-bias" in p.message]


def test_rob2_words_in_cochrane_spelling():
    rows = [{"study": s, "yi": 0.1, "vi": 0.04, "Randomisation process": d1, "Overall risk of bias": o}
            for s, d1, o in (("A", "Low", "Some concerns"), ("B", "Some concerns", "High"), ("C", "High", "Low"))]
    t = import_studies(_csv(rows), "s.csv").evidence.trials
    assert t["rob2_d1_randomisation"].tolist() == ["low", "some_concerns", "high"]
    assert t["rob2_overall"].tolist() == ["some_concerns", "high", "low"]


def test_single_risk_of_bias_column_and_rob1_unclear_said():
    rows = [{"study": s, "yi": 0.1, "vi": 0.04, "risk_of_bias": r}
            for s, r in (("A", "low"), ("B", "unclear"), ("C", "high"), ("D", ""))]
    res = import_studies(_csv(rows), "s.csv")
    assert res.evidence.trials["rob2_overall"].tolist() == ["low", "some_concerns", "high", ""]
    (m,) = res.rob
    assert (m.column, m.codebook, m.n_rated, m.n_trials) == ("risk_of_bias", "rob2_overall", 3, 4)
    assert "some concerns" in m.note
    assert any("'unclear'" in p.message for p in res.warnings if p.column == "risk_of_bias")


def test_unrecognised_judgements_are_row_messages_and_nothing_is_lost():
    rows = [{"study": "A", "yi": 0.3, "vi": 0.04, "overall_RoB": "Low risk"},
            {"study": "A", "outcome": "anxiety", "yi": 0.2, "vi": 0.04, "overall_RoB": "probably fine"},
            {"study": "B", "yi": 0.1, "vi": 0.04, "overall_RoB": "serious"}]
    res = import_studies(_csv(rows), "s.csv")
    assert res.evidence.trials["rob2_overall"].tolist() == ["low", ""]    # A from its other row; B unknown
    rows_said = sorted(p.row for p in res.warnings if p.column == "overall_RoB")
    assert rows_said == [2, 3]
    assert "'serious' is not a risk-of-bias judgement" in next(p.message for p in res.warnings if p.row == 3)
    # the file's column stays an ordinary column with every cell as written
    assert res.moderator_names["overall_rob"] == "overall_RoB"
    assert res.evidence.effects["overall_rob"].tolist() == ["Low risk", "probably fine", "serious"]
    assert next(m for m in res.rob).n_unrecognised == 2


def test_codebook_named_rob_column_is_not_duplicated_as_a_moderator():
    rows = [{"study": "A", "yi": 0.3, "vi": 0.04, "rob2_overall": "high", "rob_sequence_generation": "low"},
            {"study": "B", "yi": 0.1, "vi": 0.04, "rob2_overall": "some_concerns", "rob_sequence_generation": "high"}]
    res = import_studies(_csv(rows), "s.csv")
    assert res.moderators == {}
    assert res.evidence.trials["rob2_overall"].tolist() == ["high", "some_concerns"]
    assert res.evidence.trials["rob_sequence_generation"].tolist() == ["low", "high"]


def test_rob_named_column_without_judgements_is_left_alone():
    rows = [{"study": s, "yi": 0.1, "vi": 0.04, "risk_of_bias": v} for s, v in (("A", "3"), ("B", "0"))]
    res = import_studies(_csv(rows), "s.csv")
    assert res.rob == () and "rob2_overall" not in res.evidence.trials
    assert any("none of its values is a judgement" in p.message for p in res.warnings)


def test_no_rob_columns_no_ratings():
    res = import_studies(_text(arm_table()), "s.csv")
    assert res.rob == ()
    assert not any(c.startswith("rob") for c in res.evidence.trials.columns)


def test_only_categorical_columns_with_two_levels_are_moderators():
    # a small file: statistics columns (arm means, a precalculated g) have few distinct values but are numbers,
    # never groups; a 0/1 code and a text column with 2+ levels are groups; one value is not a group
    rows = [{"study": f"S{i}", "yi": 0.1 * i, "vi": 0.05, "mean_arm1": [10.5, 11.0, 10.5][i % 3],
             "precalc_g": [0.2, 0.3][i % 2], "n_arm1": [20, 30][i % 2], "online": i % 2, "setting": "ab"[i % 2],
             "region": "NL", "baseline_sd": ["NR", "4.5", "5.1"][i % 3]} for i in range(6)]
    res = import_studies(_csv(rows), "s.csv", {"study": "study", "yi": "yi", "vi": "vi"})  # as the Metapsy example
    kinds = res.moderators
    assert kinds["mean_arm1"] == kinds["precalc_g"] == kinds["n_arm1"] == kinds["baseline_sd"] == "numeric"
    assert kinds["online"] == kinds["setting"] == "categorical"
    assert kinds["region"] == "constant"
    # "NR" (not reported) in a column of numbers is missing, not a level
    assert res.evidence.trials["baseline_sd"].isna().tolist() == [True, False, False] * 2


def test_the_metapsy_examples_moderators_all_have_two_levels():
    from dashboard.byor import EXAMPLE, EXAMPLE_MAPPING
    res = import_studies(EXAMPLE.read_bytes(), EXAMPLE.name, EXAMPLE_MAPPING)
    cats = [c for c, kind in res.moderators.items() if kind == "categorical"]
    assert cats and "mean_arm1" not in cats and "precalc_g" not in cats
    assert res.moderators["condition_arm1"] == "constant"  # every study compares "Peer support"
    for c in cats:  # counted independently: distinct non-blank cells of the file's column over the used rows
        raw = pd.read_csv(EXAMPLE, sep=";", dtype=str, keep_default_na=False)[res.moderator_names[c]]
        assert raw.str.strip().replace("NA", "").loc[lambda s: s != ""].nunique() >= 2, c


def test_an_extreme_effect_needs_confirmation_and_a_huge_one_is_refused():
    rows = [{"study": "A", "yi": 0.3, "vi": 0.04}, {"study": "B", "yi": -6.2, "vi": 0.1},
            {"study": "C", "yi": 1e300, "vi": 0.1},
            # arm data giving g beyond 5: SDs of 0.1 around means 1 apart
            {"study": "D", "m1i": 2.0, "sd1i": 0.1, "n1i": 20, "m2i": 1.0, "sd2i": 0.1, "n2i": 20}]
    raw = _csv(rows)
    res = import_studies(raw, "s.csv")
    assert list(res.evidence.trials["label"]) == ["A"]
    assert {(p.row, p.severity) for p in res.problems} == {(2, "error"), (3, "error"), (4, "error")}
    assert res.rows_left_out == 3
    by_row = {p.row: p.message for p in res.problems}
    assert "-6.2" in by_row[2] and "confirm" in by_row[2]
    assert "1e+300" in by_row[3] and "confirm" not in by_row[3]
    g_d = float(smd(2.0, 0.1, 20, 1.0, 0.1, 20).yi)
    assert f"{g_d:.4g}" in by_row[4] and "confirm" in by_row[4]
    ok = import_studies(raw, "s.csv", confirm_extreme=True)
    assert list(ok.evidence.trials["label"]) == ["A", "B", "D"]       # 1e300 is refused even when confirmed
    np.testing.assert_allclose(ok.evidence.effects["yi"], [0.3, -6.2, g_d], rtol=EXACT)
    assert {(p.row, p.severity) for p in ok.problems} == {(2, "warning"), (3, "error"), (4, "warning")}
    assert ok.fingerprint != res.fingerprint                           # a link finds the confirmed import
    assert import_studies(raw, "s.csv").fingerprint == res.fingerprint


def test_rows_left_out_counts_rows_not_errors():
    # seven bad rows, two of them with two errors each (nine errors): seven rows are left out
    rows = [{"study": "Good", "m1i": 10, "sd1i": 2, "n1i": 20, "m2i": 9, "sd2i": 2, "n2i": 20}]
    rows += [{"study": f"B{i}", "m1i": 10, "sd1i": -1, "n1i": 20, "m2i": 9, "sd2i": 2, "n2i": 20} for i in range(5)]
    rows += [{"study": f"C{i}", "m1i": 10, "sd1i": -1, "n1i": 1.5, "m2i": 9, "sd2i": 2, "n2i": 20} for i in range(2)]
    res = import_studies(_csv(rows), "s.csv")
    assert len(res.errors) == 9 and res.rows_left_out == 7 and len(res.evidence.effects) == 1
    for p in res.problems:
        assert "np.float64" not in p.message and "np." not in p.message


def test_the_files_own_intervention_words():
    base = [{"study": "A", "yi": 0.3, "vi": 0.04}, {"study": "B", "yi": 0.1, "vi": 0.05}]
    assert import_studies(_csv(base), "s.csv").intervention == ""              # the file does not say
    named = [{**r, "condition_arm1": "Peer support"} for r in base]
    assert import_studies(_csv(named), "s.csv").intervention == "peer support"
    acronym = [{**r, "intervention": "CBT"} for r in base]
    assert import_studies(_csv(acronym), "s.csv").intervention == "CBT"
    mixed = [{**r, "treatment": t} for r, t in zip(base, ("CBT", "IPT"))]
    assert import_studies(_csv(mixed), "s.csv").intervention == ""            # two interventions: no one name


# ------------------------------------------------------------------------------------------------------------------
# The bundled data set's own format: one more input kind of the importer (same result, same row-by-row Problems)
# ------------------------------------------------------------------------------------------------------------------
def _bundled_csv(name: str) -> pd.DataFrame:
    from peerstats.data import DATA_DIR

    return pd.read_csv(DATA_DIR / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def bundled_evidence():
    from peerstats.data import load_evidence

    return load_evidence()


def test_the_bundled_files_import_as_the_loader_reads_them(bundled_evidence):
    from peerstats.data import DATA_DIR
    from peerstats.importer import import_bundled

    res = import_bundled((DATA_DIR / "trials.csv").read_bytes(), (DATA_DIR / "effects.csv").read_bytes(),
                         base=bundled_evidence)
    assert res.problems == [] and res.detected["format"] == "bundled" and res.detected["files"] == ("trials", "effects")
    assert res.evidence.source == "upload" and len(res.fingerprint) == 16
    pd.testing.assert_frame_equal(res.evidence.trials, bundled_evidence.trials)   # the loader reads with pandas
    pd.testing.assert_frame_equal(res.evidence.effects, bundled_evidence.effects)
    assert set(res.outcomes) == set(bundled_evidence.effects["outcome"])


@pytest.mark.parametrize("kind", ["effects", "trials"])
def test_one_bundled_format_file_is_recognised_by_its_header(bundled_evidence, kind):
    frame = _bundled_csv(kind)
    if kind == "effects":
        frame = frame[frame["outcome"] == "hope"]
    else:
        frame = frame[frame["category"] == "online"]
    raw = frame.to_csv(index=False, sep=";").encode("utf-8")  # the importer's one reader: any delimiter
    res = import_studies(raw, f"mine_{kind}.csv", base=bundled_evidence)
    assert res.detected["format"] == "bundled" and res.detected["files"] == (kind,), res.problems
    assert res.errors == [] and res.evidence is not None
    if kind == "effects":
        assert list(res.evidence.effects["effect_id"]) == list(frame["effect_id"])
        assert set(res.evidence.effects["outcome"]) == {"hope"}
        assert len(res.evidence.trials) == len(bundled_evidence.trials)
    else:
        assert sorted(res.evidence.trials["trial_id"]) == sorted(frame["trial_id"])
        kept = bundled_evidence.effects[bundled_evidence.effects["trial_id"].isin(frame["trial_id"])]
        assert list(res.evidence.effects["effect_id"]) == list(kept["effect_id"])
    # with a mapping the file is a study table like any other (the user chose the roles)
    assert import_studies(raw, "m.csv", {"study": "trial_id"}, base=bundled_evidence).detected.get("format") is None


def _corrupt_effects():
    e = _bundled_csv("effects")
    e.loc[1, "vi"] = "-0.5"
    e.loc[4, "trial_id"] = "nosuchtrial"
    e.loc[6, "n_peer"] = "1"
    e.loc[9, "effect_id"] = e.loc[8, "effect_id"]
    e.loc[12, "provenance"] = "guessed"
    return e


def _corrupt_trials():
    t = _bundled_csv("trials")
    t.loc[2, "quality"] = "excellent"
    t.loc[5, "control"] = "placebo"
    t.loc[7, "year"] = "1066"
    return t


@pytest.mark.parametrize("which", ["effects", "trials", "effects-without-yi"])
def test_bad_bundled_rows_are_the_same_problems_as_the_codebook_check_and_nothing_is_used(bundled_evidence, which):
    from peerstats.data import read_upload
    from peerstats.importer import import_bundled

    if which == "trials":
        files = (_corrupt_trials().to_csv(index=False).encode(), None)
    elif which == "effects":
        files = (None, _corrupt_effects().to_csv(index=False).encode())
    else:
        files = (None, _bundled_csv("effects").drop(columns=["yi"]).to_csv(index=False).encode())
    res = import_bundled(*files, base=bundled_evidence)
    _, expected_problems = read_upload(*files, bundled=bundled_evidence)   # pandas' reader, the same codebook
    assert res.evidence is None
    assert [(p.file, p.row, p.column, p.message) for p in res.problems] == \
        [(p.file, p.row, p.column, p.message) for p in expected_problems]
    assert len(res.problems) >= (1 if which == "effects-without-yi" else 3)


def test_a_shifted_row_or_a_repeated_column_is_refused_in_words(bundled_evidence):
    from peerstats.importer import import_bundled

    lines = _bundled_csv("effects").head(4).to_csv(index=False).splitlines()
    lines[2] = lines[2] + ",extra"                    # data row 2 has one field too many
    res = import_bundled(None, "\n".join(lines).encode(), base=bundled_evidence)
    assert res.evidence is None
    n_header = len(lines[0].split(","))
    assert [(p.row, p.message) for p in res.problems] == [
        (2, f"row has {n_header + 1} fields but the header has {n_header} (check separators and quotes)")]
    head = "effect_id,trial_id,outcome,yi,vi,provenance,yi\n"
    res = import_bundled(None, (head + "e1,barbic2009,hope,0.2,0.05,reported,0.3\n").encode(), base=bundled_evidence)
    assert res.evidence is None
    assert ("effects", None, "yi", "column appears more than once") in {(p.file, p.row, p.column, p.message)
                                                                       for p in res.problems}


@HYP
@given(st.one_of(st.none(), st.binary(max_size=400)), st.one_of(st.none(), st.binary(max_size=400)))
def test_bundled_kind_never_raises(trials, effects):
    from peerstats.importer import import_bundled

    res = import_bundled(trials, effects, base=_BUNDLED)
    assert (res.evidence is None) == bool(res.errors) and res.detected.get("format") == "bundled"


def _load():
    from peerstats.data import load_evidence

    return load_evidence()


_BUNDLED = _load()
