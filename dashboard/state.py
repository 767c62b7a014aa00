"""The view state and the URL: the only module that touches ``st.query_params``.

A :class:`ViewState` is everything a copied link must reproduce: the page, the filters, the outcome, the estimator
(``method``), the test (``test``: "z" or "knha") and the Subgroups page's moderator. It is encoded as a short query
string (defaults left out, lists comma-separated), e.g. ``?page=subgroups&outcome=hope&quality=fair,good&method=REML``.

Pure functions (testable without Streamlit):

* :func:`encode` / :func:`decode`: ViewState <-> ``dict[str, str]``. ``decode`` never raises: unknown keys are ignored,
  invalid values dropped or replaced by the default, lists put in canonical (vocabulary) order.
* :func:`to_widgets` / :func:`from_widgets`: ViewState <-> the session-state values of the sidebar's widget keys.
* :data:`PRESETS`: the workshop presets as functions ``ViewState -> ViewState``.

Streamlit glue (called by ``app.py`` and the sidebar): :func:`init_session`, :func:`write_url`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from peerstats.select import (
    CATEGORIES,
    CONTROLS,
    FORMATS,
    LEADERSHIP,
    MODERATORS,
    PROVENANCE,
    QUALITY,
    ROB_DOMAINS,
    ROB_LEVELS,
    Filters,
)

#: Pages: key (url path, ``page`` query value) -> title. The first is the home page.
PAGES: dict[str, str] = {
    "explore": "Explore",
    "subgroups": "Subgroups",
    "sensitivity": "Sensitivity",
    "small-study-effects": "Small-study effects",
    "risk-of-bias": "Risk of bias",
    "multiverse": "Multiverse & next trial",
    "reproduce": "Reproduce the paper",
    "data": "Data",
    "about": "About",
    "summary": "Summary of findings",
}
METHODS: dict[str, str] = {
    "DL": "DerSimonian-Laird (the paper)",
    "REML": "Restricted maximum likelihood",
    "PM": "Paule-Mandel",
    "FE": "Common (fixed) effect",
}
TESTS: dict[str, str] = {"z": "z (normal)", "knha": "Knapp-Hartung (t)"}
DEFAULT_OUTCOME = "personal_recovery"

# query key -> (Filters field, vocabulary or None for free ids)
_LIST_PARAMS: dict[str, tuple[str, Mapping[str, str] | None]] = {
    "category": ("categories", CATEGORIES),
    "quality": ("quality", QUALITY),
    "control": ("control", CONTROLS),
    "leadership": ("leadership", LEADERSHIP),
    "format": ("formats", FORMATS),
    "provenance": ("provenance", PROVENANCE),
    "exclude": ("excluded_trials", None),
}


# query key -> boolean Filters field ("1" when on; evidence base v2, issue 8)
_FLAG_PARAMS: dict[str, str] = {"nohighrisk": "exclude_high_risk", "nodoubt": "exclude_doubtful",
                                 "paper": "paper_analysis"}


@dataclass(frozen=True)
class ViewState:
    """Everything a link reproduces. Defaults = the paper's main analysis of personal recovery on the home page."""

    page: str = "explore"
    filters: Filters = field(default_factory=Filters)
    outcome: str = DEFAULT_OUTCOME
    method: str = "DL"
    test: str = "z"
    moderator: str = "category"


DEFAULT = ViewState()


def _split(value) -> list[str]:
    """Query values arrive as "a,b" strings (or lists of them from repeated keys)."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    out: list[str] = []
    for item in items:
        out.extend(v.strip() for v in str(item).split(",") if v.strip())
    return out


def _canonical(values: Iterable[str], vocabulary: Iterable[str] | None) -> tuple[str, ...]:
    """Known values only, no duplicates, in vocabulary order (or first-seen order for free ids)."""
    values = list(dict.fromkeys(values))
    if vocabulary is None:
        return tuple(values)
    vocab = list(vocabulary)
    return tuple(v for v in vocab if v in values)


def encode(view: ViewState) -> dict[str, str]:
    """ViewState -> query parameters; values equal to the default are left out.

    Examples
    --------
    >>> encode(ViewState(outcome="hope", filters=Filters(quality=("good", "fair"))))
    {'outcome': 'hope', 'quality': 'good,fair'}
    """
    out: dict[str, str] = {}
    if view.page != DEFAULT.page:
        out["page"] = view.page
    if view.outcome != DEFAULT.outcome:
        out["outcome"] = view.outcome
    if view.method != DEFAULT.method:
        out["method"] = view.method
    if view.test != DEFAULT.test:
        out["test"] = view.test
    if view.moderator != DEFAULT.moderator:
        out["moderator"] = view.moderator
    f = view.filters
    for key, (attr, _vocab) in _LIST_PARAMS.items():
        values = getattr(f, attr)
        if values:
            out[key] = ",".join(values)
    for domain, levels in f.rob:
        if levels:
            out[domain] = ",".join(levels)
    for key, attr in _FLAG_PARAMS.items():
        if getattr(f, attr):
            out[key] = "1"
    return out


def decode(params: Mapping[str, object], outcomes: Iterable[str] | None = None,
           trial_ids: Iterable[str] | None = None) -> ViewState:
    """Query parameters -> ViewState, validating every value; never raises.

    Parameters
    ----------
    params : mapping
        ``st.query_params.to_dict()`` (values ``str``) or AppTest's dict (``str`` or ``list[str]``).
    outcomes : iterable of str, optional
        Known outcome names; an unknown ``outcome`` falls back to the default. ``None`` accepts any non-empty name.
    trial_ids : iterable of str, optional
        Known trial ids; unknown ids in ``exclude`` are dropped. ``None`` keeps them all.
    """
    def one(key: str) -> str | None:
        vals = _split(params.get(key))
        return vals[-1] if vals else None

    page = one("page")
    page = page if page in PAGES else DEFAULT.page
    outcome = one("outcome")
    known_outcomes = None if outcomes is None else set(outcomes)
    if not outcome or (known_outcomes is not None and outcome not in known_outcomes):
        outcome = DEFAULT.outcome
    method = (one("method") or "").upper()
    method = method if method in METHODS else DEFAULT.method
    test = (one("test") or "").lower()
    test = test if test in TESTS else DEFAULT.test
    moderator = one("moderator")
    moderator = moderator if moderator in MODERATORS else DEFAULT.moderator

    kwargs: dict[str, tuple] = {}
    for key, (attr, vocab) in _LIST_PARAMS.items():
        values = _split(params.get(key))
        if vocab is None and trial_ids is not None:
            known = set(trial_ids)
            values = [v for v in values if v in known]
        kwargs[attr] = _canonical(values, vocab)
    rob = []
    for domain in ROB_DOMAINS:
        levels = _canonical(_split(params.get(domain)), ROB_LEVELS)
        if levels:
            rob.append((domain, levels))
    for key, attr in _FLAG_PARAMS.items():
        kwargs[attr] = one(key) in ("1", "true", "yes")
    return ViewState(page=page, filters=Filters(**kwargs, rob=tuple(rob)), outcome=outcome, method=method, test=test,
                     moderator=moderator)


# --------------------------------------------------------------------------------------------------------------------
# Widgets <-> ViewState (pure)
# --------------------------------------------------------------------------------------------------------------------
#: Widget key of each list filter (multiselects holding codebook values).
FILTER_KEYS: dict[str, str] = {
    "categories": "f_categories",
    "quality": "f_quality",
    "control": "f_control",
    "leadership": "f_leadership",
    "formats": "f_formats",
    "provenance": "f_provenance",
    "excluded_trials": "f_excluded",
}
ROB_KEYS: dict[str, str] = {domain: f"f_{domain}" for domain in ROB_DOMAINS}
OUTCOME_KEY = "v_outcome"
METHOD_KEY = "v_method"
KNHA_KEY = "v_knha"
MODERATOR_KEY = "v_moderator"
MODERATOR_MEMORY = "_moderator"   # the moderator of the view, kept outside the page widget (see remember_moderator)
EXCLUDE_POOR_KEY = "f_exclude_poor"
REAL_ONLY_KEY = "f_real_only"
#: Widget keys of the boolean filters (checkboxes).
FLAG_KEYS: dict[str, str] = {"exclude_high_risk": "f_exclude_high_risk", "exclude_doubtful": "f_exclude_doubtful",
                             "paper_analysis": "f_paper_analysis"}
_VOCAB_OF: dict[str, Mapping[str, str] | None] = {
    "categories": CATEGORIES, "quality": QUALITY, "control": CONTROLS, "leadership": LEADERSHIP,
    "formats": FORMATS, "provenance": PROVENANCE, "excluded_trials": None,
}


def excludes_poor(quality: Iterable[str]) -> bool:
    """True when a quality filter keeps some levels but not "poor" (what the "Exclude poor-quality" box shows)."""
    q = tuple(quality)
    return bool(q) and "poor" not in q


def real_rows_only(provenance: Iterable[str]) -> bool:
    """True when a provenance filter keeps some rows but no reconstructed ones (the "Trial data only" box)."""
    p = tuple(provenance)
    return bool(p) and "reconstructed" not in p


def to_widgets(view: ViewState) -> dict[str, object]:
    """Session-state values of the sidebar's widget keys for ``view`` (lists for multiselects)."""
    f = view.filters
    out: dict[str, object] = {key: list(getattr(f, attr)) for attr, key in FILTER_KEYS.items()}
    for domain, key in ROB_KEYS.items():
        out[key] = list(f.rob_levels(domain))
    out[EXCLUDE_POOR_KEY] = excludes_poor(f.quality)
    out[REAL_ONLY_KEY] = real_rows_only(f.provenance)
    for attr, key in FLAG_KEYS.items():
        out[key] = bool(getattr(f, attr))
    out[OUTCOME_KEY] = view.outcome
    out[METHOD_KEY] = view.method
    out[KNHA_KEY] = view.test == "knha"
    return out


def from_widgets(values: Mapping[str, object], page: str, moderator: str = DEFAULT.moderator) -> ViewState:
    """ViewState from the sidebar's widget values (missing keys take defaults; lists canonicalised)."""
    kwargs = {}
    for attr, key in FILTER_KEYS.items():
        kwargs[attr] = _canonical([str(v) for v in (values.get(key) or [])], _VOCAB_OF[attr])
    rob = []
    for domain, key in ROB_KEYS.items():
        levels = _canonical([str(v) for v in (values.get(key) or [])], ROB_LEVELS)
        if levels:
            rob.append((domain, levels))
    for attr, key in FLAG_KEYS.items():
        kwargs[attr] = bool(values.get(key))
    method = values.get(METHOD_KEY) or DEFAULT.method
    return ViewState(
        page=page,
        filters=Filters(**kwargs, rob=tuple(rob)),
        outcome=str(values.get(OUTCOME_KEY) or DEFAULT.outcome),
        method=str(method) if method in METHODS else DEFAULT.method,
        test="knha" if values.get(KNHA_KEY) else "z",
        moderator=moderator if moderator in MODERATORS else DEFAULT.moderator,
    )


# --------------------------------------------------------------------------------------------------------------------
# Presets for workshops
# --------------------------------------------------------------------------------------------------------------------
def _paper(view: ViewState) -> ViewState:
    """The paper's main analysis: exactly the trials the paper pooled for the outcome (rows whose paper_cells name
    its all-trials cell), DerSimonian-Laird, z-test (page and outcome kept)."""
    return replace(view, filters=Filters(paper_analysis=True), method="DL", test="z")


def _fair_good(view: ViewState) -> ViewState:
    """Every trial and row, fair- and good-quality trials only (DerSimonian-Laird, z-test)."""
    return replace(_paper(view), filters=Filters(quality=("good", "fair")))


def _online(view: ViewState) -> ViewState:
    """Every trial and row of peers online only (DerSimonian-Laird, z-test)."""
    return replace(_paper(view), filters=Filters(categories=("online",)))


#: Preset label -> (widget key of its button, transform).
PRESETS: dict[str, tuple[str, Callable[[ViewState], ViewState]]] = {
    "The paper's main analysis": ("preset_paper", _paper),
    "Fair/good quality only": ("preset_fair_good", _fair_good),
    "Peers online only": ("preset_online", _online),
}


# --------------------------------------------------------------------------------------------------------------------
# Streamlit glue: the only place that reads or writes st.query_params
# --------------------------------------------------------------------------------------------------------------------
_URL_READ = "_url_read"
_URL_PAGE = "_url_page"
_LAST_QUERY = "_last_query"
URL_DROPPED = "_url_dropped"  # what the opened link asked for that was not understood (shown once by the shell)


def init_session(outcomes: Iterable[str], trial_ids: Iterable[str]) -> None:
    """First run of a browser session: decode the URL and seed the widget keys from it. Later runs: do nothing.

    The page named in the URL (if any) is kept under ``st.session_state["_url_page"]`` for ``app.py`` to switch to.
    """
    import streamlit as st

    if st.session_state.get(_URL_READ):
        return
    params = st.query_params.to_dict()
    view = decode(params, outcomes=outcomes, trial_ids=trial_ids)
    for key, value in to_widgets(view).items():
        st.session_state[key] = value
    st.session_state[MODERATOR_MEMORY] = view.moderator
    st.session_state["_view"] = view
    st.session_state[_URL_PAGE] = view.page if "page" in params else None
    st.session_state[URL_DROPPED] = dropped_params(params, view)
    st.session_state[_URL_READ] = True


def remember_moderator() -> None:
    """``on_change`` of the Subgroups page's moderator widget: the view's moderator lives outside the widget, because
    Streamlit resets a widget that was not drawn in the previous run (another page) to its default."""
    import streamlit as st

    st.session_state[MODERATOR_MEMORY] = st.session_state[MODERATOR_KEY]


def moderator() -> str:
    """The view's moderator (URL on the first run, then the user's last choice on the Subgroups page)."""
    import streamlit as st

    return st.session_state.get(MODERATOR_MEMORY, st.session_state.get("_view", DEFAULT).moderator)


def requested_page() -> str | None:
    """The page a freshly opened link asked for, once (then ``None``)."""
    import streamlit as st

    return st.session_state.pop(_URL_PAGE, None)


def url_params(view: ViewState) -> dict[str, str]:
    """The query of ``view`` as the address bar shows it: :func:`encode` plus the session's upload fingerprint,
    presentation mode and GRADE overrides (so a link, or a page link in the sidebar, keeps them all)."""
    import streamlit as st

    wanted = encode(view)
    if st.session_state.get(DATA_KEY):
        wanted[DATA_PARAM] = st.session_state[DATA_KEY]
    if presenting():  # presentation mode stays on across reruns (issue 12)
        wanted[PRESENT_PARAM] = "1"
    if grade_overrides():  # the user's GRADE overrides (issue 10), on every page so a link keeps them
        wanted[GRADE_PARAM] = grade_overrides()
    if iceman_text():  # the user's ICEMAN answers (issue 18)
        wanted[ICEMAN_PARAM] = iceman_text()
    if _threshold_text():  # the GRADE threshold (issue 18): MID or any effect, left out at the default
        wanted[THRESHOLD_PARAM] = _threshold_text()
    return wanted


def write_url(view: ViewState) -> None:
    """Make the URL say ``view`` (only writes when it differs, so reruns stay cheap)."""
    import streamlit as st

    wanted = url_params(view)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
    st.session_state["_view"] = view


def follow_link(pages: Mapping[str, object], current: str) -> None:
    """If a freshly opened link named another page (``?page=...``), switch to it once, keeping the query string."""
    import streamlit as st

    wanted = requested_page()
    if wanted and wanted != current and wanted in pages:
        st.switch_page(pages[wanted], query_params=st.query_params.to_dict())


def view_url(view: ViewState) -> str:
    """The full link that reproduces ``view`` (server address from ``st.context.url``; the query from :func:`encode`).

    Returns just the query string ("?..."), when the server address is unknown (e.g. in tests).
    """
    from urllib.parse import urlencode, urlsplit, urlunsplit

    import streamlit as st

    params = encode(view)
    if st.session_state.get(DATA_KEY):
        params[DATA_PARAM] = st.session_state[DATA_KEY]
    query = urlencode(params, safe=",")
    try:
        base = st.context.url or ""
    except Exception:  # noqa: BLE001 - no browser context (AppTest, bare mode)
        base = ""
    if not base:
        return f"?{query}" if query else "?"
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


# --------------------------------------------------------------------------------------------------------------------
# The data in use (issue 9): ``data=<fingerprint>`` names an upload held by the server (dashboard.byor)
# --------------------------------------------------------------------------------------------------------------------
DATA_PARAM = "data"
DATA_KEY = "_data_fp"


def data_fingerprint() -> str | None:
    """The fingerprint of the uploaded data this session shows: from the URL on the session's first call (16 hex
    digits, anything else ignored), then whatever :func:`set_data_fingerprint` said. ``None`` for the bundled data."""
    import re

    import streamlit as st

    if DATA_KEY not in st.session_state:
        value = st.query_params.get(DATA_PARAM)
        value = value[0] if isinstance(value, list) and value else value
        st.session_state[DATA_KEY] = value if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{16}", value) else ""
    return st.session_state[DATA_KEY] or None


def set_data_fingerprint(fingerprint: str | None) -> None:
    """Say which upload is in use (``None``: the bundled data); :func:`write_url` puts it in the URL."""
    import streamlit as st

    st.session_state[DATA_KEY] = fingerprint or ""


# --------------------------------------------------------------------------------------------------------------------
# Presentation mode (issue 12): ?present=1
# --------------------------------------------------------------------------------------------------------------------
PRESENT_PARAM = "present"


def presenting() -> bool:
    """True when the URL asks for presentation mode (``?present=1``); :func:`write_url` keeps the flag."""
    import streamlit as st

    return st.query_params.get(PRESENT_PARAM) == "1"


def presentation_url(view: ViewState) -> str:
    """The link to ``view`` in presentation mode (``view_url`` plus ``present=1``)."""
    url = view_url(view)
    return url + ("&" if "?" in url else "?") + f"{PRESENT_PARAM}=1"


def dropped_params(params: Mapping[str, object], view: ViewState) -> list[str]:
    """The ``key=value`` pairs of a link that :func:`decode` did not keep in ``view`` (unknown keys, invalid values,
    unknown items of a list), in the link's order. ``present`` is not a view setting and is never reported; ``data``
    (an upload's fingerprint) is read by ``dashboard.byor.restore``, which says in words when the server does not
    hold it; ``grade`` (GRADE overrides) is reported only for the parts :func:`peerstats.grade.decode_overrides`
    drops (the value is compared with its canonical re-encoding).

    A value equal to the default (``method=DL``) counts as kept; list values compare as sets of items.
    """
    from peerstats.grade import decode_overrides, encode_overrides

    full = encode(view)
    defaults = {"page": DEFAULT.page, "outcome": DEFAULT.outcome, "method": DEFAULT.method, "test": DEFAULT.test,
                "moderator": DEFAULT.moderator}
    lists = set(_LIST_PARAMS) | set(ROB_DOMAINS)
    out = []
    for key, raw in params.items():
        if key in (PRESENT_PARAM, DATA_PARAM):
            continue
        if key == THRESHOLD_PARAM:
            from peerstats.grade import decode_threshold, encode_threshold

            value = ",".join(str(v) for v in raw) if isinstance(raw, (list, tuple)) else str(raw)
            if encode_threshold(*decode_threshold(value)) != value.strip().lower():
                out.append(f"{key}={value}")
            continue
        value = ",".join(str(v) for v in raw) if isinstance(raw, (list, tuple)) else str(raw)
        if key == ICEMAN_PARAM:
            from peerstats.iceman import decode_answers, encode_answers

            kept = set(encode_answers(decode_answers(value)).split("~"))
            bad = [part for part in value.split("~") if part and part not in kept]
            if bad:
                out.append(f"{key}={'~'.join(bad)}")
        elif key == GRADE_PARAM:
            given = [part for part in value.split("~") if part]
            kept = set(encode_overrides(decode_overrides(value)).split("~"))
            bad = [part for part in given if part not in kept]
            if bad:
                out.append(f"{key}={'~'.join(bad)}")
        elif key in lists:
            kept = set(_split(full.get(key, "")))
            given = _split(value)
            bad = [v for v in given if v not in kept]
            if bad:
                out.append(f"{key}={','.join(bad)}")
        elif key in _FLAG_PARAMS:  # a switch ("1", "true", "yes") is kept when the view has it on
            if key not in full:
                out.append(f"{key}={value}")
        elif key not in defaults or value != full.get(key, defaults[key]):
            out.append(f"{key}={value}")
    return out


# --------------------------------------------------------------------------------------------------------------------
# GRADE overrides (issue 10): ``grade=<outcome.domain.downgrade.reason~...>`` (peerstats.grade.encode_overrides)
# --------------------------------------------------------------------------------------------------------------------
GRADE_PARAM = "grade"
GRADE_KEY = "sof_overrides"


def grade_overrides() -> str:
    """The user's GRADE overrides, encoded: from the URL on the session's first call (decoded and encoded again, so
    junk is dropped and the text is canonical), then whatever :func:`set_grade_overrides` said. ``""`` for none."""
    import streamlit as st

    from peerstats.grade import decode_overrides, encode_overrides

    if GRADE_KEY not in st.session_state:
        value = st.query_params.get(GRADE_PARAM)
        value = value[0] if isinstance(value, list) and value else value
        st.session_state[GRADE_KEY] = encode_overrides(decode_overrides(value if isinstance(value, str) else ""))
    return st.session_state[GRADE_KEY]


def set_grade_overrides(overrides: dict) -> None:
    """Keep ``{outcome: {domain: (downgrade, reason)}}`` for this session; :func:`write_url` puts it in the URL."""
    import streamlit as st

    from peerstats.grade import encode_overrides

    st.session_state[GRADE_KEY] = encode_overrides(overrides)


# --------------------------------------------------------------------------------------------------------------------
# ICEMAN (issue 18): ``iceman=<outcome.moderator.item.code~...>`` (peerstats.iceman.encode_answers): the user's answers
# to the items only they can answer
# --------------------------------------------------------------------------------------------------------------------
ICEMAN_PARAM = "iceman"
ICEMAN_KEY = "iceman_answers"


def iceman_text() -> str:
    """The ICEMAN answers, encoded: from the URL on the session's first call (decoded and encoded again, so junk is
    dropped), then whatever :func:`set_iceman_answers` said. ``""`` for none."""
    import streamlit as st

    from peerstats.iceman import decode_answers, encode_answers

    if ICEMAN_KEY not in st.session_state:
        value = st.query_params.get(ICEMAN_PARAM)
        value = value[0] if isinstance(value, list) and value else value
        st.session_state[ICEMAN_KEY] = encode_answers(decode_answers(value if isinstance(value, str) else ""))
    return st.session_state[ICEMAN_KEY]


def iceman_answers() -> dict:
    """``{(outcome, moderator): {item: code}}``: the user's ICEMAN answers in this session."""
    from peerstats.iceman import decode_answers

    return decode_answers(iceman_text())


def set_iceman_answers(answers: dict) -> None:
    """Keep the answers for this session; :func:`write_url` puts them in the URL."""
    import streamlit as st

    from peerstats.iceman import encode_answers

    st.session_state[ICEMAN_KEY] = encode_answers(answers)


# --------------------------------------------------------------------------------------------------------------------
# The GRADE threshold (issue 18): ``threshold=any`` (any effect), ``threshold=0.3`` (an MID), ``any:0.3``; default
# MID 0.2 (left out). One threshold for the certainty and the statement (peerstats.grade.encode_threshold)
# --------------------------------------------------------------------------------------------------------------------
THRESHOLD_PARAM = "threshold"
THRESHOLD_KEY = "sof_threshold_text"


def _threshold_text() -> str:
    import streamlit as st

    from peerstats.grade import decode_threshold, encode_threshold

    if THRESHOLD_KEY not in st.session_state:
        value = st.query_params.get(THRESHOLD_PARAM)
        value = value[0] if isinstance(value, list) and value else value
        st.session_state[THRESHOLD_KEY] = encode_threshold(*decode_threshold(value if isinstance(value, str) else ""))
    return st.session_state[THRESHOLD_KEY]


def grade_threshold() -> tuple[str, float]:
    """``(threshold, mid)``: from the URL on the session's first call, then what :func:`set_grade_threshold` said."""
    from peerstats.grade import decode_threshold

    return decode_threshold(_threshold_text())


def set_grade_threshold(threshold: str, mid: float) -> None:
    """Keep the GRADE threshold (``"mid"`` or ``"any"``) and MID; :func:`write_url` puts it in the URL."""
    import streamlit as st

    from peerstats.grade import encode_threshold

    st.session_state[THRESHOLD_KEY] = encode_threshold(threshold, mid)
