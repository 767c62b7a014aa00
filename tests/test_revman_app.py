"""A Cochrane review's RevMan data file in the app (issue 19, AppTest): uploaded on the Data page it opens with every
analysis as an outcome, the headline and the forest plot on the measure's natural scale (risk ratio exponentiated, a
log axis, the null line at 1), intervention/control words without a "favours" claim, subgroups as a moderator, the
bundled presets hidden, and no page showing a traceback for a binary or a continuous analysis.

The fixture is a committed Pairwise70 review (tests/fixtures/revman/CD013715_pub2.csv, MIT). Expected numbers are
computed independently of the importer: the file read with pandas, per-study effects from
``peerstats.effect_sizes`` (RevMan's convention) and ``peerstats.pool``, exponentiated here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import text
from peerstats import effect_sizes, pool
from test_apptest import APP, PAGE_FILES, assert_clean, metrics

pytestmark = pytest.mark.apptest

FILE = Path(__file__).resolve().parent / "fixtures" / "revman" / "CD013715_pub2.csv"
BINARY = "analysis_1_22"      # 1.22 Total adverse events: risk ratio, 5 studies in 3 subgroups
CONTINUOUS = "analysis_1_6"   # 1.6 Mean CHAQ at up to 16 weeks: mean difference, 3 studies


def rows(group: int, number: int) -> pd.DataFrame:
    d = pd.read_csv(FILE)
    return d[(d["Analysis group"] == group) & (d["Analysis number"] == number) & d["Study"].notna()]


def upload() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="byor_file").set_value((FILE.name, FILE.read_bytes(), "text/csv")).run()
    assert_clean(at)
    assert any("RevMan data file" in m.value for m in at.markdown)  # no mapping form: RevMan's own columns
    assert not [s for s in at.selectbox if str(s.key).startswith("byor_role_")]
    at.button(key="byor_use").click().run()
    assert_clean(at)
    return at


def pick(at: AppTest, outcome: str, page: str = "pages/explore.py") -> AppTest:
    at.sidebar.selectbox(key="v_outcome").set_value(outcome).run()
    at.switch_page(page).run()
    assert_clean(at)
    return at


def _walk(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)


def chart_specs(at: AppTest) -> list[dict]:
    """The Vega-Lite specs of the charts on the page (AppTest has no typed accessor for them), their datasets (sent
    beside the spec as Arrow) put back as values."""
    import pyarrow as pa

    out = []
    for e in _walk(at.main):
        proto = getattr(e, "proto", None)
        spec = getattr(proto, "spec", "")
        if type(e).__name__ == "UnknownElement" and spec:
            spec = json.loads(spec)
            spec["datasets"] = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas().to_dict("records")
                                for d in proto.datasets}
            out.append(spec)
    return out


def _layers(spec: dict):
    for layer in spec.get("layer", []):
        yield layer
        yield from _layers(layer)


def log_scale_and_null_rule(spec: dict) -> tuple[bool, list]:
    """(an x encoding with a log scale, the x values of single-value rule layers)."""
    log, rules = False, []
    datasets = spec.get("datasets", {})
    for layer in _layers(spec):
        x = (layer.get("encoding") or {}).get("x") or {}
        log = log or (x.get("scale") or {}).get("type") == "log"
        mark = layer.get("mark")
        if (mark == "rule" or (isinstance(mark, dict) and mark.get("type") == "rule")) and "x2" not in layer.get(
                "encoding", {}) and "y" not in layer.get("encoding", {}):
            values = datasets.get((layer.get("data") or {}).get("name"), [])
            rules += [v.get("x") for v in values]
    return log, rules


def test_a_revman_file_opens_with_every_analysis_as_an_outcome():
    at = upload()
    assert any("analyses as outcomes" in s.value for s in at.success)
    d = pd.read_csv(FILE)
    d = d[d["Study"].notna()]
    # analyses with at least one study whose effect RevMan estimates (its own Mean), in the file's order
    estimable = d[d["Mean"].notna()].drop_duplicates(["Analysis group", "Analysis number"])
    expected = [f"{g}.{n} {name.strip()}" for g, n, name in
                zip(estimable["Analysis group"], estimable["Analysis number"], estimable["Analysis name"])]
    labels = [o.rsplit(" \u00b7 ", 1)[0] for o in at.sidebar.selectbox(key="v_outcome").options]
    assert labels == expected
    assert "1.22 Total adverse events" in labels
    # the bundled review's presets are hidden for an upload
    assert not [b for b in at.sidebar.button if str(b.key).startswith("preset_")]


def test_the_headline_shows_the_exponentiated_risk_ratio():
    at = pick(upload(), BINARY)
    r = rows(1, 22)
    es = effect_sizes("RR", ai=r["Experimental cases"], n1i=r["Experimental N"], ci=r["Control cases"],
                      n2i=r["Control N"], convention="revman")
    # the per-study risk ratios are RevMan's own (the file's Mean and CI)
    np.testing.assert_allclose(np.exp(es.yi), r["Mean"], rtol=1e-6)
    res = pool(es.yi, es.vi, method="DL")
    m = metrics(at)
    assert m["Pooled RR"] == text.fmt(math.exp(res.estimate))
    assert m["95% CI"] == text.fmt_ci(math.exp(res.ci_low), math.exp(res.ci_high))
    assert m["Prediction interval"] == text.fmt_ci(math.exp(res.pi_low), math.exp(res.pi_high))
    assert m["Trials (k)"] == "5"
    assert m["Participants"] == text.fmt_int(int(r["Experimental N"].sum() + r["Control N"].sum()))
    sentence = " ".join(x.value for x in at.markdown)
    assert f"RR {text.fmt(math.exp(res.estimate))}" in sentence
    assert "the intervention and control" in sentence or "with the intervention than with control" in sentence
    assert "peer support" not in sentence and "favours" not in sentence
    # SMD size words are for SMDs only
    assert not any(w in sentence for w in (" small effect", " medium effect", " large effect"))
    # the forest plot: a log x axis and the null line at 1
    specs = [s for s in chart_specs(at) if "risk ratio by trial" in json.dumps(s.get("title", ""))]
    assert specs, "a forest plot of the risk ratio"
    log, rules = log_scale_and_null_rule(specs[0])
    assert log and 1.0 in rules
    assert "lower with the intervention" in json.dumps(specs[0])


def test_the_forest_builder_draws_a_risk_ratio_on_a_log_axis():
    from dashboard.charts import forest
    from dashboard.text import Scale

    r = rows(1, 22)
    es = effect_sizes("RR", ai=r["Experimental cases"], n1i=r["Experimental N"], ci=r["Control cases"],
                      n2i=r["Control N"], convention="revman")
    res = pool(es.yi, es.vi)
    frame = pd.DataFrame({"label": r["Study"].to_numpy(), "yi": es.yi, "vi": es.vi})
    spec = forest(frame, res, "Total adverse events", effect=Scale("RR", "the intervention", "control", False),
                  sides=("lower with the intervention", "higher with the intervention")).to_dict()
    log, rules = log_scale_and_null_rule(spec)
    assert log and rules == [1.0]
    flat = json.dumps(spec)
    assert f"{math.exp(res.estimate):.2f} [{math.exp(res.ci_low):.2f}, {math.exp(res.ci_high):.2f}]" in flat
    # an SMD keeps its linear axis and the line at 0
    spec = forest(frame, res, "Total adverse events").to_dict()
    log, rules = log_scale_and_null_rule(spec)
    assert not log and rules == [0.0]


def test_a_mean_difference_is_shown_as_it_is():
    at = pick(upload(), CONTINUOUS)
    r = rows(1, 6)
    es = effect_sizes("MD", m1i=r["Experimental mean"], sd1i=r["Experimental SD"], n1i=r["Experimental N"],
                      m2i=r["Control mean"], sd2i=r["Control SD"], n2i=r["Control N"], convention="revman")
    res = pool(es.yi, es.vi, method="DL")
    m = metrics(at)
    assert m["Pooled MD"] == text.fmt(res.estimate)
    assert m["95% CI"] == text.fmt_ci(res.ci_low, res.ci_high)
    specs = [s for s in chart_specs(at) if "mean difference by trial" in json.dumps(s.get("title", ""))]
    log, rules = log_scale_and_null_rule(specs[0])
    assert not log and 0.0 in rules


def test_subgroups_are_a_moderator_with_a_log_axis_for_ratios():
    at = pick(upload(), BINARY, "pages/subgroups.py")
    assert at.selectbox[0].value == "subgroup"
    specs = [s for s in chart_specs(at) if "by subgroup" in json.dumps(s.get("title", ""))]
    assert specs
    log, rules = log_scale_and_null_rule(specs[0])
    assert log and 1.0 in rules


@pytest.mark.parametrize("outcome", [BINARY, CONTINUOUS])
def test_every_page_renders_for_a_binary_and_a_continuous_analysis(outcome):
    at = upload()
    at.sidebar.selectbox(key="v_outcome").set_value(outcome).run()
    for page, path in PAGE_FILES.items():
        at.switch_page(path).run()
        assert_clean(at)
        assert at.sidebar.selectbox(key="v_outcome").value == outcome, page
        if page == "summary":  # no GRADE rating on a ratio or an undirected outcome: said in words
            assert any("no certainty" in i.value for i in at.info)


def test_the_sentence_follows_the_measure_and_claims_no_direction():
    from dashboard.text import SMD_SCALE, Scale, headline_sentence

    r = rows(1, 22)
    es = effect_sizes("RR", ai=r["Experimental cases"], n1i=r["Experimental N"], ci=r["Control cases"],
                      n2i=r["Control N"], convention="revman")
    res = pool(es.yi, es.vi, method="FE")
    rr = Scale("RR", "the intervention", "control", direction_known=False)
    words = headline_sentence(res, "Total adverse events", 1, {"derived": 5}, scale=rr, hedge="probably")
    lo, hi = math.exp(res.ci_low), math.exp(res.ci_high)
    assert f"RR {math.exp(res.estimate):.2f}, 95% CI {lo:.2f} to {hi:.2f}".replace("-", "\u2212") in words
    assert "favours" not in words and "peer support" not in words and "effect on" not in words
    if lo > 1 or hi < 1:  # a claim without a direction: higher or lower, never better or worse
        assert ("probably higher with the intervention" in words) == (lo > 1)
        assert ("probably lower with the intervention" in words) == (hi < 1)
    else:
        assert "no clear difference in total adverse events between the intervention and control" in words
    # the bundled review's SMD sentence keeps its size and "favours" words
    smd = headline_sentence(res, "Hope", 1, {"derived": 5}, scale=SMD_SCALE)
    assert "SMD" in smd and "RR" not in smd


def test_a_reload_brings_the_revman_upload_back_with_its_measures():
    at = pick(upload(), BINARY)
    fp = at.query_params["data"]
    fp = fp[0] if isinstance(fp, list) else fp
    again = AppTest.from_file(APP, default_timeout=120)   # a new session: a reload of the tab with its URL
    again.query_params["data"] = fp
    again.run()
    assert_clean(again)
    again.sidebar.selectbox(key="v_outcome").set_value(BINARY).run()
    assert_clean(again)
    assert metrics(again)["Pooled RR"] == metrics(at)["Pooled RR"]
