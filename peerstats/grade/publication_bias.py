"""Publication bias (Core GRADE 4; GRADE guidelines 5): Egger's test on the real rows, only with at least 10 of them
(Cochrane Handbook 13.3.5.4): reconstructed rows are imputed from the paper's pooled results and carry no small-study
information. Egger's p < 0.10: serious (-1)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..bias import egger_test
from ._base import Domain

__all__ = ["publication_bias"]


def publication_bias(rows: pd.DataFrame, min_k: int = 10) -> Domain:
    keep = (rows["provenance"].astype(str) != "reconstructed").to_numpy() if "provenance" in rows else \
        np.ones(len(rows), dtype=bool)
    k_real = int(keep.sum())
    if k_real < min_k:
        return Domain("publication_bias", 0, f"Not assessable: {k_real} trial{'s' if k_real != 1 else ''} with "
                                             f"reported or derived data (a small-study test needs at least {min_k}; "
                                             "reconstructed rows carry no small-study information).")
    eg = egger_test(rows["yi"].to_numpy(float)[keep], rows["vi"].to_numpy(float)[keep])
    if math.isfinite(eg.pval) and eg.pval < 0.10:
        return Domain("publication_bias", 1, f"Serious: Egger's test on the {k_real} real rows, p = {eg.pval:.3f} "
                                             "(funnel asymmetry).")
    return Domain("publication_bias", 0, f"Not serious: Egger's test on the {k_real} real rows, p = {eg.pval:.3f}.")
