"""The reconstruction procedure (data/build/reconstruct.py) and the build's reproducibility."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from peerstats.data import DATA_DIR
from peerstats.meta import pool

BUILD = Path(__file__).resolve().parents[1] / "data" / "build"
# data/build is a folder of scripts, not a package: load the module from its file
_spec = importlib.util.spec_from_file_location("data_build_reconstruct", BUILD / "reconstruct.py")
rc = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rc)


@pytest.mark.parametrize("seed", range(5))
def test_solver_pooling_equals_the_engine(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 12))
    y = rng.normal(0.2, 0.3, k)
    v = rng.uniform(0.005, 0.1, k)
    est, lo, hi, i2 = rc.dl_summary(y, v)
    res = pool(y, v, method="DL")
    assert (est, lo, hi) == pytest.approx((res.estimate, res.ci_low, res.ci_high), abs=1e-12)
    assert i2 == pytest.approx(res.i2 if np.isfinite(res.i2) else 0.0, abs=1e-9)


def test_sizes_are_the_trials_own_never_more():
    # Cell "a:x" (paper's N 1000) holds fixed trial f (n 200) and reconstructed t1 (own arms 150/150), t2 (250/250)
    # and u (N unknown); "all:x" (N 1300) adds w (own 45/45). a:x leaves 800; t1 + t2 = 800 fit exactly, so they keep
    # their own arms and nothing is left for u, which gets the floor of 4 (2 + 2). all:x leaves 1300 - 1000 - 4 =
    # 296 for w, more than its own 90: w keeps 45/45 (never scaled up).
    cells = [rc.Cell("all:x", ["f", "t1", "t2", "u", "w"], np.zeros(4), 1300),
             rc.Cell("a:x", ["f", "t1", "t2", "u"], np.zeros(4), 1000)]
    own = {"t1": (150, 150, ""), "t2": (250, 250, ""), "u": None, "w": (45, 45, "")}
    sizes, _ = rc.assign_sizes(cells, {"f": 200}, ["t1", "t2", "u", "w"], own)
    assert {t: v[:2] for t, v in sizes.items()} == {"t1": (150, 150), "t2": (250, 250), "u": (2, 2), "w": (45, 45)}


def test_sizes_scale_down_to_the_papers_n_and_unknown_n_is_capped():
    # a:x leaves 1000 - 200 = 800 for t1 (own 300 + 100 = 400) and t2 (own 300 + 300 = 600): 1000 > 800, so both
    # are scaled by 0.8 -> totals 320 and 480, arms in the trial's own ratio: 240/80 and 240/240.
    cells = [rc.Cell("a:x", ["f", "t1", "t2"], np.zeros(4), 1000)]
    sizes, warn = rc.assign_sizes(cells, {"f": 200}, ["t1", "t2"], {"t1": (300, 100, ""), "t2": (300, 300, "")})
    assert (sizes["t1"][:2], sizes["t2"][:2]) == ((240, 80), (240, 240))
    assert warn and "scaled down" in sizes["t1"][2]
    # Unknown N: the N left (1000 - 200 - 100 = 700) shared by two unknown trials would be 350 each, more than the
    # largest trial of the cell with a known N (200): capped at 200 (100 + 100).
    cells = [rc.Cell("a:x", ["f", "t1", "u1", "u2"], np.zeros(4), 1000)]
    sizes, _ = rc.assign_sizes(cells, {"f": 200}, ["t1", "u1", "u2"], {"t1": (50, 50, ""), "u1": None, "u2": None})
    assert sizes["u1"][:2] == sizes["u2"][:2] == (100, 100)


def test_own_arms_prefers_real_arms_then_randomised_n():
    assert rc.own_arms("a", {"a": (12, 9)}, {"a": 40})[:2] == (12, 9)
    assert rc.own_arms("b", {}, {"b": 41.0})[:2] == (21, 20)
    assert rc.own_arms("c", {}, {"c": None}) is None


def test_solver_reproduces_targets_and_keeps_fixed_rows():
    # Targets made by the engine from known values: a fixed row (0.5, v 0.04) and three trials of 50 + 50 with
    # yi = 0.2 + 0.3 z (z the spread pattern: -0.9674, +0.9674, 0) and their own SMD variances. The solver must find
    # those values again (one answer) and give each the variance of its own arms.
    prob = _three_trial_problem()
    sol = rc.solve(prob)
    z = {"r1": -0.9674215661017010, "r2": 0.9674215661017010, "r3": 0.0}
    for t in ("r1", "r2", "r3"):
        assert sol["yi"][t] == pytest.approx(0.2 + 0.3 * z[t], abs=1e-5)
        assert sol["vi"][t] == pytest.approx(1 / 50 + 1 / 50 + sol["yi"][t] ** 2 / 200, rel=1e-12)
    assert np.all(np.abs(sol["residuals"]) <= 1e-3)


def test_over_determined_cell_reports_its_gap():
    # k = 2 with one fixed row: one yi and one scale cannot meet SMD, CI width and I2 at once in general.
    target = np.array([0.27, -0.02, 0.56, 72.0])
    cell = rc.Cell("online:personal_recovery", ["h", "k"], target, 746)
    prob = rc.Problem("personal_recovery", [cell], fixed={"h": (0.4513, 0.00945, 446)})
    prob.recon["k"] = {"n1": 150, "n2": 150, "cell": cell.name}
    sol = rc.solve(prob)
    assert np.max(np.abs(sol["residuals"])) > 1.0


def test_spread_pattern_is_interleaved_normal_scores():
    # r = 3: scores Phi^-1(1/6) = -0.9674, Phi^-1(1/2) = 0, Phi^-1(5/6) = +0.9674, dealt in the order 1, 3, 2 to the
    # trials sorted by id: a -> score 1, b -> score 3, c -> score 2.
    z = rc.spread_pattern(["c", "a", "b"])
    assert z["a"] == pytest.approx(-0.9674215661017010, abs=1e-12)
    assert z["b"] == pytest.approx(0.9674215661017010, abs=1e-12)
    assert z["c"] == pytest.approx(0.0, abs=1e-15)
    assert rc.spread_pattern(["x"]) == {"x": 0.0}


def _three_trial_problem():
    y = np.array([0.5, 0.2 - 0.3 * 0.9674215661017010, 0.2 + 0.3 * 0.9674215661017010, 0.2])
    v = np.concatenate([[0.04], 1 / 50 + 1 / 50 + y[1:] ** 2 / 200])
    res = pool(y, v, method="DL")
    target = np.array([res.estimate, res.ci_low, res.ci_high, res.i2])
    assert 40 < res.i2 < 60  # a cell with heterogeneity, so the spread is identified
    cell = rc.Cell("all:hope", ["f1", "r1", "r2", "r3"], target, 400)
    prob = rc.Problem("hope", [cell], fixed={"f1": (0.5, 0.04, 100)})
    for t in ("r1", "r2", "r3"):
        prob.recon[t] = {"n1": 50, "n2": 50, "cell": "all:hope"}
    return prob


@pytest.mark.parametrize("start", [0.2, 0.8, 1.2])
def test_solution_does_not_depend_on_the_start(monkeypatch, start):
    # Well-posed: one minimum. Other plausible starting spreads must reach the same values (to well under the 1e-9
    # that defines "the same build" for the committed files; the solver's own termination is the limit). A start of
    # 2.0 (values spread over +/-2 SMD) stalls far from any fit (largest residual 84 tolerances): the build never starts
    # there, and its fit table would show such a stall.
    base = rc.solve(_three_trial_problem())
    monkeypatch.setattr(rc, "START_SPREAD", start)
    other = rc.solve(_three_trial_problem())
    for t in ("r1", "r2", "r3"):
        assert other["yi"][t] == pytest.approx(base["yi"][t], abs=1e-8)
        assert other["vi"][t] == pytest.approx(base["vi"][t], rel=1e-7)


def test_bounded_rows_stay_within_their_bounds_and_the_gap_is_reported():
    # A row whose plausible range is [0.0, 0.1] cannot carry a cell to 0.27 with a fixed row at 0.5 of the same weight:
    # the values stay inside the bounds and the residuals say the cell is missed.
    prob = _three_trial_problem()
    for t in ("r1", "r2", "r3"):
        prob.recon[t]["bounds"] = (0.0, 0.1)
    sol = rc.solve(prob)
    for t in ("r1", "r2", "r3"):
        assert 0.0 < sol["yi"][t] < 0.1
    assert np.max(np.abs(sol["residuals"])) > 1.0


def test_committed_files_equal_a_fresh_build(monkeypatch):
    # "The same build" (data/README.md): text identical; yi within 1e-9, vi within 1e-9 relative. The build is bit
    # for bit the same under every BLAS kernel tried (data/build/check_determinism.py), so this has no slack for a
    # changed procedure, input or committed file.
    import io

    import pandas as pd

    monkeypatch.syspath_prepend(str(BUILD))  # build.py imports its sibling scripts by name, as when run from there
    import build

    frames = build.build_all()
    for name in ("trials", "effects", "published"):
        fresh = pd.read_csv(io.StringIO(build.to_csv_text(name, frames[name])), dtype=str, keep_default_na=False)
        committed = pd.read_csv(DATA_DIR / f"{name}.csv", dtype=str, keep_default_na=False)
        assert list(fresh.columns) == list(committed.columns), name
        assert len(fresh) == len(committed), name
        for col in fresh.columns:
            if name == "effects" and col == "yi":
                np.testing.assert_allclose(fresh[col].astype(float), committed[col].astype(float), rtol=0, atol=1e-9)
            elif name == "effects" and col == "vi":
                np.testing.assert_allclose(fresh[col].astype(float), committed[col].astype(float), rtol=1e-9, atol=0)
            else:
                assert fresh[col].tolist() == committed[col].tolist(), (name, col)


def _cells_as_committed():
    from peerstats.data import load_evidence

    ev = load_evidence()
    pub = ev.published[ev.published.status == "reported"]
    eff = ev.effects[ev.effects.primary]
    for _, c in pub.iterrows():
        name = f"{c['category']}:{c['outcome']}"
        rows = eff[eff.paper_cells.fillna("").str.split(";").map(lambda xs: name in xs)]
        yield name, c, rows


def test_committed_rows_meet_every_reachable_target_without_the_solver():
    # Independent of the solver: pool the committed rows of each published cell with the app's engine and compare with
    # the paper (SMD and CI bounds +/-0.005, I2 +/-0.5). A cell may miss only if the build's fit table says so, and
    # only if it holds a real row the reconstruction must not move, or if the trials' own sizes cannot give a CI as
    # narrow as the paper's (precision is never imputed). The fit table's numbers must be what the committed rows give.
    import pandas as pd

    fit = pd.read_csv(BUILD / "reconstruction_fit.csv", dtype=str, keep_default_na=False).set_index("cell")
    for name, c, rows in _cells_as_committed():
        res = pool(rows.yi.to_numpy(float), rows.vi.to_numpy(float), method="DL")
        i2 = res.i2 if np.isfinite(res.i2) else 0.0
        ok = (abs(res.estimate - c["smd"]) <= 0.005 and abs(res.ci_low - c["ci_low"]) <= 0.005
              and abs(res.ci_high - c["ci_high"]) <= 0.005 and abs(i2 - c["i2"]) <= 0.5)
        set_aside = fit.loc[name, "set_aside"]
        assert res.k == int(c["k"]) - len(set_aside.split()), name
        assert (fit.loc[name, "ok"] == "True") == ok, name
        assert float(fit.loc[name, "smd"]) == pytest.approx(res.estimate, abs=6e-5), name
        assert float(fit.loc[name, "i2"]) == pytest.approx(i2, abs=6e-3), name
        rec = (rows.provenance == "reconstructed").to_numpy()
        w = np.asarray(res.weights)
        assert float(fit.loc[name, "reconstructed_weight"]) == pytest.approx(w[rec].sum(), abs=0.06), name
        assert (fit.loc[name, "gap"] == "") == (ok and int(fit.loc[name, "n"]) == int(c["n"])), name
        if ok:
            assert not set_aside, f"{name}: a trial left the cell, yet it agrees"
            continue
        if rec.all():
            # Only reconstructed rows: the narrowest CI their sizes allow (all values equal, tau2 = 0, vi at yi = 0)
            # must be wider than the paper's, else the solver should have met the cell.
            n1, n2 = rows.n_peer.to_numpy(float), rows.n_control.to_numpy(float)
            narrowest = 2 * 1.959963984540054 / np.sqrt(np.sum(1 / (1 / n1 + 1 / n2)))
            assert narrowest > c["ci_high"] - c["ci_low"] + 0.01, name


def _min_variance(n_total: float, yi: float) -> float:
    """The smallest SMD variance a trial of ``n_total`` participants can give: the equal split (the sum 1/n1 + 1/n2
    is smallest there), all participants counted."""
    n1, n2 = np.ceil(n_total / 2), np.floor(n_total / 2)
    return 1 / n1 + 1 / n2 + yi**2 / (2 * n_total)


def test_no_reconstructed_row_is_more_precise_than_its_trial():
    # Recomputed from trials.csv, not from the build: a reconstructed row's vi is at least the variance its trial's
    # randomised N gives; where N is unknown, at least what the largest trial with a known N pooled beside it in the
    # same paper cells gives (the plausible size). And vi is exactly the SMD variance of the row's own arm sizes: no
    # variance scale.
    from peerstats.data import load_evidence

    ev = load_evidence()
    n_rand = dict(zip(ev.trials.trial_id, pd_num(ev.trials.n_randomized)))
    eff = ev.effects
    rec = eff[eff.provenance == "reconstructed"]
    assert len(rec) == 22
    for r in rec.itertuples():
        n = n_rand[r.trial_id]
        if not np.isfinite(n):
            mates = {t for cell in r.paper_cells.split(";")
                     for t in eff.loc[eff.paper_cells.fillna("").str.split(";").map(lambda xs: cell in xs),
                                      "trial_id"] if t != r.trial_id}
            n = max(n_rand[t] for t in mates if np.isfinite(n_rand[t]))
        assert r.n_peer + r.n_control <= n, r.effect_id
        assert r.vi >= _min_variance(n, r.yi) * (1 - 1e-12), r.effect_id
        own = 1 / r.n_peer + 1 / r.n_control + r.yi**2 / (2 * (r.n_peer + r.n_control))
        assert r.vi == pytest.approx(own, rel=1e-9), r.effect_id


def pd_num(s):
    import pandas as pd

    return pd.to_numeric(s, errors="coerce").to_numpy(float)


def test_several_starts_keep_the_lowest_cost(monkeypatch):
    # Bounded values can leave a worse local minimum (all: anxiety had one, every value pressed against a bound). The
    # solver tries every start and keeps the lowest cost: its cost is the minimum of the single-start costs.
    prob = _three_trial_problem()
    for t in ("r1", "r2", "r3"):
        prob.recon[t]["bounds"] = (-0.6, 0.2)
    both = rc.solve(prob)["cost"]
    singles = []
    for s in [rc.START_SPREAD, *rc.OTHER_STARTS]:
        monkeypatch.setattr(rc, "START_SPREAD", s)
        monkeypatch.setattr(rc, "OTHER_STARTS", ())
        singles.append(rc.solve(prob)["cost"])
    assert both == pytest.approx(min(singles), rel=1e-9)
