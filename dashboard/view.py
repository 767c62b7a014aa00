"""The view and its link, pure: no Streamlit here (``tests/test_layers.py`` checks); the glue is :mod:`dashboard.state`.

A :class:`ViewState` is everything a link reproduces: the page, the filters (the codebook's and an upload's own
columns), the outcome, the estimator (``method``), the test (``test``: "z" or "knha"), the Subgroups page's moderator
(a codebook moderator or an upload's column), and the *session settings* that ride along in every link (the upload's
fingerprint ``data``, the GRADE overrides ``grade``, presentation mode ``present``, ...: :data:`SESSION_PARAMS`).
It is encoded as a short query string (defaults left out, lists comma-separated), e.g.
``?page=subgroups&outcome=hope&quality=fair,good&method=REML&grade=hope.indirectness.1.US%20only``.

One writer: every link the app shows is :func:`link` (a full URL) or :func:`encode` (its query, for the address bar
and the sidebar's page links) of the view completed with the session's settings (:func:`dashboard.state.complete`),
so no link drops a setting another keeps.

* :func:`encode` / :func:`decode` / :func:`link`: ViewState <-> ``dict[str, str]`` <-> URL. ``decode`` never raises:
  unknown keys are ignored, invalid values dropped or replaced by the default, lists put in canonical order;
  :func:`dropped_params` and :func:`repeated_params` say in words what a link asked for that was not used.
* :func:`to_widgets` / :func:`from_widgets`: ViewState <-> the session-state values of the sidebar's widget keys.
* :data:`PRESETS`: the workshop presets as functions ``ViewState -> ViewState``.
* :func:`is_loopback`, :func:`share_advice`: whether a link can be opened from another device, and what to do.

Adding a link parameter
-----------------------
A setting kept by the session (not a sidebar widget): one line in :data:`SESSION_PARAMS`,
``"mid": SessionParam("_grade_mid", _number(0, 5)),`` (query key -> session-state key and the function that turns a
raw query value into its canonical text, ``""`` meaning absent or not understood). Read it with
``state.session_value("mid")``, set it with ``state.set_session_value("mid", text)``; every link then carries it,
decodes it, and reports a value it could not understand. Ready cleaners: :func:`_flag`, :func:`_pattern`,
:func:`_number`. A sidebar setting is a field of :class:`ViewState` or :class:`~peerstats.select.Filters`: a list
filter is one line in ``_LIST_PARAMS`` (plus its widget key in ``FILTER_KEYS``), a boolean filter one line in
``_FLAG_PARAMS`` (plus ``FLAG_KEYS``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

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

#: An upload's own column filter: ``col.<column>=<value>,<value>`` (values with "%" and "," percent-escaped).
COLUMN_PREFIX = "col."


# ---------------------------------------------------------------------------------------------- session settings
def _flag(value: str) -> str:
    """``"1"`` for 1/true/yes, else ``""``."""
    return "1" if value.strip().lower() in ("1", "true", "yes") else ""


def _pattern(regex: str) -> Callable[[str], str]:
    """A cleaner keeping a value that matches ``regex`` in full (else ``""``)."""
    compiled = re.compile(regex)
    return lambda value: value if compiled.fullmatch(value) else ""


def _number(low: float, high: float) -> Callable[[str], str]:
    """A cleaner keeping a finite number in [low, high], written as ``repr(float)`` trimmed (else ``""``)."""
    def clean(value: str) -> str:
        try:
            x = float(value)
        except ValueError:
            return ""
        return f"{x:g}" if low <= x <= high else ""
    return clean


def _grade(value: str) -> str:
    """GRADE overrides, decoded and encoded again (junk dropped, canonical order; :mod:`peerstats.grade`)."""
    from peerstats.grade import decode_overrides, encode_overrides

    return encode_overrides(decode_overrides(value))


def _iceman(value: str) -> str:
    """ICEMAN answers ``outcome.moderator.item.code~...``, decoded and encoded again (junk dropped)."""
    from peerstats.iceman import decode_answers, encode_answers

    return encode_answers(decode_answers(value))


def _threshold(value: str) -> str:
    """The GRADE threshold: ``any``, ``0.3``, ``any:0.3``; canonical text, ``""`` for the default MID 0.2 or junk."""
    from peerstats.grade import decode_threshold, encode_threshold

    return encode_threshold(*decode_threshold(value))


@dataclass(frozen=True)
class SessionParam:
    """A setting the session keeps (not a sidebar widget) that every link carries.

    Attributes
    ----------
    session_key : str
        Where ``st.session_state`` keeps its canonical text (``""``: not set).
    clean : callable
        Raw query value -> canonical text, ``""`` when absent or not understood. Never raises.
    sep : str or None
        Separator of the value's items, so :func:`dropped_params` names only the items it could not understand.
    default : frozenset of str
        Lower-case spellings of the default value (cleaned to ``""``, left out of links), not reported as dropped.
    """

    session_key: str
    clean: Callable[[str], str]
    sep: str | None = None
    default: frozenset = frozenset()  # spellings of the default value, which cleans to "" but is understood


DATA_PARAM = "data"
DATA_KEY = "_data_fp"
GRADE_PARAM = "grade"
GRADE_KEY = "sof_overrides"
PRESENT_PARAM = "present"
PRESENT_KEY = "_present"
ICEMAN_PARAM = "iceman"
ICEMAN_KEY = "iceman_answers"
THRESHOLD_PARAM = "threshold"
THRESHOLD_KEY = "sof_threshold_text"
#: Spellings of the default threshold (MID 0.2), which is left out of links: understood, not reported as dropped.
_THRESHOLD_DEFAULTS = frozenset({"mid", "0.2", "mid:0.2"})
FINGERPRINT = re.compile(r"[0-9a-f]{16}")

#: Query key -> session setting, in link order. ONE LINE PER PARAMETER (see "Adding a link parameter" above).
SESSION_PARAMS: dict[str, SessionParam] = {
    DATA_PARAM: SessionParam(DATA_KEY, _pattern(FINGERPRINT.pattern)),  # the upload in use (issue 9)
    GRADE_PARAM: SessionParam(GRADE_KEY, _grade, sep="~"),               # GRADE overrides (issue 10)
    PRESENT_PARAM: SessionParam(PRESENT_KEY, _flag),                     # presentation mode (issue 12)
    ICEMAN_PARAM: SessionParam(ICEMAN_KEY, _iceman, sep="~"),            # the user's ICEMAN answers (issue 18)
    THRESHOLD_PARAM: SessionParam(THRESHOLD_KEY, _threshold, default=_THRESHOLD_DEFAULTS),  # GRADE threshold (18)
}


@dataclass(frozen=True)
class ViewState:
    """Everything a link reproduces. Defaults = the paper's main analysis of personal recovery on the home page.

    ``session``: the :data:`SESSION_PARAMS` settings that are set, as ``(query key, canonical text)`` pairs in table
    order (the sidebar's views have none; :func:`dashboard.state.complete` adds the session's).
    """

    page: str = "explore"
    filters: Filters = field(default_factory=Filters)
    outcome: str = DEFAULT_OUTCOME
    method: str = "DL"
    test: str = "z"
    moderator: str = "category"
    session: tuple[tuple[str, str], ...] = ()

    def setting(self, key: str) -> str:
        """The canonical text of a session setting (``""`` when not set)."""
        return dict(self.session).get(key, "")

    def with_settings(self, **values: str) -> ViewState:
        """A copy with session settings changed (``""`` removes one), kept in table order."""
        merged = {**dict(self.session), **values}
        return replace(self, session=tuple((k, merged[k]) for k in SESSION_PARAMS if merged.get(k)))


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


def _last(value) -> str | None:
    """The value of a single-valued key: the last one given (a repeated key is reported by :func:`repeated_params`)."""
    if isinstance(value, (list, tuple)):
        return str(value[-1]) if value else None
    return None if value is None else str(value)


def _canonical(values: Iterable[str], vocabulary: Iterable[str] | None) -> tuple[str, ...]:
    """Known values only, no duplicates, in vocabulary order (or first-seen order for free ids)."""
    values = list(dict.fromkeys(values))
    if vocabulary is None:
        return tuple(values)
    vocab = list(vocabulary)
    return tuple(v for v in vocab if v in values)


def _escape(value: str) -> str:
    """An upload's column value as a list item: "%" and "," percent-escaped (any text round-trips)."""
    return value.replace("%", "%25").replace(",", "%2C")


def _column_values(value) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else [value]
    return [unquote(v) for item in items if item is not None for v in str(item).split(",") if v != ""]


def encode(view: ViewState) -> dict[str, str]:
    """ViewState -> query parameters; values equal to the default are left out.

    Examples
    --------
    >>> encode(ViewState(outcome="hope", filters=Filters(quality=("good", "fair"))))
    {'outcome': 'hope', 'quality': 'good,fair'}
    """
    out: dict[str, str] = {}
    for key in _SCALARS:
        if getattr(view, key) != getattr(DEFAULT, key):
            out[key] = getattr(view, key)
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
    for column, values in f.columns:
        if values:
            out[COLUMN_PREFIX + column] = ",".join(_escape(str(v)) for v in values)
    for key, value in view.session:
        if key in SESSION_PARAMS and value:
            out[key] = value
    return out


_SCALARS = ("page", "outcome", "method", "test", "moderator")


def decode(params: Mapping[str, object], outcomes: Iterable[str] | None = None,
           trial_ids: Iterable[str] | None = None, moderators: Iterable[str] | None = None,
           columns: Mapping[str, Iterable[str]] | None = None) -> ViewState:
    """Query parameters -> ViewState, validating every value; never raises.

    Parameters
    ----------
    params : mapping
        ``st.query_params.to_dict()`` (values ``str``) or key -> list of values (repeated keys; AppTest's dict).
        A single-valued key given several times takes its last value; list keys combine them.
    outcomes : iterable of str, optional
        Known outcome names; an unknown ``outcome`` falls back to the default. ``None`` accepts any non-empty name.
    trial_ids : iterable of str, optional
        Known trial ids; unknown ids in ``exclude`` are dropped. ``None`` keeps them all.
    moderators : iterable of str, optional
        Moderators the data offer besides the codebook's (an upload's categorical columns). The codebook's
        (:data:`~peerstats.select.MODERATORS`) are always accepted.
    columns : mapping, optional
        An upload's filterable columns -> their values (``col.<column>`` keys); ``None`` accepts any column and value
        (a pure round trip), ``{}`` none (the bundled data).
    """
    def one(key: str) -> str | None:
        value = _last(params.get(key))
        return value.strip() if value is not None else None

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
    known_moderators = set(MODERATORS) | set(moderators or ())
    moderator = moderator if moderator in known_moderators else DEFAULT.moderator

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
        kwargs[attr] = _flag(one(key) or "") == "1"
    cols = []
    given = [str(k)[len(COLUMN_PREFIX):] for k in params if str(k).startswith(COLUMN_PREFIX)]
    order = given if columns is None else [c for c in map(str, columns) if c in given]
    for column in order:
        values = _column_values(params.get(COLUMN_PREFIX + column))
        kept = _canonical(values, None if columns is None else [str(v) for v in columns[column]])
        if kept:
            cols.append((column, kept))
    session = []
    for key, param in SESSION_PARAMS.items():
        raw = one(key)
        value = param.clean(raw) if raw else ""
        if value:
            session.append((key, value))
    return ViewState(page=page, filters=Filters(**kwargs, rob=tuple(rob), columns=tuple(cols)), outcome=outcome,
                     method=method, test=test, moderator=moderator, session=tuple(session))


def link(view: ViewState, base: str = "") -> str:
    """THE link writer: the URL that reproduces ``view`` (session settings included) on the app at ``base``.

    ``base``: the app's address (scheme, host, port and any path prefix, e.g. ``https://host/peerstats``; a page
    path at its end is replaced). Without a base (tests, no browser context) just the query string ``"?..."``.
    The path names the page (the home page is the app's root), and the query says everything (``page`` included).

    Examples
    --------
    >>> link(ViewState(page="subgroups", outcome="hope"), "http://10.0.0.5:8501/explore")
    'http://10.0.0.5:8501/subgroups?page=subgroups&outcome=hope'
    """
    query = urlencode(encode(view), safe=",")
    if not base:
        return f"?{query}" if query else "?"
    parts = urlsplit(base)
    segments = [s for s in parts.path.split("/") if s]
    if segments and segments[-1] in PAGES:
        segments.pop()
    if view.page != DEFAULT.page:
        segments.append(view.page)
    path = "/" + "/".join(segments) + ("/" if segments and view.page == DEFAULT.page else "")  # root: "/prefix/"
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def dropped_params(params: Mapping[str, object], view: ViewState) -> list[str]:
    """The ``key=value`` pairs of a link that :func:`decode` did not keep in ``view`` (unknown keys, invalid values,
    unknown items of a list), in the link's order. ``data`` (an upload's fingerprint) is never reported here (the
    shell says in words when it is damaged or the server does not hold it); a session setting with items
    (``grade``) is reported only for the items its cleaner drops.

    A value equal to the default (``method=DL``) counts as kept; list values compare as sets of items; a repeated
    single-valued key counts by its last value (:func:`repeated_params` says so).
    """
    full = encode(view)
    lists = set(_LIST_PARAMS) | set(ROB_DOMAINS)
    out = []
    for key, raw in params.items():
        key = str(key)
        if key == DATA_PARAM:
            continue
        if key in lists:
            value = ",".join(str(v) for v in raw) if isinstance(raw, (list, tuple)) else str(raw)
            kept = set(_split(full.get(key, "")))
            bad = [v for v in _split(value) if v not in kept]
            if bad:
                out.append(f"{key}={','.join(bad)}")
            continue
        if key.startswith(COLUMN_PREFIX):
            kept = set(_column_values(full.get(key, "")))
            bad = [v for v in _column_values(raw) if v not in kept]
            if bad:
                out.append(f"{key}={','.join(bad)}")
            continue
        value = _last(raw) or ""
        if key in SESSION_PARAMS:
            param = SESSION_PARAMS[key]
            kept_text = view.setting(key)
            if param.sep:
                kept_items = set(kept_text.split(param.sep))  # an item is kept when its canonical form is
                bad = [p for p in value.split(param.sep) if p and param.clean(p) not in kept_items - {""}]
                if bad:
                    out.append(f"{key}={param.sep.join(bad)}")
            elif value.strip() and not kept_text and value.strip().lower() not in param.default:
                out.append(f"{key}={value}")
        elif key in _FLAG_PARAMS:  # 1/true/yes: on; 0/false/no: off; anything else is not understood
            understood = _flag(value) == "1" or value.strip().lower() in ("0", "false", "no", "")
            if not understood or (_flag(value) == "1") != (full.get(key) == "1"):
                out.append(f"{key}={value}")
        elif key in _SCALARS:
            if value.strip().lower() != str(full.get(key, getattr(DEFAULT, key))).lower():
                out.append(f"{key}={value}")
        else:
            out.append(f"{key}={value}")
    return out


def repeated_params(params: Mapping[str, object]) -> list[str]:
    """Sentences for the keys a link gives more than once (``?outcome=a&outcome=b``): which value was used."""
    lists = set(_LIST_PARAMS) | set(ROB_DOMAINS)
    out = []
    for key, raw in params.items():
        if not isinstance(raw, (list, tuple)) or len(raw) < 2:
            continue
        shown = ", ".join(f"`{v}`" for v in raw)
        if key in lists or str(key).startswith(COLUMN_PREFIX):
            out.append(f"`{key}` is given {len(raw)} times ({shown}): their values were combined.")
        else:
            out.append(f"`{key}` is given {len(raw)} times ({shown}): the last one, `{raw[-1]}`, was used.")
    return out


#: A nested path the app has no page for (``/data/x``): the deployment's proxy redirects it to its first segment (or
#: the root) with ``?unknown=<the path>`` (deploy/nginx.conf.template); the shell says so (:func:`unknown_notice`).
UNKNOWN_PARAM = "unknown"
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9._~%/-]{0,200}")


def unknown_notice(asked: str, title: str) -> str:
    """The sentence for a redirected address that is no page: ``asked`` (the ``unknown=`` value; shown only when it
    is a plain path of at most 200 characters) and ``title``, the page shown instead."""
    address = f"`{asked}`" if _PLAIN_PATH.fullmatch(asked or "") else "you opened"
    return (f"The address {address} is not a page of this app; showing {title}. "
            "The sidebar lists the pages; the address bar now shows this one.")


# ---------------------------------------------------------------------------------------------- sharing advice
LAN_PROBE = "192.0.2.1"  # TEST-NET-1 (RFC 5737): a UDP "connect" to it picks a route and sends nothing


def is_loopback(url: str) -> bool:
    """True when ``url``'s host is this machine only (localhost, 127.0.0.0/8, ::1): another device cannot open it."""
    import ipaddress

    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def lan_address() -> str | None:
    """This machine's address on its local network, found without sending anything: a UDP socket "connected" to a
    documentation address (:data:`LAN_PROBE`) makes the kernel choose the outgoing interface; no packet leaves.
    ``None`` when there is no route (offline) or only a loopback address."""
    import ipaddress
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((LAN_PROBE, 9))
            address = s.getsockname()[0]
        ip = ipaddress.ip_address(address)
    except (OSError, ValueError):
        return None
    return None if ip.is_loopback or ip.is_unspecified else str(ip)


def on_host(url: str, host: str) -> str:
    """``url`` with its host replaced (port, path and query kept)."""
    parts = urlsplit(url)
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def share_advice(url: str, server_address: str | None, lan: str | None) -> tuple[str | None, str | None]:
    """What the share dialog says about a link's reach: ``(warning or None, a LAN link phones can open or None)``.

    Parameters
    ----------
    url : str
        The link as written (from the browser's address or ``PEERSTATS_PUBLIC_URL``).
    server_address : str or None
        The address the server listens on (Streamlit's ``server.address``; empty or ``None``: every interface).
    lan : str or None
        This machine's LAN address (:func:`lan_address`).
    """
    if not url.startswith(("http://", "https://")) or not is_loopback(url):
        return None, None
    listens_everywhere = not server_address or server_address in ("0.0.0.0", "::")
    warning = ("This link points at this computer only (" + (urlsplit(url).hostname or "") + "): phones and other "
               "computers in the room cannot open it, nor its QR code.")
    if listens_everywhere and lan:
        return warning + " The app also listens on the network: share the address below instead.", on_host(url, lan)
    how = (" To share it, serve the app on the network: stop it and start it again with "
           "`PEERSTATS_ADDRESS=0.0.0.0 bash run.sh app` (anyone on the network can then open it), or put it behind "
           "the proxy in `deploy/` (`bash deploy/run.sh`), or set `PEERSTATS_PUBLIC_URL` to the address people "
           "should use.")
    if lan:
        how += f" This computer's address on the network is {lan}."
    return warning + how, None


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
COLUMN_KEY_PREFIX = "f_col_"  # widget key of an upload's own column filter: f_col_<column>
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
    for column, values in f.columns:  # an upload's own columns (drawn by the sidebar when the upload has them)
        out[COLUMN_KEY_PREFIX + column] = list(values)
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
        moderator=str(moderator) if moderator else DEFAULT.moderator,  # a codebook moderator or an upload's column
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
