"""The Streamlit glue of the view (:mod:`dashboard.view`): the only module that reads or writes ``st.query_params``.

It decodes the opened link into the sidebar's widget keys (:func:`init_session`), keeps the session settings
(:func:`session_value` / :func:`set_session_value`: the upload's fingerprint, GRADE overrides, presentation mode,
ICEMAN answers, the GRADE threshold), completes a view with them (:func:`complete`) and hands it to the one link
writer, :func:`dashboard.view.link` / :func:`dashboard.view.encode`: the address bar and the sidebar's page links
(:func:`write_url`, :func:`url_params`), "Share this view", its QR code, the presentation link, "Leave presentation
mode", the report's and scripts' URL, "open this specification" (:func:`view_url`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dashboard import view as V
from peerstats.select import MODERATORS

_URL_READ = "_url_read"
_URL_PAGE = "_url_page"
URL_DROPPED = "_url_dropped"  # what the opened link asked for that was not understood (shown once by the shell)
URL_REPEATED = "_url_repeated"  # sentences on the keys the opened link repeats (shown once by the shell)
URL_UNKNOWN = "_url_unknown"  # the unknown= path the proxy redirected from (dashboard.view.UNKNOWN_PARAM; shown once)
DATA_DAMAGED = "_data_damaged"  # a data= value that is no fingerprint (the shell says so and stops)
PUBLIC_URL_ENV = "PEERSTATS_PUBLIC_URL"
MODERATOR_MEMORY = "_moderator"  # the moderator of the view, kept outside the page widget (see remember_moderator)


def _query() -> dict[str, list[str]]:
    """The URL's query as key -> every value given (a repeated key keeps them all)."""
    import streamlit as st

    return {key: list(st.query_params.get_all(key)) for key in st.query_params}


def _plain(query: Mapping[str, list[str]]) -> dict[str, object]:
    """One value per key (a string), except the keys given several times (a list)."""
    return {k: (v[0] if len(v) == 1 else list(v)) for k, v in query.items()}


def init_session(outcomes: Iterable[str], trial_ids: Iterable[str], moderators: Iterable[str] = (),
                 columns: Mapping[str, Iterable[str]] | None = None) -> None:
    """First run of a browser session: decode the URL and seed the widget keys from it. Later runs: do nothing.

    ``moderators`` and ``columns``: an upload's categorical columns (moderators) and its filterable columns with their
    values, so a link to an upload keeps its own filters and moderator (``None``/empty for the bundled data).
    The page named in the query (if any) is kept for :func:`follow_link`.
    """
    import streamlit as st

    if st.session_state.get(_URL_READ):
        return
    params = _plain(_query())
    asked = params.pop(V.UNKNOWN_PARAM, None)  # not a setting of the view: said once, then dropped from the URL
    view = V.decode(params, outcomes=outcomes, trial_ids=trial_ids, moderators=moderators,
                    columns=columns if columns is not None else {})
    for key, value in V.to_widgets(view).items():
        st.session_state[key] = value
    st.session_state[MODERATOR_MEMORY] = view.moderator
    st.session_state["_view"] = view
    st.session_state[_URL_PAGE] = view.page if "page" in params else None
    st.session_state[URL_DROPPED] = V.dropped_params(params, view)
    st.session_state[URL_REPEATED] = V.repeated_params(params)
    st.session_state[URL_UNKNOWN] = None if asked is None else str(asked[-1] if isinstance(asked, list) else asked)
    st.session_state[_URL_READ] = True


def remember_moderator() -> None:
    """``on_change`` of the Subgroups page's moderator widget: the view's moderator lives outside the widget, because
    Streamlit resets a widget that was not drawn in the previous run (another page) to its default."""
    import streamlit as st

    st.session_state[MODERATOR_MEMORY] = st.session_state[V.MODERATOR_KEY]


def moderator() -> str:
    """The view's moderator (URL on the first run, then the user's last choice on the Subgroups page)."""
    import streamlit as st

    return st.session_state.get(MODERATOR_MEMORY, st.session_state.get("_view", V.DEFAULT).moderator)


def keep_moderator_within(moderators: Iterable[str]) -> None:
    """Forget a remembered moderator the data in use do not offer (an upload's column, after switching back to the
    bundled data), so the link never names a moderator the page does not show."""
    import streamlit as st

    if moderator() not in set(MODERATORS) | set(moderators):
        st.session_state[MODERATOR_MEMORY] = V.DEFAULT.moderator


def session_value(key: str) -> str:
    """A session setting (:data:`~dashboard.view.SESSION_PARAMS`) as canonical text, ``""`` when not set: from the URL
    on the session's first call (the last value given, cleaned), then whatever :func:`set_session_value` said."""
    import streamlit as st

    param = V.SESSION_PARAMS[key]
    if param.session_key not in st.session_state:
        values = st.query_params.get_all(key)
        raw = values[-1] if values else ""
        st.session_state[param.session_key] = param.clean(raw) if raw else ""
        if key == V.DATA_PARAM and raw.strip() and not st.session_state[param.session_key]:
            st.session_state[DATA_DAMAGED] = raw
    return st.session_state[param.session_key]


def set_session_value(key: str, value: str) -> None:
    """Set a session setting (``""``: unset); every link written afterwards carries it."""
    import streamlit as st

    st.session_state[V.SESSION_PARAMS[key].session_key] = value or ""


def complete(view: V.ViewState) -> V.ViewState:
    """``view`` with this session's settings (:data:`~dashboard.view.SESSION_PARAMS`): the view on screen, as a link
    reproduces it."""
    return view.with_settings(**{key: session_value(key) for key in V.SESSION_PARAMS})


def url_params(view: V.ViewState) -> dict[str, str]:
    """The query of ``view`` as the address bar and the sidebar's page links carry it: :func:`~dashboard.view.encode`
    of :func:`complete` (filters, outcome, model, moderator, upload, GRADE overrides, presentation, ...)."""
    return V.encode(complete(view))


def write_url(view: V.ViewState) -> None:
    """Make the URL say ``view`` (only writes when it differs, so reruns stay cheap)."""
    import streamlit as st

    wanted = url_params(view)
    if st.query_params.to_dict() != wanted or any(len(v) > 1 for v in _query().values()):
        st.query_params.from_dict(wanted)
    st.session_state["_view"] = view


def follow_link(pages: Mapping[str, object], current: str) -> None:
    """If a freshly opened link named another page in its query (``?page=...``) than its path, switch to it once,
    keeping the query string.

    Why a second way to choose the page, besides ``st.navigation``'s path: every link the app writes in a browser names
    its page in the path (:func:`dashboard.view.link`), and there this does nothing. It is kept for links without the
    path: the query-only link :func:`view_url` writes when the server address is unknown, links written before
    pages had paths, and AppTest, which has no URL path (a test opens a page with ``?page=``). ``st.navigation``
    cannot take the page from the query: its inputs are the path and the default page, and making the linked page
    the session's default would break the home page's address (Streamlit serves the default page at the root only,
    so ``/explore`` would then be "page not found").
    """
    import streamlit as st

    wanted = st.session_state.pop(_URL_PAGE, None)
    if wanted and wanted != current and wanted in pages:
        st.switch_page(pages[wanted], query_params=st.query_params.to_dict())


def base_url() -> str:
    """The app's address for the links it writes: ``PEERSTATS_PUBLIC_URL`` when set (the address people should use,
    e.g. the deployment's public name), else the address the browser used (``st.context.url``), else ``""``."""
    import os

    import streamlit as st

    public = os.environ.get(PUBLIC_URL_ENV, "").strip()
    if public.startswith(("http://", "https://")):
        return public
    try:
        return st.context.url or ""
    except Exception:  # noqa: BLE001 - no browser context (AppTest, bare mode)
        return ""


def view_url(view: V.ViewState, *, present: bool | None = None) -> str:
    """The full link that reproduces ``view`` with this session's settings (:func:`~dashboard.view.link` of
    :func:`complete`): "Share this view" and its QR code, the report's and the scripts' URL, "open this specification".
    ``present``: True for the presentation link, False to leave presentation mode, ``None`` as the session is.

    Returns just the query string ("?..."), when the server address is unknown (e.g. in tests).
    """
    full = complete(view)
    if present is not None:
        full = full.with_settings(**{V.PRESENT_PARAM: "1" if present else ""})
    return V.link(full, base_url())


def presentation_url(view: V.ViewState) -> str:
    """The link to ``view`` in presentation mode (:func:`view_url` with ``present=1``)."""
    return view_url(view, present=True)


def share_notice(url: str) -> tuple[str | None, str | None]:
    """:func:`~dashboard.view.share_advice` for ``url`` on this server (its ``server.address``, this machine's LAN
    address)."""
    import streamlit as st

    if not V.is_loopback(url):
        return None, None
    try:
        address = st.get_option("server.address")
    except Exception:  # noqa: BLE001 - option unknown: assume the documented loopback default of run.sh
        address = "127.0.0.1"
    return V.share_advice(url, address, V.lan_address())


# --------------------------------------------------------------------------------------------------------------------
# The data in use (issue 9): ``data=<fingerprint>`` names an upload held by the server (dashboard.byor)
# --------------------------------------------------------------------------------------------------------------------
def data_fingerprint() -> str | None:
    """The fingerprint of the uploaded data this session shows: from the URL on the session's first call (16 hex
    digits; anything else is remembered as damaged: :func:`damaged_fingerprint`), then whatever
    :func:`set_data_fingerprint` said. ``None`` for the bundled data."""
    return session_value(V.DATA_PARAM) or None


def damaged_fingerprint() -> str | None:
    """The ``data=`` value of the opened link when it is not a fingerprint (cut or edited), else ``None``."""
    import streamlit as st

    session_value(V.DATA_PARAM)
    return st.session_state.get(DATA_DAMAGED) or None


def forget_damaged_fingerprint() -> None:
    """The user chose the bundled data instead of a damaged link's upload."""
    import streamlit as st

    st.session_state.pop(DATA_DAMAGED, None)


def set_data_fingerprint(fingerprint: str | None) -> None:
    """Say which upload is in use (``None``: the bundled data); :func:`write_url` puts it in the URL."""
    set_session_value(V.DATA_PARAM, fingerprint or "")


# --------------------------------------------------------------------------------------------------------------------
# Presentation mode (issue 12): ?present=1
# --------------------------------------------------------------------------------------------------------------------
def presenting() -> bool:
    """True when the session is in presentation mode (the link said ``present=1``); every link keeps the flag."""
    return session_value(V.PRESENT_PARAM) == "1"


# --------------------------------------------------------------------------------------------------------------------
# GRADE overrides (issue 10): ``grade=<outcome.domain.downgrade.reason~...>`` (peerstats.grade.encode_overrides)
# --------------------------------------------------------------------------------------------------------------------
def grade_overrides() -> str:
    """The user's GRADE overrides, encoded: from the URL on the session's first call (decoded and encoded again, so
    junk is dropped and the text is canonical), then whatever :func:`set_grade_overrides` said. ``""`` for none."""
    return session_value(V.GRADE_PARAM)


def set_grade_overrides(overrides: dict) -> None:
    """Keep ``{outcome: {domain: (downgrade, reason)}}`` for this session; :func:`write_url` puts it in the URL."""
    from peerstats.grade import encode_overrides

    set_session_value(V.GRADE_PARAM, encode_overrides(overrides))


# --------------------------------------------------------------------------------------------------------------------
# ICEMAN answers (issue 18) and the GRADE threshold (issue 18): session settings (SESSION_PARAMS), read and set here
# --------------------------------------------------------------------------------------------------------------------
def iceman_text() -> str:
    """The ICEMAN answers, encoded (``peerstats.iceman.encode_answers``); ``""`` for none."""
    return session_value(V.ICEMAN_PARAM)


def iceman_answers() -> dict:
    """``{(outcome, moderator): {item: code}}``: the user's ICEMAN answers in this session."""
    from peerstats.iceman import decode_answers

    return decode_answers(iceman_text())


def set_iceman_answers(answers: dict) -> None:
    """Keep the answers for this session; every link written afterwards carries them."""
    from peerstats.iceman import encode_answers

    set_session_value(V.ICEMAN_PARAM, encode_answers(answers))


def grade_threshold() -> tuple[str, float]:
    """``(threshold, mid)``: the Summary's certainty threshold (``"mid"`` or ``"any"``) and MID, from the link on
    the session's first call, then what :func:`set_grade_threshold` said."""
    from peerstats.grade import decode_threshold

    return decode_threshold(session_value(V.THRESHOLD_PARAM))


def set_grade_threshold(threshold: str, mid: float) -> None:
    """Keep the GRADE threshold and MID; every link written afterwards carries it (left out at the default)."""
    from peerstats.grade import encode_threshold

    set_session_value(V.THRESHOLD_PARAM, encode_threshold(threshold, mid))
