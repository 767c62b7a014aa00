"""The importer agrees with R metafor on the committed example file (validation/importer_reference.R, pinned in
validation/importer_reference.json; R is never needed here).

- Arm-data rows of the Metapsy peer-support file, imported with the guessed mapping (semicolons, decimal commas,
  ``NA``): yi and vi equal ``escalc("SMD")``.
- The "Try an example" data (Metapsy's .g and .g_se, first row per study and outcome): ``pool()`` of each outcome
  under FE, DL, REML and PM equals ``rma(yi, sei = , method = )``.

Tolerances as in tests/test_metafor_alignment.py: closed forms (escalc, FE, DL) 1e-10 relative; REML and PM (solved
to ~1e-12 on both sides) 1e-8 relative, 1e-10 absolute at the tau2 = 0 boundary. The JSON stores metafor's doubles
with 15+ significant digits (jsonlite digits = NA).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dashboard.byor import EXAMPLE, EXAMPLE_MAPPING
from peerstats import pool
from peerstats.importer import import_studies
from peerstats.select import Filters, select

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "validation" / "importer_reference.json").read_text())
CASES = {c["id"]: c for c in REF["cases"]}
RTOL_CLOSED, ATOL_CLOSED = 1e-10, 1e-12
RTOL_ITER, ATOL_ITER = 1e-8, 1e-10


@pytest.fixture(scope="module")
def guessed():
    return import_studies(EXAMPLE.read_bytes(), EXAMPLE.name)


@pytest.fixture(scope="module")
def example():
    return import_studies(EXAMPLE.read_bytes(), EXAMPLE.name, EXAMPLE_MAPPING)


def test_arm_rows_equal_escalc(guessed):
    case = CASES["escalc-SMD-metapsy-arm-rows"]
    eff = guessed.evidence.effects.set_index("row")
    rows = case["rows"]
    assert set(eff.loc[rows, "formula"].str.startswith("smd(")) == {True}
    np.testing.assert_allclose(eff.loc[rows, "yi"], case["expected"]["yi"], rtol=RTOL_CLOSED, atol=ATOL_CLOSED)
    np.testing.assert_allclose(eff.loc[rows, "vi"], case["expected"]["vi"], rtol=RTOL_CLOSED, atol=ATOL_CLOSED)


POOL = [c for c in REF["cases"] if c["fn"] == "pool"]


@pytest.mark.parametrize("case", POOL, ids=[c["id"] for c in POOL])
def test_example_pools_like_rma(example, case):
    code = next(k for k, v in example.outcomes.items() if v[1] == case["outcome"])
    sel = select(example.evidence, Filters(), code)
    assert sorted(sel.effects["row"]) == sorted(case["rows"])       # the same rows as metafor's
    res = pool(sel.yi, sel.vi, method=case["method"])
    exp = case["expected"]
    rtol, atol = (RTOL_CLOSED, ATOL_CLOSED) if case["method"] in ("FE", "DL") else (RTOL_ITER, ATOL_ITER)
    assert res.k == exp["k"]
    for field in ("estimate", "se", "ci_low", "ci_high", "pval", "tau2", "q", "q_pval"):
        assert getattr(res, field) == pytest.approx(exp[field], rel=rtol, abs=atol), field
    assert res.i2 == pytest.approx(exp["i2"], rel=rtol, abs=100 * atol)
