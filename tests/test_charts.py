"""The chart builders, read through their Vega-Lite spec (``chart.to_dict(validate=True)``).

Numbers drawn by the charts are compared with what ``peerstats.meta`` computes for the same rows, so a chart that
moved a diamond, dropped a row or mislabelled a reconstructed effect fails here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import charts
from dashboard.charts import RECONSTRUCTED_LABEL, ROB_DOMAINS, TRIAL_DATA_LABEL
from peerstats import meta

# Six studies; two are reconstructed. Values are arbitrary but fixed.
YI = np.array([0.10, 0.30, 0.50, -0.20, 0.40, 0.90])
VI = np.array([0.04, 0.02, 0.05, 0.03, 0.06, 0.10])
PROV = ["reported", "derived", "reported", "reconstructed", "reported", "reconstructed"]


def _studies() -> pd.DataFrame:
    return pd.DataFrame({
        "trial_id": [f"t{i}" for i in range(6)],
        "label": ["Alpha 2001", "Beta 2003", "Gamma 2005", "Delta 2010", "Epsilon 2012", "Zeta 2019"],
        "yi": YI, "vi": VI, "provenance": PROV,
        "category": ["online", "independent", "online", "hospital_added", "established_roles", "online"],
        "quality": ["poor", "fair", "good", "poor", "fair", "poor"],
        "control": ["tau"] * 6, "leadership": ["peer_led"] * 6, "n": [40, 120, 60, 80, 50, 30],
    })


def _layers(spec: dict, data: dict | None = None) -> list[dict]:
    """All unit views of a (possibly layered/concatenated) spec, depth first, each with the data it inherits."""
    data = spec.get("data", data)
    out = []
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in spec.get(key, []):
            out += _layers(sub, data)
    if "mark" in spec:
        out.append({**spec, "data": data})
    return out


def _mark(layer: dict) -> str:
    m = layer["mark"]
    return m["type"] if isinstance(m, dict) else m


def _data(spec: dict, layer: dict) -> pd.DataFrame:
    return pd.DataFrame(spec["datasets"][layer["data"]["name"]])


def _with_field(spec, mark, channel, field):
    return [ly for ly in _layers(spec) if _mark(ly) == mark and ly["encoding"].get(channel, {}).get("field") == field]


def _texts(spec) -> list[str]:
    out = []
    for ly in _layers(spec):
        if _mark(ly) == "text":
            enc = ly["encoding"].get("text", {})
            if "field" in enc:
                out += [str(t) for t in _data(spec, ly)[enc["field"]]]
            elif isinstance(ly["mark"], dict) and "text" in ly["mark"]:
                out.append(ly["mark"]["text"])
    return out


# ------------------------------------------------------------------------------------------------------ forest
@pytest.fixture(scope="module")
def forest_spec():
    pooled = meta.pool(YI, VI, method="DL")
    return charts.forest(_studies(), pooled, "Hope").to_dict(validate=True), pooled


def test_forest_diamond_spans_exactly_the_pooled_ci(forest_spec):
    spec, pooled = forest_spec
    (area,) = [ly for ly in _layers(spec) if _mark(ly) == "area"]
    dia = _data(spec, area)
    assert dia["x"].min() == pooled.ci_low and dia["x"].max() == pooled.ci_high
    widest = dia.loc[(dia["y2"] - dia["y"]).idxmax()]
    assert widest["x"] == pooled.estimate
    # the band closes to a point at both CI limits: a diamond, not a bar
    ends = dia[dia["x"].isin([pooled.ci_low, pooled.ci_high])]
    assert (ends["y"] == ends["y2"]).all()


def test_forest_study_cis_squares_and_weights(forest_spec):
    spec, pooled = forest_spec
    (ci,) = _with_field(spec, "rule", "x", "ci_low")
    (sq,) = [ly for ly in _layers(spec) if _mark(ly) == "square"]
    rows = _data(spec, ci)
    assert list(rows["label"]) == list(_studies()["label"])  # frame order kept
    np.testing.assert_allclose(rows["ci_low"], YI - 1.959963984540054 * np.sqrt(VI), rtol=1e-12)
    np.testing.assert_allclose(rows["ci_high"], YI + 1.959963984540054 * np.sqrt(VI), rtol=1e-12)
    assert sq["encoding"]["size"]["field"] == "weight"
    np.testing.assert_allclose(_data(spec, sq)["weight"], pooled.weights)  # squares sized by the pool's weights


def test_forest_reconstructed_rows_are_drawn_differently(forest_spec):
    spec, _ = forest_spec
    (sq,) = [ly for ly in _layers(spec) if _mark(ly) == "square"]
    rows = _data(spec, sq)
    assert list(rows["kind"] == RECONSTRUCTED_LABEL) == [p == "reconstructed" for p in PROV]
    enc = sq["encoding"]
    fill = dict(zip(enc["fill"]["scale"]["domain"], enc["fill"]["scale"]["range"]))
    stroke = dict(zip(enc["stroke"]["scale"]["domain"], enc["stroke"]["scale"]["range"]))
    assert fill[RECONSTRUCTED_LABEL] == "#FFFFFF" and fill[TRIAL_DATA_LABEL] != "#FFFFFF"  # hollow
    assert stroke[RECONSTRUCTED_LABEL] != stroke[TRIAL_DATA_LABEL]  # another colour
    (ci,) = _with_field(spec, "rule", "x", "ci_low")
    dash = dict(zip(ci["encoding"]["strokeDash"]["scale"]["domain"], ci["encoding"]["strokeDash"]["scale"]["range"]))
    assert dash[RECONSTRUCTED_LABEL] != dash[TRIAL_DATA_LABEL]  # dashed CI
    assert enc["fill"]["legend"] is not None and enc["fill"]["title"] == "Effect sizes"
    # the table names the provenance in words beside the colour
    assert _texts(spec).count("reconstructed") == 2


def test_forest_tooltips_name_trial_characteristics(forest_spec):
    spec, _ = forest_spec
    (sq,) = [ly for ly in _layers(spec) if _mark(ly) == "square"]
    titles = {t["title"] for t in sq["encoding"]["tooltip"]}
    assert {"Trial", "Category", "Quality (AHRQ)", "Control", "Leadership", "N", "Provenance",
            "SMD (g)", "Weight (%)"} <= titles


def test_forest_zero_line_axis_prediction_interval_and_favours(forest_spec):
    spec, pooled = forest_spec
    zero = [ly for ly in _with_field(spec, "rule", "x", "x") if list(_data(spec, ly)["x"]) == [0.0]]
    assert len(zero) == 1 and zero[0]["encoding"]["x"]["axis"]["title"] == "SMD (Hedges' g)"
    (pi,) = _with_field(spec, "rule", "x", "pi_low")
    pi_rows = _data(spec, pi)
    assert (pi_rows["pi_low"].item(), pi_rows["pi_high"].item()) == (pooled.pi_low, pooled.pi_high)
    texts = _texts(spec)
    assert "\u2190 favours control" in texts and "favours peer support \u2192" in texts
    assert "Pooled (DL)  (k = 6, I\u00b2 = 62%)" in texts  # I2 = 62.3 for these rows (metafor rma: 62.28%)
    assert "95% prediction interval" in texts


def test_forest_favours_follow_the_caller():
    pooled = meta.pool(YI, VI)
    texts = _texts(charts.forest(_studies(), pooled, "Anxiety", favours=("peer support", "control")).to_dict(validate=True))
    assert "\u2190 favours peer support" in texts and "favours control \u2192" in texts


def test_forest_single_study_and_no_pool():
    one = _studies().iloc[[0]]
    p1 = meta.pool(YI[:1], VI[:1])
    spec = charts.forest(one, p1, "Hope").to_dict(validate=True)
    marks = [_mark(ly) for ly in _layers(spec)]
    assert "square" in marks and "area" not in marks  # one trial: its square, no pooled diamond
    assert not _with_field(spec, "rule", "x", "pi_low")  # and no prediction interval
    assert spec["title"]["subtitle"] == "One trial: nothing to pool"
    spec0 = charts.forest(_studies(), None, "Hope").to_dict(validate=True)
    assert "area" not in [_mark(ly) for ly in _layers(spec0)]
    sq = [ly for ly in _layers(spec0) if _mark(ly) == "square"][0]
    np.testing.assert_allclose(_data(spec0, sq)["weight"], 100 / 6)  # equal sizes without a pool


def test_forest_uses_given_weight_and_rejects_missing_columns():
    st = _studies().assign(weight=[10, 20, 30, 15, 15, 10])
    spec = charts.forest(st, meta.pool(YI, VI), "Hope").to_dict(validate=True)
    sq = [ly for ly in _layers(spec) if _mark(ly) == "square"][0]
    assert list(_data(spec, sq)["weight"]) == [10, 20, 30, 15, 15, 10]
    with pytest.raises(ValueError, match="yi"):
        charts.forest(st.drop(columns=["yi"]), None, "Hope")


def _forest_of(k: int, seed: int) -> tuple[pd.DataFrame, object]:
    rng = np.random.default_rng(seed)
    studies = pd.DataFrame({"label": [f"Trial {i}, 20{i:02d}" for i in range(k)],
                            "yi": rng.normal(0.25, 0.35, k), "vi": rng.uniform(0.01, 0.09, k),
                            "provenance": rng.choice(["reported", "derived", "reconstructed"], k),
                            "quality": rng.choice(["good", "fair", "poor"], k), "n": rng.integers(20, 300, k)})
    return studies, meta.pool(studies["yi"].to_numpy(), studies["vi"].to_numpy(), method="DL")


def test_forest_spec_without_its_data_is_the_same_for_any_rows():
    """Issue 22: a filter that changes the rows (k = 5 -> 17) changes only the forest's datasets, so Streamlit swaps
    the data of the chart already drawn instead of embedding a new Vega view (its frontend re-embeds when the spec,
    datasets named by position, changes). Another outcome label changes the spec (the title)."""
    specs = []
    for k, seed in ((5, 1), (17, 2)):
        studies, pooled = _forest_of(k, seed)
        spec = charts.forest(studies, pooled, "Hope", method_label="Pooled (DL)").to_dict(validate=True)
        datasets = spec.pop("datasets")
        assert all(isinstance(rows, list) for rows in datasets.values())
        specs.append((spec, list(datasets)))
    assert specs[0] == specs[1]
    studies, pooled = _forest_of(5, 1)
    assert charts.forest(studies, pooled, "Anxiety").to_dict()["title"] != specs[0][0]["title"]


@pytest.mark.parametrize("k,seed", [(5, 1), (17, 2)])
def test_forest_drawn_from_its_data_places_every_mark(k, seed):
    """What Vega draws from the data-driven spec (vl-convert, no box: fit = 1): one square per trial, rows ROW_PX
    apart whatever k (the height comes from the data, not the spec's placeholder), squares on an x scale linear in
    yi with the null line at 0 and every CI inside the plot's width, the largest weight drawn at the size range's
    top, the pooled diamond, and the pooled subtitle's numbers as text."""
    import re

    from dashboard.charts.base import PLOT_WIDTH, ROW_PX, fmt_estimate_ci

    studies, pooled = _forest_of(k, seed)
    svg = _in_box(charts.forest(studies, pooled, "Hope", method_label="Pooled (DL)").to_dict(), 0, set_width=False)

    def layer(mark: str, n: int | None = None) -> list[str]:
        groups = re.findall(rf'<g class="mark-{mark} role-mark layer_(\d+)_marks"[^>]*>(.*?)</g>', svg)
        return [body for i, body in groups if n is None or int(i) == n]

    (squares,) = layer("symbol")
    xy = np.array([[float(a), float(b)] for a, b in re.findall(r'translate\(([-\d.e]+),([-\d.e]+)\)', squares)])
    assert len(xy) == k
    np.testing.assert_allclose(np.diff(xy[:, 1]), ROW_PX, atol=0.15)  # frame order, a row each (height: whole px)
    zero = float(re.search(r'translate\(([-\d.e]+),0\)', layer("rule", 0)[0]).group(1))
    yi = studies["yi"].to_numpy()
    slope = (xy[:, 0] - zero) / yi
    np.testing.assert_allclose(slope, slope[0], rtol=1e-6)  # x = zero + slope * yi: linear, null at 0
    se = np.sqrt(studies["vi"].to_numpy())
    assert 0 <= zero + slope[0] * (yi - 1.959963984540054 * se).min()
    assert zero + slope[0] * (yi + 1.959963984540054 * se).max() <= PLOT_WIDTH
    sides = [float(s) for s in re.findall(r'd="M-([\d.]+),', squares)]
    biggest = int(np.argmax(pooled.weights))
    assert sides[biggest] == pytest.approx(np.sqrt(420) / 2, abs=0.01)  # size range top at the largest weight
    assert len(layer("area")) == 1
    assert f"Pooled SMD {fmt_estimate_ci(pooled.estimate, pooled.ci_low, pooled.ci_high)}" in svg


# ------------------------------------------------------------------------------------------------- subgroups
def test_subgroup_forest_one_diamond_per_subgroup_at_its_pooled_ci():
    groups = ["a", "a", "b", "b", "b", "c"]
    res = meta.subgroup_test(YI, VI, groups)
    overall = meta.pool(YI, VI)
    spec = charts.subgroup_forest(res.table(), overall, group_labels={"a": "Online"}).to_dict(validate=True)
    areas = [ly for ly in _layers(spec) if _mark(ly) == "area"]
    frames = [_data(spec, ly) for ly in areas]
    sub = [f for f in frames if "diamond" in f and f["diamond"].nunique() == 2][0]  # a and b (k > 1)
    for i, g in enumerate(["a", "b"]):
        part = sub[sub["diamond"] == i]
        r = res.subgroups[g]
        assert (part["x"].min(), part["x"].max()) == (r.ci_low, r.ci_high)
        assert part.loc[(part["y2"] - part["y"]).idxmax(), "x"] == r.estimate
    ov = [f for f in frames if f is not sub][0]
    assert (ov["x"].min(), ov["x"].max()) == (overall.ci_low, overall.ci_high)
    sq = [ly for ly in _layers(spec) if _mark(ly) == "square"]
    assert len(sq) == 1 and _data(spec, sq[0])["estimate"].item() == res.subgroups["c"].estimate  # k = 1: a square
    texts = _texts(spec)
    assert "Online  (k = 2)" in texts and "c  (k = 1)" in texts and "Overall  (k = 6)" in texts


# ---------------------------------------------------------------------------------------------------- funnel
def test_funnel_limits_points_and_imputed_studies():
    tf = meta.trim_and_fill(YI, VI)
    assert tf.k0 >= 1  # these rows are asymmetric: trim-and-fill imputes at least one study
    pooled = meta.pool(YI, VI)
    limits = meta.funnel_limits(pooled.estimate, float(np.sqrt(VI.max())))
    spec = charts.funnel(_studies(), pooled.estimate, limits, tf.filled, adjusted_estimate=tf.estimate).to_dict(validate=True)
    (lines,) = [ly for ly in _layers(spec) if _mark(ly) == "line"]
    lim = _data(spec, lines)
    np.testing.assert_allclose(lim.loc[lim["side"] == "lower", "x"], limits["ci_low"])
    np.testing.assert_allclose(lim.loc[lim["side"] == "upper", "x"], limits["ci_high"])
    assert spec["layer"][0]["encoding"]["y"]["scale"]["reverse"] is True  # precise studies at the top
    (pts,) = [ly for ly in _layers(spec) if _mark(ly) == "point"]
    p = _data(spec, pts)
    assert len(p) == 6 + tf.k0
    imputed = p[p["kind"] == "imputed (trim-and-fill)"]
    np.testing.assert_allclose(imputed["yi"], tf.filled["yi"])
    np.testing.assert_allclose(imputed["se"], np.sqrt(tf.filled["vi"]))
    np.testing.assert_allclose(p["se"].iloc[:6], np.sqrt(VI))
    fill = dict(zip(pts["encoding"]["fill"]["scale"]["domain"], pts["encoding"]["fill"]["scale"]["range"]))
    assert fill["imputed (trim-and-fill)"] == "#FFFFFF"  # hollow
    rules = [_data(spec, ly)["x"].item() for ly in _with_field(spec, "rule", "x", "x")]
    assert pooled.estimate in rules and tf.estimate in rules and 0.0 in rules


# ----------------------------------------------------------------------------------- leave-one-out, cumulative
def test_leave_one_out_plot_rows_match_peerstats():
    loo = meta.leave_one_out(YI, VI)
    frame = loo.assign(label=_studies()["label"].to_numpy()[loo["omitted"]])
    overall = meta.pool(YI, VI).estimate
    spec = charts.leave_one_out_plot(frame, overall=overall).to_dict(validate=True)
    (ci,) = _with_field(spec, "rule", "x", "ci_low")
    d = _data(spec, ci)
    assert list(d["row_label"]) == [f"without {x}" for x in _studies()["label"]]
    np.testing.assert_allclose(d["estimate"], loo["estimate"])
    np.testing.assert_allclose(d["ci_high"], loo["ci_high"])
    assert overall in [_data(spec, ly)["x"].item() for ly in _with_field(spec, "rule", "x", "x")]
    assert spec["title"]["subtitle"] == f"Dashed orange line: all studies pooled, SMD {overall:.2f}"  # words by colour


def test_cumulative_plot_rows_in_order_and_duplicate_labels_kept_apart():
    years = [2001, 2003, 2005, 2010, 2012, 2019]
    cum = meta.cumulative(YI, VI, order=years)
    labels = ["Same 2001", "Same 2001", "C", "D", "E", "F"]
    frame = cum.assign(label=[labels[i] for i in cum["added"]])
    spec = charts.cumulative_plot(frame).to_dict(validate=True)
    (ci,) = _with_field(spec, "rule", "x", "ci_low")
    d = _data(spec, ci)
    assert len(set(d["row_label"])) == 6  # an ordinal axis would merge equal labels
    assert d["row_label"].iloc[0] == "+ Same 2001  (k = 1)" and d["row_label"].iloc[1] == "+ Same 2001  (k = 2)"
    np.testing.assert_allclose(d["estimate"], cum["estimate"])
    assert d["estimate"].iloc[-1] == pytest.approx(meta.pool(YI, VI).estimate, rel=1e-12)


# ------------------------------------------------------------------------------------------------ risk of bias
def _rob_trials() -> pd.DataFrame:
    levels = ["low", "low", "unclear", "high"]
    data = {"label": ["T1", "T2", "T3", "T4"], "quality": ["good", "fair", "poor", "poor"]}
    for j, col in enumerate(ROB_DOMAINS):
        data[col] = levels[j % 4:] + levels[: j % 4]  # rotate so every domain has 2 low, 1 unclear, 1 high
    return pd.DataFrame(data)


def test_rob_traffic_light_cells_colours_and_symbols():
    trials = _rob_trials()
    trials.loc[0, "rob_power_calculation"] = None  # a missing judgement
    spec = charts.rob_traffic_light(trials).to_dict(validate=True)
    (circ,) = [ly for ly in _layers(spec) if _mark(ly) == "circle"]
    cells = _data(spec, circ)
    assert len(cells) == 4 * 7
    assert set(cells["domain"]) == set(ROB_DOMAINS.values())
    t1 = cells[(cells["label"] == "T1")].set_index("column")["symbol"]
    assert t1["rob_sequence_generation"] == "+" and t1["rob_power_calculation"] == " "
    t4 = cells[(cells["label"] == "T4")].set_index("column")["symbol"]
    assert t4["rob_sequence_generation"] == "-"
    colour = circ["encoding"]["color"]["scale"]
    mapping = dict(zip(colour["domain"], colour["range"]))
    assert mapping == {"Low risk (+)": "#009E73", "Unclear (?)": "#F0E442", "High risk (-)": "#D55E00",
                       "Not reported": "#BBBBBB"}
    texts = [ly for ly in _layers(spec) if _mark(ly) == "text" and ly["encoding"]["text"]["field"] == "symbol"]
    assert len(texts) == 1  # the symbol is written on every cell
    assert "poor" in _texts(spec)  # AHRQ quality beside each row


def test_rob_summary_percentages():
    spec = charts.rob_summary(_rob_trials()).to_dict(validate=True)
    (bars,) = [ly for ly in _layers(spec) if _mark(ly) == "bar"]
    d = _data(spec, bars)
    # each domain: 2 of 4 low (50%), 1 unclear (25%), 1 high (25%)
    for _, part in d.groupby("domain"):
        got = dict(zip(part["level"], part["percent"]))
        assert got == {"low": 50.0, "unclear": 25.0, "high": 25.0}
        assert part["end"].max() == pytest.approx(100.0)
    assert set(d["text"]) == {"+ 50%", "? 25%", "- 25%"}
    colour = bars["encoding"]["color"]["scale"]
    assert "Not reported" not in colour["domain"]  # absent levels stay out of the legend


def test_every_builder_uses_the_colour_blind_safe_palette_and_large_fonts(forest_spec):
    spec, _ = forest_spec
    assert spec["config"]["axis"]["labelFontSize"] >= 13 and spec["config"]["legend"]["labelFontSize"] >= 13
    okabe_ito = {v.upper() for v in charts.PALETTE.values()} | {"#FFFFFF"}
    (sq,) = [ly for ly in _layers(spec) if _mark(ly) == "square"]
    assert {c.upper() for c in sq["encoding"]["stroke"]["scale"]["range"]} <= okabe_ito


def test_every_builder_emits_schema_valid_vega_lite_and_skips_revalidation_on_rerun():
    """Streamlit serialises charts with ``to_dict()`` on every rerun; the builders skip Altair's schema check there
    (it is a third of a page's time budget), so the schema check lives here, for every builder."""
    import altair as alt

    pooled = meta.pool(YI, VI)
    rob = pd.DataFrame({"label": ["A", "B"], **{c: ["low", "unclear"] for c in ROB_DOMAINS}, "quality": ["good", "poor"]})
    built = [
        charts.forest(_studies(), pooled, "Hope"),
        charts.subgroup_forest(meta.subgroup_test(YI, VI, list("aabbbc")).table(), pooled),
        charts.funnel(_studies(), pooled.estimate, meta.funnel_limits(pooled.estimate, 0.4),
                      meta.trim_and_fill(YI, VI).filled),
        charts.leave_one_out_plot(meta.leave_one_out(YI, VI).assign(label=list("ABCDEF")), overall=pooled.estimate),
        charts.cumulative_plot(meta.cumulative(YI, VI, order=list(range(6))).assign(label=list("ABCDEF"))),
        charts.rob_traffic_light(rob),
        charts.rob_traffic_light(rob.drop(columns=["quality"])),
        charts.rob_summary(rob),
    ]
    for chart in built:
        assert isinstance(chart, alt.TopLevelMixin)
        chart.to_dict(validate=True)  # raises SchemaValidationError on an invalid spec
        assert chart.to_dict() == chart.to_dict(validate=True)  # the unvalidated path emits the same spec
    bad = charts.LayerChart(layer=[alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")])
    bad.width = "not a width"
    bad.to_dict()  # no check on the rerun path ...
    with pytest.raises(alt.utils.schemapi.SchemaValidationError):
        bad.to_dict(validate=True)  # ... but the explicit check still catches a bad spec


def test_forest_marks_doubtful_rows():
    # Evidence base v2 (issue 8): a row with a doubt says so beside its provenance and in its tooltip.
    studies = _studies().assign(doubt=["", "SDs look like SEs", "", "", "", ""])
    spec = charts.forest(studies, meta.pool(YI, VI, method="DL"), "Hope").to_dict(validate=True)
    texts = _texts(spec)
    assert texts.count("derived ⚠ doubt") == 1 and texts.count("reported ⚠ doubt") == 0
    (sq,) = [ly for ly in _layers(spec) if _mark(ly) == "square"]
    assert "Doubt" in {t["title"] for t in sq["encoding"]["tooltip"]}
    assert _data(spec, sq)["doubt"].tolist()[1] == "SDs look like SEs"


def test_bubble_plot_layers_and_encodings():
    from dashboard.charts import RECONSTRUCTED_LABEL, bubble

    studies = pd.DataFrame({"x": [2004, 2010, 2015], "yi": [0.1, 0.3, 0.2], "weight": [30.0, 30.0, 40.0],
                            "provenance": ["reported", "reconstructed", "derived"], "label": ["A", "B", "C"]})
    fit = pd.DataFrame({"x": [2004.0, 2015.0], "pred": [0.1, 0.3], "ci_low": [0.0, 0.1], "ci_high": [0.2, 0.5]})
    spec = bubble(studies, fit, x_title="Year").to_dict(validate=True)
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["area", "rule", "line", "point"]
    dots = spec["layer"][3]
    assert dots["encoding"]["size"]["field"] == "weight"
    kinds = {r["kind"] for r in spec["datasets"][dots["data"]["name"]]}
    assert kinds == {"trial data (reported or derived)", RECONSTRUCTED_LABEL}
    with pytest.raises(ValueError, match="lacks column"):
        bubble(studies.drop(columns="weight"), fit, x_title="Year")


# ------------------------------------------------------------------------------ charts that take their box's width
def _in_box(spec: dict, width: int, set_width: bool = True) -> str:
    """The SVG of ``spec`` drawn as Streamlit draws a ``width="stretch"`` chart in a box ``width`` px wide: the spec's
    width set to the box's, and ``containerSize()`` (0 in vl-convert) answering the box's width. ``set_width=False``
    keeps the spec's own width: a forest-type chart's view is an invisible frame, its marks are placed by ``fit``."""
    import json

    import vl_convert as vlc

    boxed = json.loads(json.dumps(spec).replace("containerSize()[0]", str(width)))
    if set_width:
        boxed["width"] = width
    return vlc.vegalite_to_svg(boxed)


def _svg_width(svg: str) -> float:
    import re

    return float(re.search(r'<svg[^>]*\swidth="([\d.]+)"', svg).group(1))


def _stretched_builders() -> dict:
    from peerstats import baujat, influence

    pooled = meta.pool(YI, VI)
    rob = _rob_trials().assign(label=["A very long trial name that will not fit a phone, 2004", "T2", "T3", "T4"])
    loo = meta.leave_one_out(YI, VI).assign(label=[f"Long trial name number {i} et al., 2010" for i in range(6)])
    bj = baujat(YI, VI).assign(label=list("ABCDEF"), influential=influence(YI, VI)["inf"].to_numpy())
    fit = pd.DataFrame({"x": [2001.0, 2019.0], "pred": [0.1, 0.5], "ci_low": [0.0, 0.2], "ci_high": [0.2, 0.8]})
    return {
        "funnel": lambda: charts.funnel(_studies(), pooled.estimate, meta.funnel_limits(pooled.estimate, 0.4),
                                        meta.trim_and_fill(YI, VI).filled),
        "contour_funnel": lambda: charts.contour_funnel(_studies(), estimate=pooled.estimate),
        "leave_one_out_plot": lambda: charts.leave_one_out_plot(loo, overall=pooled.estimate),
        "cumulative_plot": lambda: charts.cumulative_plot(
            meta.cumulative(YI, VI, order=list(range(6))).assign(label=loo["label"])),
        "rob_traffic_light": lambda: charts.rob_traffic_light(rob),
        "rob_summary": lambda: charts.rob_summary(rob),
        "baujat_plot": lambda: charts.baujat_plot(bj),
        "bubble": lambda: charts.bubble(_studies().assign(x=[2001, 2003, 2005, 2010, 2012, 2019], weight=10.0), fit,
                                        x_title="Year", title="Hope by year"),
    }


@pytest.mark.parametrize("name", list(_stretched_builders()))
def test_charts_are_laid_out_again_for_their_box(name):
    """Issue 12: every chart but the specification curve takes its box's width (a phone's 350 px, a wide page's
    1000) with text at its size, and keeps its natural width in exports (no box)."""
    import re

    import vl_convert as vlc

    spec = _stretched_builders()[name]().to_dict(validate=True)
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert "fit" in {p["name"] for p in spec["params"]}  # components.chart draws it width="stretch"
    natural = spec["width"]
    assert 560 <= natural <= 800
    assert _svg_width(vlc.vegalite_to_svg(spec)) == natural  # an export: its natural width
    for box in (350, 1000):
        svg = _in_box(spec, box)
        assert _svg_width(svg) == box  # laid out for the box: nothing sticks out of it, nothing is left over
        sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)px"', svg)]
        assert sizes and min(sizes) >= 12  # text stays readable: not a scaled-down picture
    narrow, wide = _in_box(spec, 350), _in_box(spec, 1000)
    if name in ("leave_one_out_plot", "cumulative_plot", "rob_traffic_light", "rob_summary"):
        # long labels are cut shorter on a phone (with an ellipsis) than on a wide page
        assert narrow.count("…") > wide.count("…")


def test_estimate_text_of_sequential_plots_left_out_on_a_phone_only():
    loo = meta.leave_one_out(YI, VI).assign(label=list("ABCDEF"))
    spec = charts.leave_one_out_plot(loo).to_dict(validate=True)
    first = f"{loo['estimate'][0]:.2f} [".replace("-", "\u2212")
    assert first in _in_box(spec, 1000) and first not in _in_box(spec, 350)


# ------------------------------------------------------------------------------------ font scale (presentation)
def _export_font_sizes(spec: dict) -> list[float]:
    import re

    import vl_convert as vlc

    return sorted({float(s) for s in re.findall(r'font-size="([\d.]+)px"', vlc.vegalite_to_svg(spec))})


@pytest.mark.parametrize("build", [
    lambda scale: charts.forest(_studies(), meta.pool(YI, VI), "Hope", scale=scale),
    lambda scale: charts.subgroup_forest(meta.subgroup_test(YI, VI, list("aabbbc")).table(), meta.pool(YI, VI),
                                         scale=scale),
    lambda scale: charts.funnel(_studies(), 0.3, meta.funnel_limits(0.3, 0.4), scale=scale),
    lambda scale: charts.rob_summary(_rob_trials(), scale=scale),
], ids=["forest", "subgroup_forest", "funnel", "rob_summary"])
def test_font_scale_multiplies_every_font(build):
    """``scale=1.5`` (presentation mode) draws every text 1.5 times as large: config fonts, table text, titles."""
    normal, large = build(1.0).to_dict(validate=True), build(1.5).to_dict(validate=True)
    axis, axis_large = normal["config"]["axis"], large["config"]["axis"]
    assert axis_large["labelFontSize"] == 1.5 * axis["labelFontSize"] == 21
    assert large["config"]["title"]["fontSize"] == round(1.5 * normal["config"]["title"]["fontSize"])
    assert large["config"]["legend"]["labelFontSize"] == 21
    small_sizes, large_sizes = _export_font_sizes(normal), _export_font_sizes(large)
    assert len(small_sizes) == len(large_sizes)
    for a, b in zip(small_sizes, large_sizes):  # each size drawn in the export, 1.5 times (rounded to a pixel)
        assert abs(b - 1.5 * a) <= 1, (small_sizes, large_sizes)


def test_font_scale_of_the_forest_enters_its_fit_signal_and_geometry():
    normal = charts.forest(_studies(), meta.pool(YI, VI), "Hope").to_dict()
    large = charts.forest(_studies(), meta.pool(YI, VI), "Hope", scale=1.5).to_dict()
    fit = {p["name"]: p["expr"] for p in large["params"]}["fit"]
    assert fit.endswith(": 1.5")  # 1.5 in exports (no box); in a box, 1.5 times as far as the box's width allows
    assert large["height"] == pytest.approx(1.5 * normal["height"], abs=1)
    # in a box too narrow for 1.5 times the natural width, the chart still fits: the scale gives way first
    for box in (1000, 1400):
        assert _svg_width(_in_box(normal, box, set_width=False)) <= box + 1
        assert _svg_width(_in_box(large, box, set_width=False)) <= box + 1
    assert _svg_width(_in_box(large, 1400, set_width=False)) > _svg_width(_in_box(normal, 1400, set_width=False)) + 200


@pytest.mark.parametrize("scale", [0, -1, 0.2, 10, float("nan"), "big", None])
def test_font_scale_outside_half_to_three_is_refused_in_words(scale):
    with pytest.raises(ValueError, match="scale"):
        charts.forest(_studies(), None, "Hope", scale=scale)


# ---- the Summary-of-findings table as an image (charts.table_image) ----------------------------------------------
def _layer_rows(spec: dict, i: int) -> list[dict]:
    return spec["datasets"][spec["layer"][i]["data"]["name"]]


def test_table_image_draws_every_cell_wrapped_within_its_width():
    long = "The evidence is very uncertain about the effect of peer support on network or social support."
    frame = pd.DataFrame({"Outcome": ["Hope", "Network or social support"], "Trials (k)": [8, 3],
                          "What it means": ["Peer support may make little or no difference to hope.", long],
                          "NNT": [None, "NNTB 20"]})
    spec = charts.table_image(frame, "Summary of findings", widths={"What it means": 30}, note="All trials.").to_dict(
        validate=True)
    header, body = _layer_rows(spec, 0), _layer_rows(spec, 1)
    assert [" ".join(c["text"]) for c in header] == list(frame.columns)
    assert spec["layer"][0]["mark"]["fontWeight"] == "bold" and "fontWeight" not in spec["layer"][1]["mark"]
    # body cells in row-major order: each one's lines put back together give the value ("–" for a missing one)
    want = ["Hope", "8", "Peer support may make little or no difference to hope.", "–",
            "Network or social support", "3", long, "NNTB 20"]
    assert [" ".join(c["text"]) for c in body] == want
    # columns left to right, rows top to bottom, the second row below every line of the first
    xs = sorted({c["x"] for c in body})
    assert len(xs) == 4 and [c["x"] for c in header] == xs
    wrapped = [c["text"] for c in body if c["x"] == xs[2]]  # the "What it means" cells, 30 characters wide
    assert all(len(line) <= 30 for lines in wrapped for line in lines) and len(wrapped[1]) == 4  # 93 characters / 30
    first, second = body[0]["y"], body[4]["y"]
    assert second - first >= 2 * 18  # the first row's "What it means" takes two lines of 18 px
    assert _layer_rows(spec, 3)[0]["text"] == "All trials."


def test_summary_table_image_exports():
    from dashboard import export

    frame = pd.DataFrame({"Outcome": ["Anxiety"], "Certainty": ["Moderate"], "What it means": ["Peer support "
                                                                                                "probably reduces anxiety slightly."]})
    chart = charts.table_image(frame, "Summary of findings", scale=1.5)
    png = export.chart_png(chart, scale=1)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert "Peer support" in export.chart_svg(chart)
