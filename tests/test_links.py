"""Issue 21, "Links": every link the app writes (address bar, page links, Share and its QR code, the presentation
link, the report's and the scripts' URL) decodes back to the view on screen, GRADE overrides and flags included; an upload's own filters and moderator
travel in the link; a damaged ``data=`` fingerprint, repeated keys and an address that is no page (the proxy's
``unknown=``) are said in words (AppTest).

The expected views are written out here from the link's parameters, independently of the codec; expected numbers come
from import_studies + select + pool on the same bytes.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import text
from dashboard.view import ViewState, decode
from peerstats.data import load_evidence
from peerstats.select import Filters
from test_apptest import APP, assert_clean, metrics
from test_byor_app import expected, studies_csv, upload

pytestmark = pytest.mark.apptest

GRADE = "hope.indirectness.1.inpatients%20only%3B%20100%25"


def _params(url_or_query: str) -> dict[str, str]:
    query = urlsplit(url_or_query).query if "?" in url_or_query else url_or_query
    return {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}


def _bar(at: AppTest) -> dict[str, str]:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def test_every_link_the_app_writes_decodes_to_the_view_on_screen(monkeypatch):
    from dashboard import downloads, export

    written: dict[str, str] = {}  # the URL handed to the HTML report and to the R/Python scripts

    def record(name, original):
        def wrapper(*args, **kwargs):
            written[name] = kwargs["url"]
            return original(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(export, "report_download", record("report", export.report_download))
    monkeypatch.setattr(downloads, "download_scripts", record("scripts", downloads.download_scripts))
    ev = load_evidence()
    trial = str(ev.trials["trial_id"].iloc[0])
    link = {"outcome": "quality_of_life", "method": "REML", "test": "knha", "moderator": "quality",
            "quality": "good,fair",
            "rob_blinding_assessors": "low,unclear", "exclude": trial, "nohighrisk": "1", "nodoubt": "1",
            "grade": GRADE}
    on_screen = ViewState(
        outcome="quality_of_life", method="REML", test="knha", moderator="quality",
        filters=Filters(quality=("good", "fair"), rob=(("rob_blinding_assessors", ("low", "unclear")),),
                        excluded_trials=(trial,), exclude_high_risk=True, exclude_doubtful=True),
    ).with_settings(grade=GRADE)
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(link)
    at.run()
    assert_clean(at)
    assert not any("not understood" in w.value for w in at.warning), [w.value for w in at.warning]

    def back(params):
        return decode(params, outcomes=list(ev.effects["outcome"].astype(str).unique()),
                      trial_ids=ev.trials["trial_id"].astype(str))

    assert back(_bar(at)) == on_screen                                        # the address bar
    at.button(key="share_open").click().run()                                 # opens "Share this view"
    share = [c.value for c in at.get("code") if "outcome=quality_of_life" in c.value]
    assert len(share) == 1 and back(_params(share[0])) == on_screen          # Share this view (and its QR code)
    present = next(b.proto.url for b in at.get("link_button") if b.proto.label == "Present this view")
    assert back(_params(present)) == on_screen.with_settings(present="1")    # the presentation link
    assert set(written) == {"report", "scripts"}  # (the scripts' button needs a trial in the view: k = 1 here)
    for name, url in written.items():                                        # the report's and the scripts' URL
        assert back(_params(url)) == on_screen, name
    pages = {p.proto.page: p.proto.query_string for p in at.get("page_link")}
    assert len(pages) >= 9
    for page, query in pages.items():                                         # every page link in the sidebar
        view = back(_params(query))
        assert view == ViewState(**{**on_screen.__dict__, "page": view.page}), page


def two_column_csv() -> bytes:
    """The made-up studies of test_byor_app with a second categorical column (so a moderator is a choice)."""
    import io

    import pandas as pd

    df = pd.read_csv(io.BytesIO(studies_csv()), sep=";", decimal=",", encoding="latin-1")
    df["delivery"] = ["group", "one-to-one"] * 4
    buf = io.StringIO()
    df.to_csv(buf, index=False, sep=";", decimal=",")
    return buf.getvalue().encode("latin-1")


def test_an_uploads_own_filter_and_moderator_come_back_from_its_link():
    raw = two_column_csv()
    at = upload(AppTest.from_file(APP, default_timeout=90), raw, "mine.csv")
    at.switch_page("pages/subgroups.py").run()
    at.sidebar.multiselect(key="f_col_setting").set_value(["online", "clinic"]).run()
    assert at.selectbox(key="v_moderator").options[:2] == ["setting", "delivery"]
    at.selectbox(key="v_moderator").set_value("delivery").run()
    assert_clean(at)
    bar = _bar(at)
    assert bar["col.setting"] == "clinic,online" and bar["moderator"] == "delivery" and "data" in bar
    at.sidebar.multiselect(key="f_col_setting").set_value(["online"]).run()
    bar = _bar(at)
    assert bar["col.setting"] == "online"

    again = AppTest.from_file(APP, default_timeout=90)  # a reload, or the link opened by someone else
    again.query_params.update(bar)
    again.run()
    again.switch_page("pages/subgroups.py").run()
    assert_clean(again)
    assert not any("not understood" in w.value for w in again.warning)
    assert again.sidebar.multiselect(key="f_col_setting").value == ["online"]
    assert again.selectbox(key="v_moderator").value == "delivery"
    sel, res = expected(raw, "mine.csv", "main_outcome", Filters(columns=(("setting", ("online",)),)))
    assert sel.k == 4
    assert metrics(again)["Pooled SMD"] == text.fmt(res.estimate)
    assert metrics(again)["Trials (k)"] == "4"

    odd = AppTest.from_file(APP, default_timeout=90)  # a value the upload does not have: said, not silently dropped
    odd.query_params.update({**bar, "col.setting": "online,Mars", "col.colour": "red"})
    odd.run()
    assert_clean(odd)
    said = " ".join(w.value for w in odd.warning)
    assert "col.setting=Mars" in said and "col.colour=red" in said and "upload's own columns" in said
    assert metrics(odd)["Trials (k)"] == "4"

    at.sidebar.radio(key="data_source").set_value("bundled").run()  # back to the bundled data: nothing of the upload
    assert_clean(at)
    assert not {"data", "moderator", "col.setting"} & set(_bar(at)), _bar(at)


def test_a_bundled_format_upload_is_not_in_the_link_and_the_share_dialog_says_so():
    from pathlib import Path

    raw = (Path(APP).parent / "data" / "trials.csv").read_bytes()
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="upload_trials").set_value(("trials.csv", raw, "text/csv")).run()
    at.button(key="upload_check").click().run()
    assert_clean(at)
    assert at.sidebar.radio(key="data_source").value == "upload"
    assert "data" not in _bar(at)
    at.button(key="share_open").click().run()
    assert any("a link cannot carry" in w.value for w in at.warning)


def test_a_damaged_fingerprint_says_so_instead_of_showing_the_bundled_data():
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["data"] = "0123456789abcde"  # one character cut when copied
    at.run()
    assert_clean(at)
    assert not at.metric, "no bundled numbers for a damaged link to an upload"
    said = " ".join(w.value for w in at.warning)
    assert "damaged" in said and "15 characters" in said
    at.button(key="byor_damaged_bundled").click().run()
    assert_clean(at)
    assert metrics(at)["Trials (k)"]
    assert "data" not in at.query_params


def test_repeated_keys_are_reported_in_words():
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["outcome"] = ["hope", "anxiety"]
    at.run()
    assert_clean(at)
    said = " ".join(w.value for w in at.warning)
    assert "`outcome` is given 2 times" in said and "the last one, `anxiety`, was used" in said
    assert at.sidebar.selectbox(key="v_outcome").value == "anxiety"
    assert _bar(at) == {"outcome": "anxiety"}  # the address bar now holds one value


@pytest.mark.parametrize("query, page, title", [
    ({"unknown": "/data/x", "page": "data"}, "data", "Data"),   # the proxy sent /data/x to /data?unknown=/data/x
    ({"unknown": "/foo/bar/", "outcome": "hope"}, "explore", "Explore"),  # no such page: the root, the link's query
])
def test_an_address_that_is_no_page_is_said_in_words_then_dropped(query, page, title):
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(query)
    at.run()
    assert_clean(at)
    said = [w.value for w in at.warning]
    assert f"The address `{query['unknown']}` is not a page of this app; showing {title}." in " ".join(said)
    assert not any("not understood" in w for w in said), "unknown= is no setting of the view"
    assert "unknown" not in at.query_params
    assert _bar(at) == {k: v for k, v in query.items() if k != "unknown"}
