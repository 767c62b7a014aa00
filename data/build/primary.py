"""One rule for several sources of one trial x outcome: which real row is primary (the one analyses pool).

The rule, in order (written to the codebook, ``data/README.md``, "Several sources of one trial x outcome"):

1. **Candidates.** A row is a candidate when its source module proposes it: the time point closest to the end of the
   intervention (follow-ups are never candidates while an end-of-intervention row exists), the project's component
   rule for self-reported health (physical component summary), and not set aside for a doubt (a row whose doubt
   decision is "not pooled" is never a candidate).
2. **Kind of data.** Arm-level means/SDs/ns, then a between-group mean difference with its CI (derived), then an SMD
   or g reported without its inputs.
3. **Order of sources.** The group-based review data set, then the trial papers / Cochrane extraction, then the
   Metapsy data sets (the order in which :func:`real_effects.real_rows` lists them). Where two sources give the
   same arm data (Van Gestel-Timmermans 2012) this only picks one copy.

Every row that was a candidate and lost says so in its note.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def kind_rank(row: pd.Series) -> int:
    """0 arm-level data, 1 derived from a mean difference and CI, 2 an SMD/g without inputs."""
    if np.isfinite(float(row["mean_peer"])) and np.isfinite(float(row["sd_peer"])):
        return 0
    if row["provenance"] == "derived":
        return 1
    return 2


def choose_primary(real: pd.DataFrame) -> pd.DataFrame:
    """Return ``real`` with ``primary`` set by the rule above (``primary`` on input = candidate)."""
    out = real.copy()
    out["_order"] = np.arange(len(out))
    out["_rank"] = out.apply(kind_rank, axis=1)
    cand = out["primary"].astype(bool)
    new_primary = pd.Series(False, index=out.index)
    for (_t, _o), grp in out[cand].groupby(["trial_id", "outcome"], sort=False):
        best = grp.sort_values(["_rank", "_order"]).index[0]
        new_primary[best] = True
        for i in grp.index:
            if i == best:
                continue
            winner = out.loc[best]
            why = ("arm-level data outrank a mean difference or an SMD alone"
                   if out.loc[i, "_rank"] > winner["_rank"] else "same kind of data; the earlier source is kept")
            out.loc[i, "note"] = _join(out.loc[i, "note"],
                                       f"Not primary: the {_kind(winner)} row from {_src(winner)} is primary "
                                       f"(rule: {why}).")
    out["primary"] = new_primary
    return out.drop(columns=["_order", "_rank"])


def _kind(row) -> str:
    return {0: "arm-level", 1: "derived", 2: "SMD-only"}[kind_rank(row)]


def _src(row) -> str:
    url = str(row["source_url"])
    if "metapsy-project" in url:
        return "the Metapsy data set"
    if "Group-based-interventions" in url:
        return "the group-based review data set"
    return "the trial-paper / review extraction"


def _join(a, b) -> str:
    a = "" if a is None or (isinstance(a, float) and np.isnan(a)) else str(a)
    return f"{a} {b}".strip()
