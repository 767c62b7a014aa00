"""The exported R and Python scripts (peerstats.scripts) refit the model the app pooled.

Each R script is run with ``Rscript`` when R with metafor is on this machine (skipped with a reason when it is not:
CI does not need R); a few lines appended to the script write metafor's ``res`` as JSON, which is compared with
:func:`peerstats.pool` on the same numbers. Each Python script is run in a subprocess and its ``res`` compared too.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from peerstats import NoStudiesError, pool
from peerstats.data import load_evidence
from peerstats.scripts import metafor_script, python_script, report_id
from peerstats.select import Filters, select

ROOT = Path(__file__).resolve().parent.parent

# Closed forms (FE, DL): both sides evaluate the same formulas in double precision from the same decimal literals
# (R's parser may read a 17-digit literal one ulp away from Python's); 1e-10 relative leaves room for summation order
# and that ulp, nothing more (see tests/test_metafor_alignment.py).
RTOL_CLOSED, ATOL_CLOSED = 1e-10, 1e-12
# REML / PM: the script runs metafor with control(threshold = 1e-12, tol = 1e-12), the engine solves to ~1e-12, so
# tau2 and everything depending on it agree to ~1e-11; 1e-8 relative (1e-10 absolute near 0) as in the alignment tests.
RTOL_ITER, ATOL_ITER = 1e-8, 1e-10
# I2 (percent) magnifies a residual tau2 at the 0 boundary by 100 / s2 (s2 >= ~1e-3 here).
ATOL_I2_ITER = 1e-7

# Appended to a generated script: metafor's res (and the labels as R read them) as JSON on stdout. predict() of an
# FE model has no prediction interval: it equals the CI (as PoolResult's pi_low / pi_high for "FE").
R_DUMP = """
p <- predict(res)
cat("@@JSON@@", jsonlite::toJSON(list(
  label = dat$label, estimate = as.numeric(res$b), se = res$se, ci_low = res$ci.lb, ci_high = res$ci.ub,
  pval = res$pval, statistic = res$zval, tau2 = res$tau2, i2 = res$I2, q = res$QE, q_pval = res$QEp,
  pi_low = if (is.null(p$pi.lb)) p$ci.lb else p$pi.lb, pi_high = if (is.null(p$pi.ub)) p$ci.ub else p$pi.ub, weights = as.numeric(weights(res))), digits = NA, auto_unbox = TRUE), "\\n")
"""

TRICKY = ['Smith "the elder" et al., 2001', "Back\\slash & Söderström, 2010", "O'Neil\tet al., 2012",
          "Line\nbreak 2015", "Ünïcødé — 2019"]


def _bundled(outcome: str, filters: Filters = Filters()):
    sel = select(load_evidence(), filters, outcome)
    return list(sel.effects["label"].astype(str)), sel.yi, sel.vi


def _cases():
    rng = np.random.default_rng(20261201)
    tricky = (TRICKY, rng.normal(0.2, 0.3, 5), rng.uniform(0.01, 0.2, 5))
    return [
        pytest.param(*_bundled("personal_recovery"), "DL", "z", 0.95, id="personal_recovery-DL-z"),
        pytest.param(*_bundled("hope"), "REML", "knha", 0.95, id="hope-REML-knha"),
        pytest.param(*_bundled("overall_symptoms"), "PM", "z", 0.90, id="overall_symptoms-PM-z-90"),
        pytest.param(*_bundled("empowerment"), "FE", "z", 0.95, id="empowerment-FE-z"),
        pytest.param(*tricky, "DL", "knha", 0.95, id="tricky_labels-DL-knha"),
    ]


CASES = _cases()
HAVE_R = shutil.which("Rscript") is not None and subprocess.run(
    ["Rscript", "-e", "library(metafor); library(jsonlite)"], capture_output=True).returncode == 0 \
    if shutil.which("Rscript") else False


def _close(name, actual, expected, rtol, atol):
    a, e = np.atleast_1d(np.asarray(actual, float)), np.atleast_1d(np.asarray(expected, float))
    assert a.shape == e.shape, name
    ok = np.isclose(a, e, rtol=rtol, atol=atol) | (np.isnan(a) & np.isnan(e))
    assert ok.all(), f"{name}: peerstats {a} vs metafor {e}"


@pytest.mark.skipif(not HAVE_R, reason="Rscript with metafor and jsonlite is not installed (CI does not need R)")
@pytest.mark.parametrize("labels, yi, vi, method, test, level", CASES)
def test_metafor_script_refits_pool(tmp_path, labels, yi, vi, method, test, level):
    script = metafor_script(labels, yi, vi, method=method, test=test, level=level, title="Test", url="http://x/?a=1")
    (tmp_path / "analysis.R").write_text(script + R_DUMP, encoding="utf-8")
    run = subprocess.run(["Rscript", "analysis.R"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.split("@@JSON@@", 1)[1])
    assert (tmp_path / "forest_plot.pdf").stat().st_size > 1000  # the forest plot was drawn
    assert got["label"] == labels  # every label reached R unchanged (quotes, backslashes, tabs, newlines, unicode)
    res = pool(yi, vi, method=method, test=test, level=level)
    rtol, atol = (RTOL_ITER, ATOL_ITER) if method in ("REML", "PM") else (RTOL_CLOSED, ATOL_CLOSED)
    for name in ("estimate", "se", "ci_low", "ci_high", "statistic", "pval", "q", "q_pval", "pi_low", "pi_high",
                 "weights"):
        _close(name, getattr(res, name), got[name], rtol, atol)
    _close("tau2", res.tau2, got["tau2"], rtol, atol)
    _close("i2", res.i2, got["i2"], rtol, ATOL_I2_ITER if method in ("REML", "PM") else atol)


@pytest.mark.parametrize("labels, yi, vi, method, test, level", CASES)
def test_python_script_runs_and_refits_pool(tmp_path, labels, yi, vi, method, test, level):
    script = python_script(labels, yi, vi, method=method, test=test, level=level, title='A """title""" \\ here',
                           url="http://x/?a=1")
    path = tmp_path / "analysis.py"
    path.write_text(script, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # Run as a user runs it (as __main__: prints the model), then dump its namespace: the data round-trip exactly
    # (repr of a double), so its res is the app's pool bit for bit.
    probe = (f"import runpy, json; ns = runpy.run_path({str(path)!r}, run_name='__main__'); r = ns['res']; "
             "print('@@JSON@@', json.dumps({'labels': ns['labels'], 'yi': ns['yi'], 'vi': ns['vi'], "
             "'estimate': r.estimate, 'se': r.se, 'tau2': r.tau2, 'method': r.method, 'test': r.test, "
             "'level': r.level}))")
    run = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env=env)
    assert run.returncode == 0, run.stderr
    printed, dumped = run.stdout.split("@@JSON@@", 1)
    ns = json.loads(dumped)
    res = pool(yi, vi, method=method, test=test, level=level)
    assert f"estimate = {res.estimate:.4f}" in printed
    assert f"k = {len(labels)}" in printed
    assert ns["labels"] == labels
    assert ns["yi"] == [float(x) for x in yi] and ns["vi"] == [float(x) for x in vi]
    assert (ns["method"], ns["test"], ns["level"]) == (method, test, level)
    assert ns["estimate"] == res.estimate and ns["se"] == res.se
    assert (math.isnan(ns["tau2"]) and math.isnan(res.tau2)) or ns["tau2"] == res.tau2


def test_scripts_refuse_what_pool_refuses():
    with pytest.raises(NoStudiesError):
        metafor_script([], [], [])
    with pytest.raises(ValueError, match=r"vi\[1\]"):
        python_script(["a", "b"], [0.1, 0.2], [0.1, 0.0])
    with pytest.raises(ValueError, match="same length"):
        metafor_script(["a"], [0.1, 0.2], [0.1, 0.1])
    with pytest.raises(ValueError, match="method"):
        metafor_script(["a"], [0.1], [0.1], method="ML")


def test_metafor_script_text_names_the_model():
    s = metafor_script(["a", "b"], [0.1, 0.2], [0.01, 0.02], method="REML", test="knha", level=0.9)
    assert 'method = "REML", test = "knha", level = 90, control = list(threshold = 1e-12' in s
    assert "res <- rma(" in s and "forest(res" in s
    # A line break in the title cannot end the comment and inject code.
    s = metafor_script(["a"], [0.1], [0.01], title="x\nsystem('rm -rf /')")
    assert "\nsystem(" not in s


def test_report_id_depends_on_data_and_view_only():
    a = report_id({"yi": [0.1, 0.2]}, {"outcome": "hope", "method": "DL"})
    assert a == report_id({"yi": [0.1, 0.2]}, {"method": "DL", "outcome": "hope"})  # key order is irrelevant
    assert a != report_id({"yi": [0.1, 0.2000001]}, {"outcome": "hope", "method": "DL"})
    assert a != report_id({"yi": [0.1, 0.2]}, {"outcome": "hope", "method": "REML"})
    assert len(a) == 12 and int(a, 16) >= 0
    # Independently: sha256 of the canonical JSON.
    import hashlib
    payload = '{"data":{"yi":[0.1,0.2]},"view":{"method":"DL","outcome":"hope"}}'
    assert a == hashlib.sha256(payload.encode()).hexdigest()[:12]
