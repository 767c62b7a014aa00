"""Bring your own review in the app (AppTest): a generic studies file uploaded on the Data page drives the whole app;
every page renders on it; the example loads; the link brings the upload back after a reload, and a link to data the
server does not hold says so instead of showing the bundled numbers.

Expected headlines are computed independently: import_studies on the same bytes, then select + pool + the text module.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import text
from peerstats.effects import smd
from peerstats.importer import guess_mapping, import_studies
from peerstats.meta import pool
from peerstats.select import Filters, select
from test_apptest import APP, PAGE_FILES, assert_clean, metrics

pytestmark = pytest.mark.apptest

def studies_csv() -> bytes:
    """Made-up arm data of eight studies (not real trials), a plain file as researchers have them."""
    rng = np.random.default_rng(11)
    k = 8
    df = pd.DataFrame({
        "Study": [f"Trial {chr(65 + i)} {2000 + i}" for i in range(k)],
        "n1": rng.integers(15, 90, k), "mean1": np.round(rng.normal(21, 2, k), 1),
        "sd1": np.round(rng.uniform(4, 7, k), 1),
        "n2": rng.integers(15, 90, k), "mean2": np.round(rng.normal(19, 2, k), 1),
        "sd2": np.round(rng.uniform(4, 7, k), 1),
        "setting": ["clinic", "online", "clinic", "online", "clinic", "clinic", "online", "online"],
    })
    buf = io.StringIO()
    df.to_csv(buf, index=False, sep=";", decimal=",")
    return buf.getvalue().encode("latin-1")


def upload(at: AppTest, raw: bytes, name: str) -> AppTest:
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="byor_file").set_value((name, raw, "text/csv")).run()
    assert_clean(at)
    at.button(key="byor_use").click().run()
    assert_clean(at)
    return at


def expected(raw: bytes, name: str, outcome: str, filters: Filters = Filters()):
    cols = pd.read_csv(io.BytesIO(raw), sep=";", nrows=0, encoding="latin-1").columns
    ev = import_studies(raw, name, guess_mapping(cols)).evidence
    sel = select(ev, filters, outcome)
    return sel, pool(sel.yi, sel.vi)


def test_a_generic_upload_drives_the_headline():
    raw = studies_csv()
    at = upload(AppTest.from_file(APP, default_timeout=90), raw, "mine.csv")
    assert at.sidebar.radio(key="data_source").value == "upload"
    at.switch_page("pages/explore.py").run()
    assert_clean(at)
    sel, res = expected(raw, "mine.csv", "main_outcome")
    # and the effects are smd() of the arm data, independently of the importer
    df = pd.read_csv(io.BytesIO(raw), sep=";", decimal=",", encoding="latin-1").sort_values("Study")
    g = smd(df.mean1, df.sd1, df.n1, df.mean2, df.sd2, df.n2)
    np.testing.assert_allclose(sel.yi, g.yi, rtol=1e-12)
    m = metrics(at)
    assert m["Pooled SMD"] == text.fmt(res.estimate)
    assert m["95% CI"] == text.fmt_ci(res.ci_low, res.ci_high)
    assert m["Trials (k)"] == "8"
    assert m["Participants"] == text.fmt_int(int(df.n1.sum() + df.n2.sum()))
    cols = pd.read_csv(io.BytesIO(raw), sep=";", nrows=0, encoding="latin-1").columns
    fp = at.query_params["data"]
    assert (fp[0] if isinstance(fp, list) else fp) == import_studies(raw, "mine.csv", guess_mapping(cols)).fingerprint


def test_an_uploaded_column_is_a_filter_and_a_subgroup():
    raw = studies_csv()
    at = upload(AppTest.from_file(APP, default_timeout=90), raw, "mine.csv")
    at.switch_page("pages/explore.py").run()
    at.sidebar.multiselect(key="f_col_setting").set_value(["online"]).run()
    assert_clean(at)
    sel, res = expected(raw, "mine.csv", "main_outcome", Filters(columns=(("setting", ("online",)),)))
    assert sel.k == 4
    assert metrics(at)["Pooled SMD"] == text.fmt(res.estimate)
    at.sidebar.multiselect(key="f_col_setting").set_value([]).run()
    at.switch_page("pages/subgroups.py").run()
    assert_clean(at)
    assert at.selectbox[0].value == "setting"
    assert any("Q between subgroups" == m.label for m in at.metric)


@pytest.mark.parametrize("page", list(PAGE_FILES), ids=list(PAGE_FILES))
def test_every_page_renders_on_a_generic_upload(page):
    at = upload(AppTest.from_file(APP, default_timeout=90), studies_csv(), "mine.csv")
    at.switch_page(PAGE_FILES[page]).run()
    assert_clean(at)
    assert at.sidebar.radio(key="data_source").value == "upload"
    if page == "risk-of-bias":
        assert any("no risk-of-bias columns" in i.value for i in at.info)
    if page == "reproduce":
        assert any("carries no published results" in i.value for i in at.info)


def test_the_example_loads_the_metapsy_data():
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/data.py").run()
    at.button(key="byor_example").click().run()
    assert_clean(at)
    assert at.sidebar.radio(key="data_source").value == "upload"
    from dashboard.byor import EXAMPLE, EXAMPLE_MAPPING

    ev = import_studies(EXAMPLE.read_bytes(), EXAMPLE.name, EXAMPLE_MAPPING).evidence
    assert len(ev.trials) == 28
    at.switch_page("pages/explore.py").run()
    assert_clean(at)
    outcome = at.sidebar.selectbox(key="v_outcome").value
    sel = select(ev, Filters(), outcome)
    res = pool(sel.yi, sel.vi)
    assert metrics(at)["Pooled SMD"] == text.fmt(res.estimate)
    assert metrics(at)["Trials (k)"] == str(sel.k)


def _rob_table(at: AppTest):
    return next((d.value for d in at.dataframe if "Your column" in d.value.columns), None)


def test_the_data_page_shows_the_risk_of_bias_mapping():
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/data.py").run()
    at.button(key="byor_example").click().run()
    assert_clean(at)
    shown = _rob_table(at)
    assert shown is not None
    # the Metapsy example's RoB 2 columns, each onto its codebook column, all 28 studies rated
    assert shown["Your column"].tolist() == ["RoB_D1", "RoB_D2", "RoB_D3", "RoB_D4", "RoB_D5", "overall_RoB"]
    assert [b.split("`")[1] for b in shown["Became"]] == [
        "rob2_d1_randomisation", "rob2_d2_deviations", "rob2_d3_missing_data", "rob2_d4_measurement",
        "rob2_d5_selection", "rob2_overall"]
    assert set(shown["Studies rated"]) == {"28 of 28"}
    assert shown.loc[shown["Your column"] == "RoB_D4", "Rows disagreeing (most severe used)"].item() == 2
    # a plain file without risk-of-bias columns: said to be unknown, not low
    upload(at, studies_csv(), "studies.csv")
    assert _rob_table(at) is None
    assert any("unknown" in i.value and "not low" in i.value for i in at.info)


def test_a_reload_brings_the_upload_back_and_an_unknown_link_says_so():
    raw = studies_csv()
    at = upload(AppTest.from_file(APP, default_timeout=90), raw, "mine.csv")
    fp = at.query_params["data"]
    fp = fp[0] if isinstance(fp, list) else fp
    sel, res = expected(raw, "mine.csv", "main_outcome")
    again = AppTest.from_file(APP, default_timeout=90)       # a new session: a reload of the tab with its URL
    again.query_params["data"] = fp
    again.run()
    assert_clean(again)
    assert metrics(again)["Pooled SMD"] == text.fmt(res.estimate)
    assert not any("not understood" in w.value for w in again.warning)  # the data link is understood
    gone = AppTest.from_file(APP, default_timeout=90)
    gone.query_params["data"] = "0123456789abcdef"
    gone.run()
    assert_clean(gone)
    assert not gone.metric, "no bundled numbers for a link to data the server does not hold"
    assert any("does not hold" in w.value for w in gone.warning)
    gone.button(key="byor_missing_bundled").click().run()
    assert_clean(gone)
    assert metrics(gone)["Trials (k)"]                        # the bundled data, on request


def _link(fp: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["data"] = fp
    return at.run()


def test_a_link_to_an_upload_works_on_another_process_of_a_deployment(tmp_path, monkeypatch):
    """deploy/run.sh gives its processes one private upload folder (PEERSTATS_UPLOAD_DIR): a link opened on a process
    that never saw the upload (here: this process with its in-memory store emptied) re-imports the file from there;
    a source that no longer gives the link's fingerprint is refused."""
    from dashboard import byor

    monkeypatch.setenv(byor.UPLOAD_DIR_ENV, str(tmp_path))
    raw = studies_csv()
    at = upload(AppTest.from_file(APP, default_timeout=90), raw, "mine.csv")
    fp = at.query_params["data"]
    fp = fp[0] if isinstance(fp, list) else fp
    assert (tmp_path / f"{fp}.bin").read_bytes() == raw  # the file as uploaded, and its name/mapping as JSON
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{fp}.bin", f"{fp}.json"]
    sel, res = expected(raw, "mine.csv", "main_outcome")

    byor._store.clear()  # "another process": nothing in memory
    other = _link(fp)
    assert_clean(other)
    assert metrics(other)["Pooled SMD"] == text.fmt(res.estimate)

    byor._store.clear()
    (tmp_path / f"{fp}.bin").write_bytes(raw + b"\n")  # changed on disk: the bytes give another fingerprint
    changed = _link(fp)
    assert_clean(changed)
    assert not changed.metric and any("does not hold" in w.value for w in changed.warning)
    assert byor.held("../" * 8 + "etc/passwd") is None and byor.held("") is None  # only 16 hex digits name a file


def test_without_an_upload_folder_nothing_is_written(tmp_path, monkeypatch):
    from dashboard import byor

    monkeypatch.delenv(byor.UPLOAD_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    upload(AppTest.from_file(APP, default_timeout=90), studies_csv(), "mine.csv")
    assert list(tmp_path.iterdir()) == []
    assert byor.upload_dir() is None


def test_a_long_forest_plot_is_paged_and_says_so():
    k = 130
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"study": [f"S{i:03d}" for i in range(k)], "yi": rng.normal(0.2, 0.3, k),
                       "vi": rng.uniform(0.02, 0.1, k)})
    raw = df.to_csv(index=False).encode()
    at = upload(AppTest.from_file(APP, default_timeout=90), raw, "long.csv")
    at.switch_page("pages/explore.py").run()
    assert_clean(at)
    pager = at.selectbox(key="explore_forest_page")
    assert pager.options == ["rows 1–60 of 130", "rows 61–120 of 130", "rows 121–130 of 130"]
    assert any("130 rows are too many for one readable forest plot" in c.value for c in at.caption)
    assert metrics(at)["Trials (k)"] == str(k)
    pager.set_value(2).run()
    assert_clean(at)
    # the chart element (AppTest has no typed accessor for it): its spec holds the drawn page's labels only
    specs = [str(e.proto) for e in _walk(at.main) if type(e).__name__ == "UnknownElement" and "S1" in str(e.proto)]
    assert specs and all("S129" in s and "S000" not in s for s in specs)
    # the pooled row and the subtitle carry the analysis' k (130), not the page's rows (10 here, 60 on a full page)
    assert all("k = 130" in s and "k = 10," not in s and "k = 60" not in s for s in specs)
    pager.set_value(0).run()
    specs = [str(e.proto) for e in _walk(at.main) if type(e).__name__ == "UnknownElement" and "S0" in str(e.proto)]
    assert specs and all("k = 130" in s and "k = 60" not in s for s in specs)


def _walk(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)


def test_the_examples_subgroups_and_multiverse_use_its_own_columns():
    from dashboard.byor import EXAMPLE, EXAMPLE_MAPPING

    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/data.py").run()
    at.button(key="byor_example").click().run()
    res = import_studies(EXAMPLE.read_bytes(), EXAMPLE.name, EXAMPLE_MAPPING)
    ev = res.evidence
    at.switch_page("pages/subgroups.py").run()
    assert_clean(at)
    moderator = at.selectbox[0].value
    outcome = at.sidebar.selectbox(key="v_outcome").value
    sel = select(ev, Filters(), outcome)
    assert sel.effects[moderator].astype(str).nunique() >= 2  # the default splits
    offered = at.selectbox[0].options
    assert not any(name in " ".join(offered) for name in ("mean_arm1", "precalc_g", "condition_arm1"))
    at.switch_page("pages/multiverse.py").run()
    assert_clean(at)
    page_text = " ".join(c.value for c in at.caption)
    assert "no column" not in page_text and "category" not in page_text.lower().replace("outcome_category", "")
    shown = int(metrics(at)["Specifications"].replace(",", ""))
    assert shown > 16  # not only estimator x test: the file's columns are varied
    assert "Subgroup test by" in page_text  # the designer's moderator is the Subgroups page's, not 'category'


def _implausible_csv() -> bytes:
    """Eight plain studies, one whose given g (1e300) contradicts its arm data, one whose g is -6.2 (no arm data),
    and one with two errors: messages must count rows and print numbers as numbers."""
    rows = [{"study": f"S{i}", "m1i": 10 + 0.3 * i, "sd1i": 2.0, "n1i": 30, "m2i": 9.5, "sd2i": 2.0, "n2i": 30,
             "yi": "", "vi": "", "setting": "ab"[i % 2]} for i in range(8)]
    rows.append({"study": "Big", "m1i": 11.3, "sd1i": 2.0, "n1i": 30, "m2i": 10.0, "sd2i": 2.0, "n2i": 30,
                 "yi": "1e300", "vi": 0.07, "setting": "a"})
    rows.append({"study": "Extreme", "m1i": "", "sd1i": "", "n1i": "", "m2i": "", "sd2i": "", "n2i": "",
                 "yi": -6.2, "vi": 0.1, "setting": "b"})
    rows.append({"study": "Twice", "m1i": 10, "sd1i": -1, "n1i": 1.5, "m2i": 9, "sd2i": 2, "n2i": 30, "yi": "",
                 "vi": "", "setting": "a"})
    return pd.DataFrame(rows).to_csv(index=False).encode()


def test_implausible_effects_are_refused_counted_by_row_and_confirmable():
    raw = _implausible_csv()
    at = upload(AppTest.from_file(APP, default_timeout=90), raw, "odd.csv")
    said = " ".join(s.value for s in at.success)
    assert "3 rows left out" in said and "8 studies" in said, said      # 4 errors on 3 rows
    page = " ".join(m.value for m in at.markdown)
    assert "4 errors** (3 rows left out)" in page
    problems = next(d.value for d in at.dataframe if "Problem" in d.value.columns)
    text_all = " ".join(problems["Problem"])
    assert "np.float64" not in text_all and "1e+300" in text_all and "confirm" in text_all
    for page_file in PAGE_FILES.values():  # nothing of the 1e300 row reaches a page
        at.switch_page(page_file).run()
        assert_clean(at)
    at = AppTest.from_file(APP, default_timeout=90)  # a fresh session: upload again and confirm
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="byor_file").set_value(("odd.csv", raw, "text/csv")).run()
    at.checkbox(key="byor_confirm_extreme").check().run()
    at.button(key="byor_use").click().run()
    assert_clean(at)
    said = " ".join(s.value for s in at.success)
    assert "9 studies" in said and "2 rows left out" in said, said    # -6.2 kept as confirmed; 1e300 never
    mapping = guess_mapping(pd.read_csv(io.BytesIO(raw), nrows=0).columns)  # the form's mapping, pre-filled
    confirmed = import_studies(raw, "odd.csv", mapping, confirm_extreme=True)
    ev = confirmed.evidence
    fp = at.query_params["data"]
    assert (fp[0] if isinstance(fp, list) else fp) == confirmed.fingerprint  # the link finds the confirmed import
    at.switch_page("pages/explore.py").run()
    assert_clean(at)
    sel = select(ev, Filters(), "main_outcome")
    assert metrics(at)["Pooled SMD"] == text.fmt(pool(sel.yi, sel.vi).estimate) and sel.k == 9


def _shown_text(at: AppTest) -> str:
    """Every element's content on the page and in the sidebar (titles, sentences, captions, help, chart specs)."""
    def walk(node):
        yield node
        for child in getattr(node, "children", {}).values():
            yield from walk(child)
    return " ".join(str(getattr(e, "proto", "")) for root in (at.main, at.sidebar) for e in walk(root))


def test_an_uploads_words_are_its_own():
    at = upload(AppTest.from_file(APP, default_timeout=90), studies_csv(), "mine.csv")
    for page in ("explore", "subgroups", "sensitivity", "small-study-effects", "multiverse", "risk-of-bias",
                 "summary"):
        at.switch_page(PAGE_FILES[page]).run()
        assert_clean(at)
        shown = _shown_text(at)
        for words in ("peer support", "Peer support", "(the paper)"):
            assert words not in shown, (page, words, shown[max(0, shown.find(words) - 80):shown.find(words) + 40])
    at.switch_page("pages/explore.py").run()
    assert at.title[0].value == "Main outcome: the intervention compared with control"
    sel, res = expected(studies_csv(), "mine.csv", "main_outcome")
    lead = "The intervention had" if res.ci_low > 0 or res.ci_high < 0 else "The trials show"
    assert any(lead in m.value for m in at.markdown)
    assert "DerSimonian-Laird" in at.sidebar.selectbox(key="v_method").options[0]
    # the example names its intervention (condition_arm1 = "Peer support" on every row): its own words
    at.switch_page("pages/data.py").run()
    at.button(key="byor_example").click().run()
    at.switch_page("pages/explore.py").run()
    assert at.title[0].value.endswith(": peer support compared with control")
    assert "(the paper)" not in _shown_text(at)


def test_bundled_words_stay():
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/explore.py").run()
    assert_clean(at)
    assert at.title[0].value.endswith("peer support compared with control")
    assert at.sidebar.selectbox(key="v_method").options[0] == "DerSimonian-Laird (the paper)"


def test_a_multiverse_specification_of_an_upload_can_be_used():
    raw = studies_csv()
    at = upload(AppTest.from_file(APP, default_timeout=90), raw, "mine.csv")
    at.switch_page("pages/multiverse.py").run()
    assert_clean(at)
    pick = at.selectbox(key="mv_pick")  # options: the specifications' labels, values: their positions
    # the first specification that keeps online studies only, with REML and z
    target = next(i for i, o in enumerate(pick.options) if " · online · " in o and o.endswith("REML/z"))
    pick.set_value(target).run()
    at.button(key="mv_use_spec").click().run()
    assert_clean(at)
    at.switch_page("pages/explore.py").run()
    assert_clean(at)
    sel, _ = expected(raw, "mine.csv", "main_outcome", Filters(columns=(("setting", ("online",)),)))
    res = pool(sel.yi, sel.vi, method="REML")
    assert metrics(at)["Pooled SMD"] == text.fmt(res.estimate) and metrics(at)["Trials (k)"] == "4"


def test_a_bundled_format_file_in_the_studies_uploader_takes_the_same_path_as_the_bundled_schema_tab():
    """One data-in path: the bundled data set's effects file dropped on "Your own studies" is recognised by its
    header (no mapping form), checked by the codebook, and shown as the bundled-schema tab shows it: the presets stay,
    the paper's outcomes, no ``data=`` link."""
    from peerstats.data import DATA_DIR, read_upload

    frame = pd.read_csv(DATA_DIR / "effects.csv", dtype=str, keep_default_na=False)
    frame = frame[frame["outcome"] == "hope"]
    raw = frame.to_csv(index=False).encode()
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="byor_file").set_value(("hope_effects.csv", raw, "text/csv")).run()
    assert_clean(at)
    assert not [s for s in at.selectbox if str(s.key).startswith("byor_role_")], "no mapping form"
    assert any("bundled data set's own format" in m.value for m in at.markdown)
    at.button(key="byor_use").click().run()
    assert_clean(at)
    assert at.sidebar.radio(key="data_source").value == "upload"
    assert "data" not in at.query_params
    at.switch_page("pages/explore.py").run()
    at.sidebar.selectbox(key="v_outcome").set_value("hope").run()
    assert_clean(at)
    assert [b for b in at.sidebar.button if "Peers online" in str(b.label)], "the bundled presets stay"
    ev, problems = read_upload(None, raw)      # the codebook's own reader (pandas), independently
    assert problems == []
    sel = select(ev, Filters(), "hope")
    res = pool(sel.yi, sel.vi)
    m = metrics(at)
    assert m["Pooled SMD"] == text.fmt(res.estimate) and m["Trials (k)"] == str(sel.k)


def test_bad_rows_of_a_bundled_format_file_are_listed_and_nothing_is_used():
    from peerstats.data import DATA_DIR

    frame = pd.read_csv(DATA_DIR / "effects.csv", dtype=str, keep_default_na=False)
    frame.loc[1, "vi"] = "-0.5"
    frame.loc[4, "trial_id"] = "nosuchtrial"
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="byor_file").set_value(("e.csv", frame.to_csv(index=False).encode(), "text/csv")).run()
    at.button(key="byor_use").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Your file was not used: see the problems below."]
    table = next(d.value for d in at.dataframe if "Severity" in d.value.columns)
    assert table[["Row", "Column"]].astype(str).values.tolist() == [["2", "vi"], ["5", "trial_id"]]
    assert not at.sidebar.radio, "the bundled data stay in use"
