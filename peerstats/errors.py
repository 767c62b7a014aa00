"""Exceptions that the app can catch and show in words, and the engine's error policy.

Policy
------
- **Bad input raises** ``ValueError`` (or a subclass below) whose message names the argument and, for arrays, the
  offending index: non-finite ``yi``, ``vi`` not > 0, unknown ``method``/``test``, a ``level`` outside (0, 1).
- **Too few studies**: an *estimator* (a model, an interval, a diagnostic table: ``pool``, ``leave_one_out``,
  ``influence``, ``trim_and_fill``, ``meta_regression``, ``selection_model``...) raises; k = 0 is
  :class:`NoStudiesError`, more than 0 but fewer than the method needs is :class:`TooFewStudiesError` (carrying ``k``
  and ``needed``). A *test* or a *summary* that can honestly say "not computable" (``egger_test``, ``pet_peese``,
  ``s_value``) returns ``nan`` with a ``reason`` in words instead.
- **Non-convergence raises** :class:`ConvergenceError`: no partial (junk) estimate is returned.
- **Bad data files** raise :class:`DataValidationError` carrying every problem (or, for uploads, return the problems).

Every class derives from a standard exception, and :class:`TooFewStudiesError` from :class:`NoStudiesError`, so
callers that catch ``ValueError`` or ``NoStudiesError`` (as before TooFewStudiesError existed) still catch it.
"""

from __future__ import annotations


class NoStudiesError(ValueError):
    """Raised when an analysis is asked to pool k = 0 studies (and, through :class:`TooFewStudiesError`, its base
    class for "fewer studies than the method needs").

    The dashboard catches it and says "no trials match the current filters" instead of plotting nothing.
    """


class TooFewStudiesError(NoStudiesError):
    """Raised when an estimator gets some studies but fewer than it needs.

    Parameters
    ----------
    k : int
        The number of studies given.
    needed : int
        The smallest number the method works with.
    analysis : str
        What was asked for, in words ("leave-one-out", "a Baujat plot"...): the message starts with it.

    Examples
    --------
    >>> err = TooFewStudiesError(1, 2, "leave-one-out")
    >>> str(err), err.k, err.needed, isinstance(err, NoStudiesError) and isinstance(err, ValueError)
    ('too few studies for leave-one-out: it needs at least 2; got k = 1', 1, 2, True)
    """

    def __init__(self, k: int, needed: int, analysis: str = "this analysis"):
        self.k, self.needed, self.analysis = int(k), int(needed), analysis
        super().__init__(f"too few studies for {analysis}: it needs at least {self.needed}; got k = {self.k}")


class ConvergenceError(RuntimeError):
    """Raised when an iterative heterogeneity estimator (REML, PM) fails to converge.

    The message names the estimator and the number of iterations; no partial (junk) estimate is returned.
    """


class DataValidationError(ValueError):
    """Raised when a data file fails validation.

    Attributes
    ----------
    problems : list
        One :class:`peerstats.data.Problem` per offending row/column, in file order.
    """

    def __init__(self, problems, message: str | None = None):
        self.problems = list(problems)
        if message is None:
            n = len(self.problems)
            message = f"{n} problem{'s' if n != 1 else ''} found in the data"
            if self.problems:
                message += ": " + "; ".join(str(p) for p in self.problems[:5])
                if n > 5:
                    message += f"; ... and {n - 5} more"
        super().__init__(message)
