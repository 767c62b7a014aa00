"""dashboard.view: the URL encodes the whole view and decodes it back; bad links fall back to defaults."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.view import (
    DEFAULT, METHODS, PAGES, PRESETS, TESTS, ViewState, decode, encode, excludes_poor, from_widgets, to_widgets,
)
from peerstats.select import (
    CATEGORIES, CONTROLS, FORMATS, LEADERSHIP, MODERATORS, PROVENANCE, QUALITY, ROB_DOMAINS, ROB_LEVELS, Filters,
)

TRIALS = ["t1", "t2", "t3", "barbic2009"]
OUTCOMES = ["personal_recovery", "hope", "anxiety"]


def _ordered_subset(vocab):
    """A subset in vocabulary order (the canonical form decode produces)."""
    keys = list(vocab)
    return st.sets(st.sampled_from(keys)).map(lambda s: tuple(k for k in keys if k in s))


@st.composite
def views(draw):
    rob = []
    for domain in ROB_DOMAINS:
        levels = draw(_ordered_subset(ROB_LEVELS))
        if levels:
            rob.append((domain, levels))
    filters = Filters(
        categories=draw(_ordered_subset(CATEGORIES)),
        quality=draw(_ordered_subset(QUALITY)),
        control=draw(_ordered_subset(CONTROLS)),
        leadership=draw(_ordered_subset(LEADERSHIP)),
        formats=draw(_ordered_subset(FORMATS)),
        provenance=draw(_ordered_subset(PROVENANCE)),
        rob=tuple(rob),
        excluded_trials=tuple(draw(st.lists(st.sampled_from(TRIALS), unique=True))),
    )
    return ViewState(
        page=draw(st.sampled_from(list(PAGES))),
        filters=filters,
        outcome=draw(st.sampled_from(OUTCOMES)),
        method=draw(st.sampled_from(list(METHODS))),
        test=draw(st.sampled_from(list(TESTS))),
        moderator=draw(st.sampled_from(list(MODERATORS))),
    )


@settings(max_examples=300, deadline=None)
@given(views())
def test_encode_decode_round_trip(view):
    params = encode(view)
    assert all(isinstance(v, str) for v in params.values())
    assert decode(params, outcomes=OUTCOMES, trial_ids=TRIALS) == view


@settings(max_examples=200, deadline=None)
@given(views())
def test_widgets_round_trip(view):
    values = to_widgets(view)
    assert from_widgets(values, page=view.page, moderator=view.moderator) == view


def test_default_view_is_an_empty_query_string():
    assert encode(DEFAULT) == {}
    assert decode({}) == DEFAULT


def test_encoding_is_short_and_readable():
    view = ViewState(page="subgroups", outcome="hope", method="REML", test="knha",
                     filters=Filters(quality=("good", "fair"), rob=(("rob_blinding_assessors", ("low",)),)))
    assert encode(view) == {"page": "subgroups", "outcome": "hope", "method": "REML", "test": "knha",
                            "quality": "good,fair", "rob_blinding_assessors": "low"}


def test_invalid_values_fall_back_to_defaults_and_unknowns_are_dropped():
    params = {
        "page": "nowhere", "outcome": "happiness", "method": "OLS", "test": "t", "moderator": "colour",
        "quality": "fair,excellent,fair", "category": "", "exclude": "t2,ghost", "rob_power_calculation": "bad",
        "unrelated": "x",
    }
    view = decode(params, outcomes=OUTCOMES, trial_ids=TRIALS)
    assert view.page == "explore" and view.outcome == "personal_recovery" and view.method == "DL"
    assert view.test == "z" and view.moderator == "category"
    assert view.filters == Filters(quality=("fair",), excluded_trials=("t2",))


def test_decode_is_lenient_about_case_order_and_repeated_keys():
    # AppTest gives repeated keys as lists; the browser may reorder values
    view = decode({"method": "reml", "test": "KNHA", "quality": ["poor", "good,fair"]})
    assert view.method == "REML" and view.test == "knha"
    assert view.filters.quality == ("good", "fair", "poor")


def test_exclude_poor_checkbox_follows_the_quality_filter():
    assert not excludes_poor(())           # all levels: poor included
    assert excludes_poor(("good", "fair"))
    assert not excludes_poor(("fair", "poor"))
    assert to_widgets(ViewState(filters=Filters(quality=("fair",))))["f_exclude_poor"] is True


def test_trial_data_only_checkbox_follows_the_provenance_filter():
    from dashboard.view import real_rows_only

    assert not real_rows_only(())
    assert real_rows_only(("reported", "derived")) and real_rows_only(("reported",))
    assert not real_rows_only(("derived", "reconstructed"))
    assert to_widgets(ViewState(filters=Filters(provenance=("reported",))))["f_real_only"] is True


def test_presets():
    start = ViewState(page="sensitivity", outcome="hope", method="PM", test="knha",
                      filters=Filters(categories=("independent",), excluded_trials=("t1",)))
    paper = PRESETS["The paper's main analysis"][1](start)
    assert paper == ViewState(page="sensitivity", outcome="hope", filters=Filters(paper_analysis=True))
    assert encode(paper) == {"page": "sensitivity", "outcome": "hope", "paper": "1"}
    assert decode(encode(paper)) == paper
    from dashboard.view import dropped_params

    for query in ({"paper": "1"}, {"nodoubt": "1", "nohighrisk": "true"}):  # switches a link keeps are not "dropped"
        assert dropped_params(query, decode(query)) == []
    assert dropped_params({"paper": "maybe"}, decode({"paper": "maybe"})) == ["paper=maybe"]
    fair = PRESETS["Fair/good quality only"][1](start)
    assert fair.filters == Filters(quality=("good", "fair")) and fair.method == "DL" and fair.outcome == "hope"
    online = PRESETS["Peers online only"][1](start)
    assert online.filters == Filters(categories=("online",)) and online.test == "z"


# ------------------------------------------------------------------------------------------ the link (issue 21)
from urllib.parse import parse_qs, urlsplit  # noqa: E402

from dashboard.view import (  # noqa: E402
    SESSION_PARAMS, dropped_params, is_loopback, link, on_host, repeated_params, share_advice,
)

UPLOAD_COLUMNS = {"setting": ["clinic", "online", "a,b 50% ~x"], "Region name": ["Nord", "Süd"]}
#: ICEMAN answers and GRADE thresholds in their canonical link form (peerstats.iceman / peerstats.grade encoders).
ICEMANS = ["personal_recovery.category.direction.py", "anxiety.control.direction.dn~anxiety.control.prior.pn"]
THRESHOLDS = ["any", "0.3", "any:0.3"]
GRADES = ["hope.indirectness.1.US%20only", "anxiety.imprecision.2.one%20trial~hope.inconsistency.1.I2%3D80%25"]


@st.composite
def full_views(draw):
    """A view with every kind of parameter: codebook filters, flags, an upload's own columns (values with commas,
    percent signs, spaces and non-ASCII letters), an upload's moderator, and the session settings."""
    view = draw(views())
    cols = []
    for column, levels in UPLOAD_COLUMNS.items():
        chosen = draw(_ordered_subset(levels))
        if chosen:
            cols.append((column, chosen))
    from dataclasses import replace

    filters = replace(view.filters, exclude_high_risk=draw(st.booleans()), exclude_doubtful=draw(st.booleans()),
                      columns=tuple(cols))
    moderator = draw(st.sampled_from([*MODERATORS, *UPLOAD_COLUMNS]))
    settings_ = {"data": draw(st.sampled_from(["", "0123456789abcdef"])), "grade": draw(st.sampled_from(["", *GRADES])),
                 "present": draw(st.sampled_from(["", "1"])),
                 "iceman": draw(st.sampled_from(["", *ICEMANS])), "threshold": draw(st.sampled_from(["", *THRESHOLDS]))}
    filters = replace(filters, paper_analysis=draw(st.booleans()))
    return replace(view, filters=filters, moderator=moderator).with_settings(**settings_)


def _query_of(url: str) -> dict[str, str]:
    """What the server reads from a link: the query decoded as a browser and Streamlit do (last value of a key)."""
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


@settings(max_examples=300, deadline=None)
@given(full_views(), st.sampled_from(["", "http://127.0.0.1:8501/", "https://host.example/prefix/subgroups"]))
def test_every_link_decodes_to_the_view_it_was_written_for(view, base):
    url = link(view, base)
    params = _query_of(url)
    back = decode(params, outcomes=OUTCOMES, trial_ids=TRIALS, moderators=list(UPLOAD_COLUMNS),
                  columns=UPLOAD_COLUMNS)
    assert back == view
    assert dropped_params(params, back) == [] and repeated_params(params) == []
    if base:  # the path names the page, under the deployment's prefix
        path = urlsplit(url).path
        prefix = "/prefix" if "prefix" in base else ""
        assert path == prefix + ("/" if view.page == "explore" else f"/{view.page}")  # the root ends with "/"


def test_the_session_settings_are_in_table_order_and_every_one_round_trips():
    view = ViewState().with_settings(present="1", grade=GRADES[0], data="0123456789abcdef")
    assert [k for k, _ in view.session] == [k for k in SESSION_PARAMS if k in ("data", "grade", "present")]
    assert encode(view) == {"data": "0123456789abcdef", "grade": GRADES[0], "present": "1"}
    assert view.with_settings(present="").setting("present") == ""


def test_flags_written_by_the_app_are_not_reported_as_not_understood():
    # issue 21: links with nohighrisk=1 or nodoubt=1 opened with "some settings were not understood"
    params = {"nohighrisk": "1", "nodoubt": "1", "outcome": "hope"}
    view = decode(params, outcomes=OUTCOMES)
    assert view.filters.exclude_high_risk and view.filters.exclude_doubtful
    assert dropped_params(params, view) == []
    assert dropped_params({"nodoubt": "maybe"}, decode({"nodoubt": "maybe"})) == ["nodoubt=maybe"]


def test_an_upload_column_the_data_do_not_have_is_reported():
    params = {"col.setting": "online,Mars", "col.colour": "red", "moderator": "setting"}
    on_upload = decode(params, columns=UPLOAD_COLUMNS, moderators=["setting"])
    assert on_upload.filters.columns == (("setting", ("online",)),) and on_upload.moderator == "setting"
    assert dropped_params(params, on_upload) == ["col.setting=Mars", "col.colour=red"]
    bundled = decode(params, columns={})  # the same link on the bundled data: nothing of the upload is kept
    assert bundled.filters.columns == () and bundled.moderator == "category"
    assert dropped_params(params, bundled) == ["col.setting=online,Mars", "col.colour=red", "moderator=setting"]


def test_repeated_keys_say_which_value_was_used():
    params = {"outcome": ["hope", "anxiety"], "quality": ["good", "fair"], "method": "REML"}
    view = decode(params, outcomes=OUTCOMES)
    assert view.outcome == "anxiety" and view.filters.quality == ("good", "fair")
    said = repeated_params(params)
    assert said == ["`outcome` is given 2 times (`hope`, `anxiety`): the last one, `anxiety`, was used.",
                    "`quality` is given 2 times (`good`, `fair`): their values were combined."]
    assert dropped_params(params, view) == []  # used, so not "not understood"


def test_a_damaged_fingerprint_is_not_kept():
    for damaged in ("0123456789abcde", "0123456789ABCDEF", "../../etc/passwd", "0123456789abcdef0"):
        assert decode({"data": damaged}).setting("data") == ""
    assert decode({"data": "0123456789abcdef"}).setting("data") == "0123456789abcdef"


def test_the_link_path_keeps_the_prefix_and_names_the_page():
    v = ViewState(page="summary", outcome="hope")
    assert link(v, "http://h:8501/") == "http://h:8501/summary?page=summary&outcome=hope"
    assert link(v, "http://h:8501/explore?outcome=x") == "http://h:8501/summary?page=summary&outcome=hope"
    assert link(ViewState(), "https://h/peer/stats/risk-of-bias") == "https://h/peer/stats/"
    assert link(ViewState(), "") == "?"


def test_loopback_hosts():
    for url in ("http://127.0.0.1:8501/", "http://localhost:8501/x", "http://[::1]:8501/", "http://127.8.0.1/",
                "http://app.localhost/"):
        assert is_loopback(url), url
    for url in ("http://192.168.1.20:8501/", "https://peerstats.example.org/", "http://[fe80::1]/", "?a=1"):
        assert not is_loopback(url), url


def test_share_advice_warns_for_loopback_and_offers_the_lan_link_only_when_it_can_work():
    url = "http://127.0.0.1:8501/subgroups?page=subgroups&grade=hope.indirectness.1.x"
    # run.sh app: listening on loopback only -> warning with the way to serve on the network, and the LAN address
    warning, lan = share_advice(url, "127.0.0.1", "192.168.1.20")
    assert lan is None
    assert "cannot open it" in warning and "PEERSTATS_ADDRESS=0.0.0.0" in warning and "deploy/" in warning
    assert "192.168.1.20" in warning
    # listening on every interface: the same link on the LAN address, path and query kept
    warning, lan = share_advice(url, "0.0.0.0", "192.168.1.20")
    assert lan == "http://192.168.1.20:8501/subgroups?page=subgroups&grade=hope.indirectness.1.x"
    assert "cannot open it" in warning
    # no LAN address (offline): the warning still says how, without an address
    warning, lan = share_advice(url, "", None)
    assert lan is None and "PEERSTATS_ADDRESS=0.0.0.0" in warning
    # a public address: nothing to say
    assert share_advice("https://peerstats.example.org/?outcome=hope", "127.0.0.1", "10.0.0.2") == (None, None)
    assert on_host("http://localhost/x?a=1", "10.1.2.3") == "http://10.1.2.3/x?a=1"


def test_lan_address_is_a_non_loopback_address_or_none():
    import ipaddress

    from dashboard.view import lan_address

    found = lan_address()
    assert found is None or not ipaddress.ip_address(found).is_loopback


def test_a_grade_override_typed_with_its_percent_escapes_decoded_is_understood():
    # A browser decodes "%20" in a hand-typed link: the server gets a space; the override is applied, not reported.
    params = {"grade": "hope.indirectness.1.inpatients only~hope.nonsense.9.x"}
    view = decode(params)
    assert view.setting("grade") == "hope.indirectness.1.inpatients%20only"
    assert dropped_params(params, view) == ["grade=hope.nonsense.9.x"]


def test_a_public_base_url_is_the_address_of_every_link(monkeypatch):
    from dashboard.state import base_url

    monkeypatch.setenv("PEERSTATS_PUBLIC_URL", "https://workshop.example.org/peer")
    assert base_url() == "https://workshop.example.org/peer"
    url = link(ViewState(page="summary", outcome="hope").with_settings(grade=GRADES[0]), base_url())
    assert url == f"https://workshop.example.org/peer/summary?page=summary&outcome=hope&grade={GRADES[0].replace('%', '%25')}"
    assert not is_loopback(url)
    monkeypatch.setenv("PEERSTATS_PUBLIC_URL", "javascript:alert(1)")  # only an http(s) address is taken
    assert not base_url().startswith("javascript")


def test_the_default_threshold_spelled_out_is_understood_and_junk_is_reported():
    for spelled in ("0.2", "mid", "MID:0.2"):
        params = {"threshold": spelled}
        assert dropped_params(params, decode(params, outcomes=OUTCOMES)) == []
    params = {"threshold": "sometimes"}
    assert dropped_params(params, decode(params, outcomes=OUTCOMES)) == ["threshold=sometimes"]


def test_an_unknown_address_that_is_not_a_plain_path_is_not_echoed():
    from dashboard.view import unknown_notice

    assert unknown_notice("/data/x", "Data").startswith("The address `/data/x` is not a page of this app; showing Data.")
    assert unknown_notice("/a`b", "Data").startswith("The address you opened is not a page of this app; showing Data.")
    assert unknown_notice("/" + "x" * 300, "Data").startswith("The address you opened is not")
    assert unknown_notice("", "Explore").startswith("The address you opened is not a page of this app; showing Explore")
