"""Imputed rows never carry a certainty: the share of the pooled weight on reconstructed rows (``provenance ==
"reconstructed"``: imputed so that the paper's pooled result is reproduced, never trial data).

Rule: more than half of the weight: the certainty is *not assessable: mostly imputed values* (the number stays,
marked); any smaller positive share is said in words with the rating. No override lifts it: a panel cannot rate
numbers nobody reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._base import pct

__all__ = ["MOSTLY_IMPUTED", "NOT_ASSESSABLE_IMPUTED", "reconstructed_share", "imputed_caveat"]

MOSTLY_IMPUTED = 50.0
NOT_ASSESSABLE_IMPUTED = "not assessable: mostly imputed values"


def reconstructed_share(rows: pd.DataFrame, weights) -> float:
    """Percent of ``weights`` on rows whose ``provenance`` is ``"reconstructed"`` (0 without the column)."""
    w = np.asarray(weights, dtype=float)
    if "provenance" not in rows or not len(w) or w.sum() <= 0:
        return 0.0
    recon = rows["provenance"].astype(str).eq("reconstructed").to_numpy()
    return float(100 * w[recon].sum() / w.sum())


def imputed_caveat(share: float) -> str:
    """The words that travel with the rating (empty for no reconstructed weight)."""
    if share > MOSTLY_IMPUTED:
        return (f"Certainty not assessable: {pct(share)} of the weight is on rows reconstructed from the paper's "
                "pooled results (imputed, not trial data). The number is shown; no rating is given.")
    if share > 0:
        return (f"{pct(share)} of the weight is on rows reconstructed from the paper's pooled results (imputed, not "
                "trial data).")
    return ""
