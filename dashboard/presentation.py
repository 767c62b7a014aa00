"""Presentation mode (``?present=1``) and sharing a view (copy link, QR code) -- issue 12.

Presentation mode replaces the page with one slide: the view's outcome in large type, its forest plot revealed trial
by trial (buttons, and the left/right arrow keys), the pooled result once every trial is shown, and a *deck*: an
ordered list of views to step through (the workshop presets, then the views the presenter saved with "Add this view
to the deck"; up/down arrow keys). The sidebar starts collapsed and the page links are hidden.

Every page also gets a "Share this view" button that opens a dialog: the view's link with a copy button, and its QR
code (drawn by ``segno``, pure Python) for a room to scan. A dialog, not a popover, so the keyboard can enter it.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import streamlit as st

from dashboard import state as S
from dashboard import view as V

DECK_KEY = "_deck_saved"  # list[(name, ViewState)] the presenter added
POS_KEY = "_deck_pos"  # index into deck()
REVEAL_KEY = "_reveal"  # trials shown of the current slide's forest plot
PRESENT_SCALE = 1.5  # the slide's forest plot: fonts, rows and columns 1.5 times their size where the box has room
#: Pixels a 1024x768 projector has for the slide's forest plot from its first row (the column headers) down to its
#: pooled row: 768 less the slide's chrome (Streamlit's header bar and top padding as reduced by :data:`SLIDE_CSS`,
#: the outcome, the slide's name, the buttons: ~230 px) and the chart's title and subtitle (~60 px), with a margin.
SLIDE_ROWS_PX = 440.0
#: The smallest row height and font scale of a slide: rows of 15 px hold 12 px text (the chart kit's floor).
SLIDE_MIN_ROW_PX, SLIDE_MIN_SCALE = 15.0, 12 / 14
#: Presentation mode's page: less padding above the slide, a smaller title and subtitle (the slide's chart is the
#: content), and no sideways scroll (the arrow keys step through trials; with the last trial shown "Next trial" is
#: disabled and the browser would otherwise scroll the page by the key).
SLIDE_CSS = ("<style>"
             "[data-testid='stMainBlockContainer'] { padding-top: 3.5rem !important; padding-bottom: 2rem !important; }"
             "[data-testid='stMain'] h1 { font-size: 1.75rem !important; padding: 0 !important; }"
             "[data-testid='stMain'] h2 { font-size: 1.15rem !important; padding: 0 !important; }"
             "html, body, [data-testid='stMain'], [data-testid='stAppViewContainer'] { overflow-x: clip !important; }"
             "</style>")


def slide_layout(k: int) -> tuple[float, float]:
    """(font scale, row height in px) of a slide's forest plot of ``k`` trials: rows of ``ROW_PX * PRESENT_SCALE``
    where the rows down to the pooled one fit :data:`SLIDE_ROWS_PX`, else as many pixels as fit (at least
    :data:`SLIDE_MIN_ROW_PX`), with fonts scaled as the rows (``row / ROW_PX``, from :data:`SLIDE_MIN_SCALE` to
    ``PRESENT_SCALE``).

    The rows from the top of the plot to the bottom of the pooled diamond are ``k + 2.4`` (the forest's y domain
    starts 1.3 rows above the first trial; the pooled row is at ``k + 0.6``, its diamond 0.4 rows tall each way, and a
    little room below). With 17 trials that is 22.7 px a row at scale 0.95, the pooled row on a 768 px screen; up to
    26 trials keep it there at the 15 px floor.
    """
    from dashboard.charts.base import ROW_PX

    row = min(ROW_PX * PRESENT_SCALE, max(SLIDE_MIN_ROW_PX, SLIDE_ROWS_PX / (max(int(k), 1) + 2.4)))
    return min(PRESENT_SCALE, max(SLIDE_MIN_SCALE, row / ROW_PX)), row


# ---------------------------------------------------------------------------------------------------- sharing
@lru_cache(maxsize=64)
def qr_png(url: str, scale: int = 5) -> bytes:
    """PNG of the QR code of ``url`` (error correction M, 4-module quiet zone), memoised by URL."""
    import io

    import segno

    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


SHARE_KEY = "share_open"  # the "Share this view" button that opens the dialog
#: The dialog's close button (Streamlit draws it 18 x 18 px) as a 24 x 24 px target (WCAG 2.2 2.5.8). Style only.
DIALOG_CSS = ("<style>[data-testid='stDialog'] [role='dialog'] > button[aria-label='Close'] "
              "{ min-width: 24px !important; min-height: 24px !important; }</style>")


def share(view: V.ViewState) -> None:
    """The "Share this view" button. It opens :func:`_share_dialog`, a modal dialog (``st.dialog``): it takes the
    keyboard's focus, Tab moves through its contents (the link, its copy button, *Present this view*) and stays inside,
    and Escape closes it and gives the focus back to the button. (An ``st.popover`` drew its body at the end of the
    document, where Tab from its button never went.)"""
    if st.button("Share this view", icon=":material/share:", help="Copy link or QR code of exactly this view",
                 key=SHARE_KEY):
        _share_dialog(view)


@st.dialog("Share this view", width="small")
def _share_dialog(view: V.ViewState) -> None:
    """The link (``st.code``: a focusable box with a copy button) and its QR code, both from
    :func:`dashboard.state.view_url` (the one link writer), with a warning when the link works on this computer only
    (and the LAN link instead, when the server listens on the network)."""
    st.html(DIALOG_CSS)  # style only: takes no space
    url = S.view_url(view)
    warning, lan_url = S.share_notice(url)
    if warning:
        st.warning(warning, icon=":material/wifi_off:")
    if _bundled_format_upload():
        st.warning("This view shows your upload in the bundled data's format, which a link cannot carry: whoever "
                   "opens this link (you too, after a reload) sees the bundled evidence base instead. Import the "
                   "file as your own studies on the Data page to share it.", icon=":material/link_off:")
    shown = lan_url or url
    st.caption("Copy link (the button at the right of the box copies it; Tab reaches it):")
    st.code(shown, language=None, wrap_lines=True)
    if shown.startswith(("http://", "https://")):
        st.image(qr_png(shown), caption="Scan to open this view" + (" (this computer only)" if shown == url
                                                                    and warning else ""), width=220,
                 alt="QR code of the link above")
    st.link_button("Present this view", S.presentation_url(view), icon=":material/slideshow:")


def _bundled_format_upload() -> bool:
    """True when the data in use are an upload in the bundled schema (held by this session only, not in the link)."""
    from dashboard import byor, loader

    return loader.using_upload() and byor.current_result() is None


# ---------------------------------------------------------------------------------------------------- the deck
def deck(view: V.ViewState) -> list[tuple[str, V.ViewState]]:
    """The slides: the workshop presets applied to the current outcome and page, then the saved views, in order."""
    slides = [(label, transform(replace(view, page="explore"))) for label, (_key, transform) in V.PRESETS.items()]
    return slides + list(st.session_state.get(DECK_KEY, []))


def _go(view: V.ViewState, step: int) -> None:
    """Button callback: move ``step`` slides and put that slide's view into the sidebar's widget keys."""
    slides = deck(view)
    pos = (st.session_state.get(POS_KEY, -1) + step) % len(slides)
    st.session_state[POS_KEY] = pos
    st.session_state[REVEAL_KEY] = 1
    for key, value in V.to_widgets(slides[pos][1]).items():
        st.session_state[key] = value


def _reveal(step: int, k: int) -> None:
    st.session_state[REVEAL_KEY] = max(1, min(k, st.session_state.get(REVEAL_KEY, 1) + step))


def _save(view: V.ViewState, name: str) -> None:
    saved = list(st.session_state.get(DECK_KEY, []))
    saved.append((name, view))
    st.session_state[DECK_KEY] = saved


def render(ctx) -> None:
    """One slide of the current view (see the module docstring)."""
    from dashboard import charts, decision, memo, text
    from dashboard import components as ui

    sel = ctx.selection
    slides = deck(ctx.view)
    pos = st.session_state.get(POS_KEY, -1)
    name = slides[pos][0] if 0 <= pos < len(slides) else "Current view"
    k = sel.k
    shown = max(1, min(k, st.session_state.get(REVEAL_KEY, 1))) if k else 0
    if st.session_state.get("_reveal_view") != ctx.view:  # another view (sidebar, deck): start the reveal again
        st.session_state["_reveal_view"] = ctx.view
        shown = 1 if k else 0
        st.session_state[REVEAL_KEY] = shown

    st.html(SLIDE_CSS)  # style only: takes no space, as shell.A11Y_CSS
    st.markdown(f"# {ctx.outcome_label}")
    st.markdown(f"## {name} · slide {pos + 1 if pos >= 0 else '–'} of {len(slides)}")
    with st.container(horizontal=True, gap="small", key="present_controls", vertical_alignment="center"):
        st.button("Previous view", icon=":material/skip_previous:", on_click=_go, args=(ctx.view, -1),
                  shortcut="up", key="present_prev_view")
        st.button("Next view", icon=":material/skip_next:", on_click=_go, args=(ctx.view, 1), shortcut="down",
                  key="present_next_view", type="primary")
        st.button("Previous trial", icon=":material/chevron_left:", on_click=_reveal, args=(-1, k), shortcut="left",
                  key="present_prev_trial", disabled=shown <= 1)
        st.button("Next trial", icon=":material/chevron_right:", on_click=_reveal, args=(1, k), shortcut="right",
                  key="present_next_trial", disabled=shown >= k)
        st.button("Show all", icon=":material/done_all:", on_click=_reveal, args=(k, k), key="present_all",
                  disabled=shown >= k)
        if k:  # beside the buttons, not a line of its own: the slide's rows need the height
            st.markdown(f"**Trial {shown} of {k} shown**" + ("" if shown < k else " · pooled result below"))
    if k == 0:
        st.info("No trials match this view's filters for this outcome.")
        return
    frame = ui.chart_frame(sel.effects).iloc[:shown].copy()
    if ctx.pooled is not None and len(ctx.pooled.weights) == k:  # each trial's weight in the full pool, not of the few
        frame["weight"] = ctx.pooled.weights[:shown]
    pooled = ctx.pooled if shown == k else None  # the diamond appears once every trial is on screen
    slide_scale, row_px = slide_layout(k)  # the rows of every reveal step as tall as the full slide's
    with ui.guard("the forest plot"):
        fig = memo.chart(charts.forest, frame, pooled, ctx.outcome_label, favours=ctx.favours,
                         effect=ctx.scale, sides=ctx.sides,
                         method_label=f"Pooled ({ctx.view.method})", scale=slide_scale, row_px=row_px)
        st.vega_lite_chart(dict(fig.spec), width="stretch", theme=None, key="present_forest")
        st.caption(text.forest_caption(frame["yi"], pooled, ctx.scale, of=k))  # its text alternative (issue 22)
    if shown == k:
        ui.headline(ctx, key="present_headline", certainty=decision.certainty(ctx))  # with its caveat
    with st.container(horizontal=True, gap="small"):
        label = f"{ctx.outcome_label} · {ui.filters_in_words(ctx)}"
        st.button("Add this view to the deck", icon=":material/playlist_add:", on_click=_save,
                  args=(ctx.view, label), key="present_save")
        st.link_button("Leave presentation mode", S.view_url(ctx.view, present=False), icon=":material/close:")
