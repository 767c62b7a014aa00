"""Exceptions that the app can catch and show in words.

All three derive from standard exceptions, so callers that do not know them still get sensible behaviour.
"""

from __future__ import annotations


class NoStudiesError(ValueError):
    """Raised when an analysis is asked to pool k = 0 studies.

    The dashboard catches it and says "no trials match the current filters" instead of plotting nothing.
    """


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
