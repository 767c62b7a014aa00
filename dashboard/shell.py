"""The app shell: page config, URL state, shared sidebar, navigation, then the page.

``app.py`` calls :func:`main`. The pages live in ``pages/``, and Streamlit treats an app with a ``pages/`` folder as a
"version 1" multipage app until ``st.navigation`` has been called once in the process (and always in AppTest): such a
run executes the page file alone, without ``app.py``. :func:`dashboard.context.current` notices that (``context.IN_SHELL``,
set while :func:`main` runs, is False), runs :func:`main` itself and stops the bare run, so every page always gets
the shared sidebar and the URL state.
"""

from __future__ import annotations

import logging

import streamlit as st

from dashboard import context, loader, memo, presentation, sidebar
from dashboard import state as S
from dashboard import view as V
from peerstats.errors import DataValidationError

log = logging.getLogger("peerstats.app")

#: Bundled favicon (no request leaves the machine), relative to the repository root.
FAVICON = "dashboard/static/favicon.png"
#: Page key -> (file relative to the repository root, icon). Titles and url paths come from dashboard.view.PAGES.
FILES = {
    "explore": ("pages/explore.py", ":material/forest:"),
    "subgroups": ("pages/subgroups.py", ":material/call_split:"),
    "sensitivity": ("pages/sensitivity.py", ":material/tune:"),
    "small-study-effects": ("pages/small-study-effects.py", ":material/filter_list:"),
    "risk-of-bias": ("pages/risk-of-bias.py", ":material/traffic:"),
    "multiverse": ("pages/multiverse.py", ":material/scatter_plot:"),
    "reproduce": ("pages/reproduce.py", ":material/fact_check:"),
    "data": ("pages/data.py", ":material/table:"),
    "about": ("pages/about.py", ":material/info:"),
    "summary": ("pages/summary.py", ":material/summarize:"),
}


#: Elements a rerun has not redrawn yet are dimmed in one step instead of Streamlit's fade (``opacity 1s ease-in
#: 0.5s``): the same 0.5 s delay, so fast reruns do not flicker, then dimmed at once. Measured in Chromium (one page
#: waiting 3 s for a rerun): 150-170 ms of CPU per second with the fade, 65-85 ms without; twenty pages waiting at
#: once (benchmarks/bench_load.py) spent most of the two cores fading. A style-only ``st.html`` takes no space; the
#: CSP allows inline styles (Streamlit's own need them).
STALE_WITHOUT_FADE = ("<style>[data-testid='stElementContainer'], [data-testid='stVerticalBlock'], "
                      "[data-testid='stHorizontalBlock'], [data-testid='stColumn'] "
                      "{ transition: opacity 0s linear 0.5s !important; }</style>")

#: Headline metric boxes (``components.headline``'s ``<key>_box`` containers): their width decides the metric font.
_HEADLINE_BOXES = ("[class*='headline_box'], .st-key-sens_before_box, .st-key-sens_after_box")


def _sel(containers: str, inner: str) -> str:
    """``inner`` inside each of the comma-separated ``containers`` selectors."""
    return ", ".join(f"{c.strip()} {inner}" for c in containers.split(","))


#: Accessibility and narrow-screen fixes to Streamlit's own styles (issues 21 and 22; docs/accessibility.md):
#:
#: - Metric values wrap at spaces instead of being cut with an ellipsis ("95% CI 0.11 to 0…" at 1024x768 with the
#:   sidebar open). Their font follows the metric's own width (a CSS size container: 22% of it, 1.25-2.25 rem), so a
#:   one-word value such as "−0.49" in a fifth of the page fits; inside a headline box all six numbers share one size
#:   that steps down with the box's width, so "−0.08 to 0.48" stays on one line in a third of a 540 px box.
#: - Block quotes (the About page's citation) are drawn at full opacity: Streamlit's 0.6 made their links 2.5:1.
#: - Display formulas (KaTeX) break at their top-level relations and shrink a little on a phone, instead of being a
#:   scrolling box that a keyboard cannot reach (axe: scrollable-region-focusable; overflow-x: auto made the
#:   few pixels of a tall glyph below the box a vertical scroll region too).
#: - Section headings are ``h2`` (after the page's ``h1``: axe heading-order), drawn at the former ``h3`` size.
#: - A keyboard focus ring on every link, button and widget that Streamlit leaves without one.
A11Y_CSS = ("<style>"
            "[data-testid='stMetricValue'] > div, [data-testid='stMetricValue'] p { white-space: normal !important; overflow: visible !important; "
            "text-overflow: clip !important; overflow-wrap: normal; }"
            "[data-testid='stMetric'] { container: metric / inline-size; }"
            "[data-testid='stMetricValue'] { font-size: clamp(1.25rem, 22cqi, 2.25rem) !important; }"
            f"{_HEADLINE_BOXES} {{ container: headline / inline-size; }}"
            f"{_sel(_HEADLINE_BOXES, '[data-testid=stMetricValue]')} {{ font-size: 2.25rem !important; }}"
            + "".join(f"@container headline (max-width: {w}px) {{ {_sel(_HEADLINE_BOXES, '[data-testid=stMetricValue]')} "
                      f"{{ font-size: {size} !important; }} }}"
                      for w, size in ((760, "1.9rem"), (600, "1.55rem"), (440, "1.35rem")))
            + "[data-testid='stMarkdownContainer'] blockquote { opacity: 1 !important; color: #3d3d3d; }"
            ".katex-display > .katex, .katex-display > .katex > .katex-html { white-space: normal !important; }"
            ".katex-display { overflow: visible !important; }"
            "@media (max-width: 640px) { .katex-display > .katex { font-size: 0.95em !important; } }"
            "[data-testid='stMain'] h2 { font-size: 1.75rem; }"
            "a:focus-visible, button:focus-visible, [role='button']:focus-visible, [role='tab']:focus-visible, "
            "summary:focus-visible, input:focus-visible, textarea:focus-visible "
            "{ outline: 2px solid #0072B2 !important; outline-offset: 2px; }"
            "</style>")


def main() -> None:
    """Draw the shared frame of every page and run the page the URL asks for (``context.IN_SHELL`` is True
    meanwhile: see :func:`dashboard.context.current`)."""
    token = context.IN_SHELL.set(True)
    try:
        _main()
    finally:
        context.IN_SHELL.reset(token)


def _main() -> None:
    # The favicon is a bundled file: a material-symbol page_icon is fetched from fonts.gstatic.com on every page.
    st.set_page_config(page_title="Peer support evidence · peerstats", page_icon=str(context.ROOT / FAVICON),
                       layout="wide",  # auto: collapsed on a phone; presentation mode: collapsed
                       initial_sidebar_state="collapsed" if S.presenting() else "auto")
    st.html(STALE_WITHOUT_FADE + A11Y_CSS)
    root = context.ROOT
    pages = {key: st.Page(str(root / path), title=V.PAGES[key], icon=icon, url_path=key,
                          default=(key == "explore"))
             for key, (path, icon) in FILES.items()}
    # The page links are drawn by _page_links() below, with the view's query: st.navigation's own sidebar links carry
    # none, so "open in a new tab" or a copied link lost the filters.
    # The only router of a running process. A process's first run is Streamlit's (1.67): it sees `pages/` beside
    # app.py and routes that run over the file names (its legacy mode, on until a script calls st.navigation; AppTest
    # resets it on every run), and no option turns that off. So the page files are named as their url paths
    # (pages/small-study-effects.py, pages/risk-of-bias.py): the legacy names then match ours, and a fresh process's
    # first /small-study-effects no longer shows "Page not found" over the right page (it did with
    # small_study_effects.py).
    current = st.navigation(list(pages.values()), position="hidden")
    page = next((k for k, p in pages.items() if p.url_path == current.url_path), "explore")

    from dashboard import byor

    damaged = S.damaged_fingerprint()
    if damaged:  # a data= value that is no fingerprint: say so, never show the bundled numbers instead
        st.warning(f"This link names uploaded data, but its fingerprint `{damaged[:40]}` is damaged: a fingerprint is "
                   f"16 characters, digits and the letters a to f, and this one is {len(damaged)} characters"
                   + ("" if len(damaged) != 16 else " with others among them")
                   + ". The link was probably cut or changed when it was copied: ask for it again, or look at the "
                   "bundled evidence base.", icon=":material/link_off:")
        if st.button("Show the bundled evidence base instead", key="byor_damaged_bundled"):
            S.forget_damaged_fingerprint()
            S.set_data_fingerprint(None)
            st.rerun()
        st.stop()
    missing = byor.restore()
    if missing:  # a link to uploaded data this server does not hold: say so, never show the bundled numbers instead
        st.warning(f"This link shows uploaded data (fingerprint `{missing}`) that this server does not hold: uploads "
                   "are kept only while the server runs (in its memory, or a deployment's private upload folder), "
                   "and it has restarted or dropped them since. Upload the file again on the Data page, or look at "
                   "the bundled evidence base.")
        if st.button("Show the bundled evidence base instead", key="byor_missing_bundled"):
            S.set_data_fingerprint(None)
            st.rerun()
        st.stop()

    try:
        evidence = loader.current_evidence()
    except DataValidationError as exc:
        st.error("The bundled data did not pass validation, so the app cannot start. Problems, row by row:")
        from dashboard.components import problems_table

        problems_table(exc.problems, key="bundled_problems")
        st.stop()

    result = byor.current_result()
    if result is not None:  # an imported file's own outcomes only (the paper's labels where the names are known)
        from peerstats.data import OUTCOMES

        present = set(evidence.effects["outcome"].astype(str))
        outcomes = memo.outcome_labels(evidence, {k: v for k, v in OUTCOMES.items() if k in present})
        S.set_data_fingerprint(result.fingerprint)
        names = result.outcomes or {}
        outcomes = {k: (d, names[k][1] if k in names and k not in OUTCOMES else lab, b)
                    for k, (d, lab, b) in outcomes.items()}
    elif loader.using_upload():  # a bundled-schema upload: the paper's outcomes, as before (not in the URL)
        S.set_data_fingerprint(None)
        outcomes = memo.outcome_labels(evidence)
    else:
        S.set_data_fingerprint(None)
        outcomes = memo.outcome_labels(evidence)
    moderators, columns = byor.link_vocabulary(result)  # an upload's own moderators and column filters
    S.init_session(outcomes=outcomes, trial_ids=evidence.trials["trial_id"].astype(str), moderators=moderators,
                   columns=columns)
    S.keep_moderator_within(moderators)
    # st.navigation routes by the path; a link's ?page= only matters without one (AppTest, query-only links):
    # why it cannot be st.navigation's own choice is in S.follow_link's docstring.
    S.follow_link(pages, page)

    links = None if S.presenting() else st.sidebar.container(key="page_links")  # filled once the view is known
    view = sidebar.render(evidence, outcomes, page)
    S.write_url(view)  # also canonicalises the address bar
    if links is not None:
        _page_links(links, pages, view)
    asked = st.session_state.pop(S.URL_UNKNOWN, None)
    if asked is not None:  # the proxy redirected a nested path that is no page (deploy/nginx.conf.template)
        st.warning(V.unknown_notice(asked, V.PAGES[page]), icon=":material/link_off:")
    dropped = st.session_state.pop(S.URL_DROPPED, None)
    repeated = st.session_state.pop(S.URL_REPEATED, None)
    if dropped or repeated:
        said = []
        if dropped:
            said.append("Some settings in the link were not understood and were left out: "
                        f"{', '.join(f'`{d}`' for d in dropped)}."
                        + (" (Filters on an upload's own columns need that upload, with those columns and values.)"
                           if any(d.startswith(V.COLUMN_PREFIX) for d in dropped) else ""))
        said.extend(repeated or [])
        st.warning(" ".join(said) + " The address bar now shows the view as it is.", icon=":material/link_off:")
    ctx = context.build(evidence, view, outcomes, source="upload" if loader.using_upload() else "bundled")

    try:
        if S.presenting():  # issue 12: one slide instead of the page
            presentation.render(ctx)
            return
        with st.container(horizontal=True, horizontal_alignment="right", key="share_bar"):
            presentation.share(view)
        current.run()
    except Exception:  # noqa: BLE001 - the last line of defence: never a traceback in the browser
        log.exception("error while rendering page %s", page)
        st.error("Something went wrong while drawing this page. The details are in the server log; the other pages "
                 "and the sidebar still work.")


def _page_links(box, pages: dict, view: V.ViewState) -> None:
    """One link per page at the top of the sidebar, each carrying the current view (filters, outcome, estimator,
    upload fingerprint, GRADE overrides) in its query, so a link opened in a new tab or copied shows the same view."""
    from dataclasses import replace

    with box:
        for key, page in pages.items():
            st.page_link(page, label=V.PAGES[key], icon=FILES[key][1],
                         query_params=S.url_params(replace(view, page=key)))
        st.divider()
