"""Uploaded files: every kind of bad input becomes a Problem with row and column; read_upload never raises."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peerstats.data import DATA_DIR, MAX_UPLOAD_BYTES, load_evidence, read_upload


@pytest.fixture(scope="module")
def bundled():
    return load_evidence()


def _csv(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


def _effects() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "effects.csv", dtype=str, keep_default_na=False)


def _trials() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "trials.csv", dtype=str, keep_default_na=False)


def _where(problems):
    return {(p.file, p.row, p.column) for p in problems}


def test_the_bundled_files_upload_cleanly(bundled):
    ev, problems = read_upload((DATA_DIR / "trials.csv").read_bytes(), (DATA_DIR / "effects.csv").read_bytes(),
                               bundled)
    assert problems == []
    assert ev.source == "upload"
    assert len(ev.trials) == 49 and len(ev.effects) == len(bundled.effects)
    assert ev.effects["yi"].tolist() == bundled.effects["yi"].tolist()


def test_missing_column(bundled):
    ev, problems = read_upload(None, _csv(_effects().drop(columns=["vi"])), bundled)
    assert ev is None
    assert ("effects", None, "vi") in _where(problems)


def test_unknown_values(bundled):
    t = _trials()
    t.loc[2, "quality"] = "excellent"
    t.loc[5, "control"] = "placebo"
    ev, problems = read_upload(_csv(t), None, bundled)
    assert ev is None
    assert {("trials", 3, "quality"), ("trials", 6, "control")} <= _where(problems)
    e = _effects()
    e.loc[0, "provenance"] = "guessed"
    _, problems = read_upload(None, _csv(e), bundled)
    assert ("effects", 1, "provenance") in _where(problems)


@pytest.mark.parametrize("value", ["inf", "nan", "abc", ""])
def test_non_finite_numbers(bundled, value):
    e = _effects()
    e.loc[3, "yi"] = value
    ev, problems = read_upload(None, _csv(e), bundled)
    assert ev is None
    assert ("effects", 4, "yi") in _where(problems)


def test_sd_and_variance_must_be_positive_and_n_at_least_two(bundled):
    e = _effects()
    first_arm_row = int(e.index[e.sd_peer != ""][0])
    e.loc[first_arm_row, "sd_peer"] = "0"
    e.loc[first_arm_row, "n_control"] = "1"
    e.loc[10, "vi"] = "-0.2"
    ev, problems = read_upload(None, _csv(e), bundled)
    assert ev is None
    where = _where(problems)
    assert ("effects", first_arm_row + 1, "sd_peer") in where
    assert ("effects", first_arm_row + 1, "n_control") in where
    assert ("effects", 11, "vi") in where


def test_unknown_trial_and_duplicate_ids(bundled):
    e = _effects()
    e.loc[6, "trial_id"] = "smith2099"
    e.loc[9, "effect_id"] = e.loc[8, "effect_id"]
    ev, problems = read_upload(None, _csv(e), bundled)
    assert ev is None
    where = _where(problems)
    assert ("effects", 7, "trial_id") in where
    assert ("effects", 10, "effect_id") in where
    msg = next(p.message for p in problems if p.row == 7 and p.column == "trial_id")
    assert "smith2099" in msg


def test_rows_without_a_source(bundled):
    e = _effects()
    real = int(e.index[e.provenance == "reported"][0])
    e.loc[real, "source_quote"] = ""
    recon = int(e.index[e.provenance == "reconstructed"][0])
    e.loc[recon, "source_url"] = "https://example.org"
    ev, problems = read_upload(None, _csv(e), bundled)
    assert ev is None
    assert {("effects", real + 1, "source_quote"), ("effects", recon + 1, "source_url")} <= _where(problems)


def test_a_second_primary_row_is_a_problem(bundled):
    e = _effects()
    secondary = int(e.index[e.primary == "False"][0])
    e.loc[secondary, "primary"] = "True"
    _, problems = read_upload(None, _csv(e), bundled)
    assert ("effects", secondary + 1, "primary") in _where(problems)


def test_a_new_outcome_needs_a_domain(bundled):
    row = {"effect_id": "u1", "trial_id": "barbic2009", "outcome": "wellbeing", "yi": "0.3", "vi": "0.05",
           "provenance": "reported", "source_url": "https://example.org", "source_locator": "Table 1",
           "source_quote": "x"}
    _, problems = read_upload(None, _csv(pd.DataFrame([row])), bundled)
    assert ("effects", 1, "domain") in _where(problems)
    ev, problems = read_upload(None, _csv(pd.DataFrame([{**row, "domain": "personal"}])), bundled)
    assert problems == [] and ev.effects.loc[0, "outcome"] == "wellbeing"
    assert bool(ev.effects.loc[0, "primary"])  # a missing primary column means every row is pooled


def test_trials_only_upload_keeps_the_effects_of_listed_trials(bundled):
    t = _trials()
    t = t[t.category == "online"]
    ev, problems = read_upload(_csv(t), None, bundled)
    assert problems == []
    assert set(ev.effects.trial_id) <= set(t.trial_id)
    assert len(ev.trials) == 5


@pytest.mark.parametrize("payload, words", [
    (b"", "empty"),
    (b"\xff\xfe\x00garbage\x81", "UTF-8"),
    (b"a,b\n1,2,3,4\n5", "fields"),
    (b"x" * (MAX_UPLOAD_BYTES + 1), "larger"),
])
def test_unreadable_files(bundled, payload, words):
    ev, problems = read_upload(None, payload, bundled)
    assert ev is None and len(problems) >= 1
    assert any(words in p.message for p in problems)


def test_nothing_uploaded():
    ev, problems = read_upload(None, None)
    assert ev is None and problems[0].message == "no file given"


@settings(max_examples=60, deadline=None)
@given(trials=st.one_of(st.none(), st.binary(max_size=300)), effects=st.binary(max_size=300))
def test_read_upload_never_raises_on_arbitrary_bytes(trials, effects):
    ev, problems = read_upload(trials, effects, _BUNDLED)
    assert (ev is None) == bool(problems)


@settings(max_examples=60, deadline=None)
@given(cells=st.lists(st.text(max_size=8), min_size=6, max_size=6))
def test_read_upload_never_raises_on_arbitrary_cells(cells):
    header = "effect_id,trial_id,outcome,yi,vi,provenance\n"
    line = ",".join('"' + c.replace('"', '""') + '"' for c in cells) + "\n"
    ev, problems = read_upload(None, (header + line).encode("utf-8"), _BUNDLED)
    assert (ev is None) == bool(problems)


_BUNDLED = load_evidence()
