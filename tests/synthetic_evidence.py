"""A small synthetic evidence base in the codebook's columns, for the app's unit tests.

Six made-up trials (ids t1..t6, not the review's trials) and nine effect rows. The values are chosen so hand
calculations are easy; they say nothing about peer support.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

ROB = ("rob_sequence_generation", "rob_allocation_concealment", "rob_blinding_assessors", "rob_incomplete_data",
       "rob_selective_reporting", "rob_power_calculation", "rob_intent_to_treat")


def trials() -> pd.DataFrame:
    rows = [
        # trial_id, label, year, category, quality, control, leadership, format, n_randomized, blinding
        ("t1", "Alpha et al., 2010", 2010, "hospital_added", "poor", "tau", "peer_led", "one_to_one", 100, "high"),
        ("t2", "Beta et al., 2012", 2012, "hospital_added", "fair", "waitlist", "co_led", "group", 80, "low"),
        ("t3", "Gamma et al., 2015", 2015, "independent", "fair", "active", "peer_led", "group", 60, "unclear"),
        ("t4", "Delta et al., 2018", 2018, "online", "poor", "waitlist", "peer_led", "online", 200, "low"),
        ("t5", "Epsilon et al., 2020", 2020, "online", "good", "waitlist", "unclear", "online", None, "low"),
        ("t6", "Zeta et al., 2021", 2021, "hospital_added", "poor", "tau", "peer_led", "one_to_one", 50, "high"),
    ]
    df = pd.DataFrame(rows, columns=["trial_id", "label", "year", "category", "quality", "control", "leadership",
                                     "format", "n_randomized", "rob_blinding_assessors"])
    for d in ROB:
        if d not in df:
            df[d] = "unclear"
    df["n_randomized"] = df["n_randomized"].astype("Int64")
    df["refs"] = ["1", "2", "3", "4", "5", "6"]
    return df


def effects() -> pd.DataFrame:
    cols = ["effect_id", "trial_id", "outcome", "domain", "n_peer", "n_control", "yi", "vi", "provenance", "primary"]
    rows = [
        ("e1", "t1", "personal_recovery", "personal", 50, 50, 0.30, 0.04, "reported", True),
        ("e2", "t2", "personal_recovery", "personal", 40, 40, 0.10, 0.05, "derived", True),
        ("e3", "t3", "personal_recovery", "personal", None, None, 0.50, 0.08, "reconstructed", True),
        ("e4", "t4", "personal_recovery", "personal", 100, 100, 0.20, 0.02, "reported", True),
        ("e5", "t5", "personal_recovery", "personal", 30, 29, -0.10, 0.07, "reconstructed", True),
        ("e6", "t1", "personal_recovery", "personal", 50, 50, 0.90, 0.04, "reported", False),  # secondary row
        ("e7", "t2", "hope", "personal", 40, 40, 0.25, 0.05, "reported", True),
        ("e8", "t6", "hope", "personal", 25, 25, 0.05, 0.08, "reported", True),
        ("e9", "t4", "anxiety", "clinical", 100, 100, -0.30, 0.02, "derived", True),
    ]
    df = pd.DataFrame(rows, columns=cols)
    df["instrument"] = "scale"
    df["higher_score_means_more"] = True
    return df


def evidence() -> SimpleNamespace:
    """Duck-typed Evidence (trials, effects, published, source)."""
    return SimpleNamespace(trials=trials(), effects=effects(), published=pd.DataFrame(), source="bundled")
