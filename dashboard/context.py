"""The per-rerun context every page reads: evidence, view state, the selection and its pooled result.

``app.py`` builds it once per rerun, after the sidebar, and stores it for the page script; pages call
:func:`current`. Building it is pure bookkeeping around :func:`peerstats.select.select` and
:func:`peerstats.meta.pool` (a few milliseconds for the bundled data).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard.view import ViewState
from peerstats.errors import ConvergenceError, NoStudiesError
from peerstats.meta import PoolResult, pool
from peerstats.select import Selection

_KEY = "_context"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Context:
    """What the current view shows.

    Attributes
    ----------
    evidence : peerstats.data.Evidence
    view : ViewState
    outcomes : dict
        ``outcome -> (domain, label, beneficial direction)`` for the evidence in use.
    selection : Selection
        ``select(evidence, view.filters, view.outcome)``.
    pooled : PoolResult or None
        ``pool(selection.yi, selection.vi, view.method, view.test)``; ``None`` when k = 0 or the estimator failed.
    pool_error : str or None
        Why ``pooled`` is ``None`` when k > 0 (e.g. REML did not converge), in words.
    source : str
        "bundled" or "upload".
    """

    evidence: object
    view: ViewState
    outcomes: dict
    selection: Selection
    pooled: PoolResult | None
    pool_error: str | None
    source: str = "bundled"

    @property
    def outcome_label(self) -> str:
        return self.outcomes.get(self.view.outcome, ("", self.view.outcome, 1))[1]

    @property
    def beneficial(self) -> int:
        return int(self.outcomes.get(self.view.outcome, ("", "", 1))[2])

    @property
    def imputation(self):
        """:func:`imputation_for` of this view (``None`` when it pools no reconstructed row)."""
        if self.pooled is None or not self.selection.provenance_counts.get("reconstructed", 0):
            return None
        return imputation_for(self.evidence, self.view.filters, self.view.outcome, self.view.method, self.view.test)

    @property
    def favours(self) -> tuple[str, str]:
        """(left, right) of the forest plot's favours strip for this outcome's beneficial direction."""
        s = self.scale
        name = s.intervention
        if s.direction_known:  # the SMD scale: an upload's own intervention (dashboard.text.for_data)
            from dashboard.byor import intervention

            name = intervention(self) or s.intervention
        return (s.control, name) if self.beneficial >= 0 else (name, s.control)

    @property
    def scale(self):
        """The outcome's effect measure and words (:func:`scale_of`)."""
        return scale_of(self.evidence, self.view.outcome)

    @property
    def sides(self) -> tuple[str, str]:
        """The words under a forest plot's axis, left and right of no effect: "favours control" / "favours peer
        support" where the beneficial direction is known, else "lower with the intervention" / "higher with ..."."""
        s = self.scale
        if s.direction_known:
            return tuple(f"favours {w}" for w in self.favours)
        return (f"lower with {s.intervention}", f"higher with {s.intervention}")


def scale_of(evidence, outcome: str):
    """:class:`dashboard.text.Scale` of one outcome: the SMD scale (peer support vs control) unless the evidence
    carries a ``measure`` per row (a RevMan data file): then that measure, "the intervention" vs "control", and no
    beneficial direction (the file does not say whether more events are good or bad)."""
    from dashboard.text import SMD_SCALE, Scale

    eff = evidence.effects
    if "measure" not in eff:
        return SMD_SCALE
    rows = eff.loc[eff["outcome"].astype(str) == str(outcome), "measure"].astype(str)
    rows = rows[rows.str.len() > 0]
    return Scale(measure=rows.iloc[0] if len(rows) else "SMD", intervention="the intervention", control="control",
                 direction_known=False)


def safe_pool(selection: Selection, method: str, test: str) -> tuple[PoolResult | None, str | None]:
    """``pool`` that never raises: k = 0 and failed estimators come back as ``(None, reason)``."""
    try:
        return pool(selection.yi, selection.vi, method=method, test=test), None
    except NoStudiesError:
        return None, "No trials match the current filters."
    except ConvergenceError as exc:
        return None, f"The {method} estimator did not converge ({exc}). Try DerSimonian-Laird."
    except ValueError as exc:
        return None, f"These rows cannot be pooled: {exc}"


def pooled_view(evidence, filters, outcome: str, method: str, test: str):
    """``(selection, pooled, error)`` of one view: :func:`safe_pool` of its selection, both memoised across reruns
    and sessions (:mod:`dashboard.memo`)."""
    from dashboard import memo

    selection = memo.select(evidence, filters, outcome)
    pooled, error = memo.pool(evidence, filters, outcome, method, test, lambda: safe_pool(selection, method, test))
    return selection, pooled, error


def imputation_for(evidence, filters, outcome: str, method: str = "DL", test: str = "z"):
    """:func:`peerstats.imputation.for_view` of one view, memoised across reruns and sessions (:func:`memo.call`):
    the range of the pooled estimate over re-assignments of the imputed values, or ``None`` when the view pools no
    reconstructed row. Never raises: a failure is logged and gives ``None`` (the headline then says nothing)."""
    import logging

    from dashboard import memo
    from peerstats.imputation import for_view

    def compute():
        return for_view(evidence, filters, outcome, method, test, selection=memo.select(evidence, filters, outcome))

    try:
        return memo.RESULTS.get_or_compute(("imputation", memo.token(evidence), filters, outcome, method, test),
                                           compute)
    except Exception:  # noqa: BLE001 - an extra line of the headline must never break it
        logging.getLogger("peerstats.app").exception("imputation range of %s failed", outcome)
        return None


def build(evidence, view: ViewState, outcomes: dict, source: str) -> Context:
    """The context of this rerun: the view's selection and pooled result (:func:`pooled_view`)."""
    selection, pooled, error = pooled_view(evidence, view.filters, view.outcome, view.method, view.test)
    ctx = Context(evidence=evidence, view=view, outcomes=outcomes, selection=selection, pooled=pooled,
                  pool_error=error if selection.k else None, source=source)
    st.session_state[_KEY] = ctx
    return ctx


#: True while :func:`dashboard.shell.main` runs in this thread (set and reset by ``main`` itself). A plain flag
#: instead of looking for ``main`` on the call stack: the script thread of each session has its own context, and the
#: page ``main`` runs inside sees True, a page file Streamlit runs on its own sees the default, False.
IN_SHELL: ContextVar[bool] = ContextVar("peerstats_in_shell", default=False)


def current() -> Context:
    """The context :func:`dashboard.shell.main` built in this rerun.

    Why the check: the pages live in ``pages/``, and Streamlit runs a file of an app's ``pages/`` folder *on its own*
    (its legacy multipage mode) until ``st.navigation`` has been called once in the process, i.e. on a fresh
    server's first request for a page URL and in every AppTest run. Then there is no shell around the page
    (``IN_SHELL`` is False): run the shell now, which draws the sidebar and runs this page inside it, and stop the
    bare run.
    """
    if not IN_SHELL.get():
        from dashboard import shell

        shell.main()
        st.stop()
    return st.session_state[_KEY]


def estimator_table(selection: Selection, methods=("DL", "REML", "PM", "FE"), tests=("z", "knha")):
    """The same rows pooled under every estimator and test: one row per (method, test), failures in ``note``."""
    import pandas as pd

    rows = []
    for method in methods:
        for test in tests:
            res, err = safe_pool(selection, method, test)
            rows.append({
                "method": method, "test": test,
                "estimate": res.estimate if res else float("nan"),
                "ci_low": res.ci_low if res else float("nan"),
                "ci_high": res.ci_high if res else float("nan"),
                "pval": res.pval if res else float("nan"),
                "tau2": res.tau2 if res else float("nan"),
                "i2": res.i2 if res else float("nan"),
                "note": err or "",
            })
    return pd.DataFrame(rows)
