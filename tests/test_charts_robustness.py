"""Robustness charts: the data each layer draws, read back from the Vega-Lite spec."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from dashboard import charts
from peerstats import baujat, influence

YI = np.array([0.62, 0.10, 0.45, -0.05, 0.80, 0.20, 1.9])
VI = np.array([0.04, 0.05, 0.02, 0.06, 0.09, 0.01, 0.05])


def _layers(spec):
    return spec["layer"]


def _data(spec, layer):
    data = layer.get("data", spec.get("data"))  # layers drawn from the same frame share the top-level data
    return pd.DataFrame(spec["datasets"][data["name"]])


def test_baujat_points_and_flagged_labels():
    frame = baujat(YI, VI, method="DL")
    frame["label"] = [f"T{i}" for i in range(7)]
    frame["influential"] = influence(YI, VI, "DL")["inf"].to_numpy()
    assert frame["influential"].any()  # study 6 (SMD 1.9) is an outlier: flagged
    spec = charts.baujat_plot(frame).to_dict(validate=True)
    pts, labels = _layers(spec)
    d = _data(spec, pts)
    np.testing.assert_allclose(d["x"], frame["x"])
    np.testing.assert_allclose(d["y"], frame["y"])
    assert list(d.loc[d["influential"], "label"]) == list(frame.loc[frame["influential"], "label"])
    assert labels["mark"]["type"] == "text"


def test_contour_funnel_regions_follow_normal_quantiles():
    studies = pd.DataFrame({"yi": YI, "vi": VI, "label": list("abcdefg")})
    spec = charts.contour_funnel(studies, estimate=0.4).to_dict(validate=True)
    area, pts, rule = _layers(spec)
    region = _data(spec, area)
    # the p < .05 boundary: |x| = z_.975 * se (the inner edge of the 0.01 <= p < 0.05 band on the right side)
    band = region[(region["region"] == "0.01 ≤ p < 0.05") & (region["side"] == 1)]
    np.testing.assert_allclose(band["x1"], stats.norm.ppf(0.975) * band["se"], rtol=1e-12)
    band10 = region[(region["region"] == "0.05 ≤ p < 0.10") & (region["side"] == -1)]
    np.testing.assert_allclose(band10["x2"], -stats.norm.ppf(0.95) * band10["se"], rtol=1e-12, atol=1e-15)
    p = _data(spec, pts)
    np.testing.assert_allclose(p["se"], np.sqrt(VI))
    assert _data(spec, rule)["x"].tolist() == [0.4]


def test_specification_curve_sorted_with_choice_matrix():
    from peerstats import specifications
    from synthetic_evidence import evidence
    specs = specifications(evidence(), "personal_recovery")
    spec = charts.specification_curve(specs, current=0.2).to_dict(validate=True)
    (inner,) = spec["vconcat"]  # nested once: Streamlit leaves a nested concat's widths alone
    top, bottom = inner["vconcat"]
    ci, pts, zero, cur, *cut = top["layer"]  # cut: the ends of intervals past the axis (issue 21)
    d = pd.DataFrame(spec["datasets"][pts["data"]["name"]])
    assert np.all(np.diff(d["estimate"]) >= 0)  # sorted
    np.testing.assert_array_equal(d["rank"], np.arange(1, len(specs) + 1))
    excl = (d["ci_low"] > 0) | (d["ci_high"] < 0)
    assert (d.loc[excl, "excludes_zero"] == "CI excludes 0").all()
    # the matrix: the points' own data folded by Vega into one tick per specification and choice dimension
    (fold,) = bottom["transform"]
    assert fold["as"] == ["dimension", "choice"] and len(fold["fold"]) == 7
    rows = pd.DataFrame(spec["datasets"][bottom["data"]["name"]])
    m = rows.melt(id_vars=["rank"], value_vars=fold["fold"], value_name="choice")  # what the fold does
    assert len(m) == 7 * len(specs)
    assert set(m.loc[m["choice"].str.startswith("Estimator: "), "choice"]) == {
        f"Estimator: {x}" for x in ("FE", "DL", "REML", "PM")}
    # each tick is its specification's choice: the row's estimator is the one the frame gives that specification
    est = m[m["choice"].str.startswith("Estimator: ")].merge(d[["rank", "spec"]], on="rank")
    assert (est["choice"] == "Estimator: " + specs.loc[est["spec"], "method"].astype(str).to_numpy()).all()
    assert bottom["encoding"]["y"]["sort"][0].startswith("Category: ")  # rows in the order of the dimensions


def test_specification_curve_click_selects_one_specification_in_one_view():
    from peerstats import specifications
    from synthetic_evidence import evidence
    specs = specifications(evidence(), "personal_recovery").iloc[::-1]  # row labels no longer equal to positions
    spec = charts.specification_curve(specs).to_dict(validate=True)
    # one point selection, hoisted to the top level by Altair, bound to exactly one view: the estimates layer
    (param,) = [p for p in spec["params"] if p["name"] != "fit"]  # fit: the box's width (issue 21)
    assert param["name"] == charts.SPEC_PICK
    assert param["select"] == {"type": "point", "fields": ["spec"], "on": "click", "clear": "dblclick"}
    top, bottom = spec["vconcat"][0]["vconcat"]
    named = [layer.get("name") for layer in top["layer"]]
    assert param["views"] == [named[1]] and sum(n is not None for n in named) == 1
    assert "params" not in bottom and all("params" not in layer for layer in top["layer"])
    # "spec" is each point's row label in the frame given, so a click maps back to that specification
    d = pd.DataFrame(spec["datasets"][top["layer"][1]["data"]["name"]])
    np.testing.assert_allclose(d["estimate"], specs.loc[d["spec"], "estimate"].to_numpy())
    assert sorted(d["spec"]) == sorted(specs.index)
    # the selected point is drawn larger; nothing is selected at first (empty = False)
    size = top["layer"][1]["encoding"]["size"]
    assert size["condition"]["param"] == charts.SPEC_PICK and size["condition"]["empty"] is False


def test_specification_curve_with_its_selection_still_exports():
    from dashboard import export
    from peerstats import specifications
    from synthetic_evidence import evidence
    svg = export.chart_svg(charts.specification_curve(specifications(evidence(), "personal_recovery"), current=0.1))
    assert svg.startswith("<svg") and "Specification curve" in svg


def test_specification_curve_numbers_in_words_and_as_a_table():
    """The curve's text alternative: its caption (also in its accessible name) states the numbers computed here from
    the specifications directly, and its data table lists every point left to right."""
    from peerstats import specifications
    from synthetic_evidence import evidence
    specs = specifications(evidence(), "personal_recovery")
    est = specs["estimate"].to_numpy(dtype=float)
    fin = np.sort(est[np.isfinite(est)])
    low, high = specs["ci_low"].to_numpy(), specs["ci_high"].to_numpy()
    n_excl = int(np.sum(((low > 0) | (high < 0))[np.isfinite(est)]))
    words = charts.specification_summary(charts.specification_points(specs), 0.2)

    def num(x):
        return f"{x:.2f}".replace("-", "\u2212")

    assert words.startswith(f"{len(fin):,} specifications")
    assert f"from {num(fin[0])} to {num(fin[-1])}, median {num(np.median(fin))}" in words
    assert f"{n_excl:,} of the 95% CIs ({100 * n_excl / len(fin):.0f}%) exclude 0" in words
    assert f"{len(fin) - n_excl:,} include it" in words
    assert f"percentile {100 * np.mean(fin <= 0.2):.0f}" in words
    description = charts.specification_curve(specs, current=0.2).to_dict()["description"]
    assert words in description and description.startswith("Specification curve")
    table = charts.specification_data(specs)
    assert len(table) == len(fin) and table["Point (left to right)"].tolist() == list(range(1, len(fin) + 1))
    np.testing.assert_allclose(table["Estimate"], fin)
    # each row's CI and choices are its specification's (the estimate alone can tie)
    merged = table.merge(specs.rename(columns={"estimate": "Estimate", "ci_low": "95% CI low",
                                               "ci_high": "95% CI high", "method": "Estimator", "test": "Test"}),
                         on=["Estimate", "95% CI low", "95% CI high", "Estimator", "Test"], how="left")
    assert merged["k_y"].notna().all() and (merged["k_x"] == merged["k_y"]).all()
    assert set(table["95% CI"]) <= {"excludes 0", "includes 0"}
    assert (table["95% CI"] == "excludes 0").sum() == n_excl


def test_specification_summary_says_when_there_is_nothing_and_leaves_out_a_missing_current():
    import pandas as pd
    empty = charts.specification_points(pd.DataFrame({"estimate": [np.nan], "ci_low": [np.nan],
                                                      "ci_high": [np.nan]}))
    assert charts.specification_summary(empty) == "No specification has an estimate."
    one = charts.specification_points(pd.DataFrame({"estimate": [0.3], "ci_low": [-0.1], "ci_high": [0.7]}))
    words = charts.specification_summary(one, None)
    assert words.startswith("1 specification,") and "percentile" not in words and "0 of the 95% CIs (0%)" in words
