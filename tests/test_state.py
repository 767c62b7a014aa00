"""dashboard.state: the URL encodes the whole view and decodes it back; bad links fall back to defaults."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.state import (
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
    from dashboard.state import real_rows_only

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
    from dashboard.state import dropped_params

    for query in ({"paper": "1"}, {"nodoubt": "1", "nohighrisk": "true"}):  # switches a link keeps are not "dropped"
        assert dropped_params(query, decode(query)) == []
    assert dropped_params({"paper": "maybe"}, decode({"paper": "maybe"})) == ["paper=maybe"]
    fair = PRESETS["Fair/good quality only"][1](start)
    assert fair.filters == Filters(quality=("good", "fair")) and fair.method == "DL" and fair.outcome == "hope"
    online = PRESETS["Peers online only"][1](start)
    assert online.filters == Filters(categories=("online",)) and online.test == "z"
