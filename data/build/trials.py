"""Build ``data/trials.csv``: the 49 trials of Egmose et al. (2023), Figure 1.

Inputs (copied verbatim into ``data/build/sources/`` so the build needs nothing outside the repository):

* ``trials_from_seed.csv``: risk-of-bias marks, AHRQ quality, category and control per trial, transcribed from the
  paper's Figure 1 and Results text. Re-checked here against the seed text (see ``check_against_seed``).
* ``trial_characteristics.csv``: randomised N, country, population, intervention, format, leadership, ... read from
  abstracts, registries and review tables, each with a source URL and quote.
* ``trial_resolutions.csv``: this project's decisions on the doubts flagged in the extraction notes, one line per
  changed or confirmed field, each with its reason and evidence.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
SEED = HERE.parents[2] / "shared" / "seed" / "egmose2023_peer_support_meta_analysis.md"

ROB = [
    "rob_sequence_generation",
    "rob_allocation_concealment",
    "rob_blinding_assessors",
    "rob_incomplete_data",
    "rob_selective_reporting",
    "rob_power_calculation",
    "rob_intent_to_treat",
]

# Unique short labels where first author + year would collide.
LABEL_OVERRIDES = {
    "cook2012_wrap": "Cook et al., 2012 (WRAP)",
    "cook2012_bridges": "Cook et al., 2012 (BRIDGES)",
    "laracabrera2016_education": "Lara-Cabrera et al., 2016 (education)",
    "laracabrera2016_activation": "Lara-Cabrera et al., 2016 (activation)",
    "miller2018": "Miller, 2018 (unpublished)",
}

SEED_LOCATOR = (
    "Egmose et al. 2023 (doi:10.1176/appi.ps.202100138): Figure 1 (risk-of-bias marks, AHRQ quality); "
    "Results, 'Participants and organization' (category); Results, 'Control Conditions' (control)"
)

COLUMNS = [
    "trial_id", "label", "figure_label", "refs", "year", "category", *ROB, "quality", "control", "leadership",
    "format", "n_randomized", "country", "intervention", "population", "peers_paid", "manualized",
    "duration_months", "control_description", "seed_locator", "source_url", "source_quote", "source_notes",
    "resolution_notes",
    # Smit et al. 2022's RoB 2 judgements (rob2.py), empty for trials not in their data set
    "rob2_d1_randomisation", "rob2_d2_deviations", "rob2_d3_missing_data", "rob2_d4_measurement",
    "rob2_d5_selection", "rob2_overall", "rob2_source_url", "rob2_source_locator", "rob2_source_quote",
]


def _short_label(trial_id: str, figure_label: str) -> str:
    if trial_id in LABEL_OVERRIDES:
        return LABEL_OVERRIDES[trial_id]
    first = figure_label.split(";")[0]
    return re.sub(r"\s*\([\d,\s]+\)\s*$", "", first).strip()


def _year(figure_label: str) -> int:
    return int(re.search(r"(19|20)\d\d", figure_label).group(0))


def check_against_seed(seed_trials: pd.DataFrame) -> None:
    """Assert that the transcription matches Figure 1 of the seed text, mark by mark (when the seed is present)."""
    if not SEED.exists():  # the seed lives outside the repository; the check runs where it is available
        return
    marks = {"+": "low", "?": "unclear", "-": "high"}
    figure = {}
    for line in SEED.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 9 and parts[0] and parts[8].strip() in {"Poor", "Fair", "Good"}:
            figure[parts[0].replace("Koks vik", "Koksvik")] = (
                [marks[p.strip()] for p in parts[1:8]],
                parts[8].strip().lower(),
            )
    assert len(figure) == 49, len(figure)
    for _, row in seed_trials.iterrows():
        rob, quality = figure[row["label"]]
        assert list(row[ROB]) == rob, row["trial_id"]
        assert row["quality"] == quality, row["trial_id"]


def build_trials() -> pd.DataFrame:
    seed = pd.read_csv(SOURCES / "trials_from_seed.csv", dtype=str, keep_default_na=False)
    check_against_seed(seed)
    chars = pd.read_csv(SOURCES / "trial_characteristics.csv", dtype=str, keep_default_na=False)
    chars = chars.set_index("trial_id")
    res = pd.read_csv(HERE / "trial_resolutions.csv", dtype=str, keep_default_na=False)
    from rob2 import rob2_by_trial

    rob2 = rob2_by_trial()

    rows = []
    for _, s in seed.iterrows():
        tid = s["trial_id"]
        c = chars.loc[tid] if tid in chars.index else None
        row = {
            "trial_id": tid,
            "label": _short_label(tid, s["label"]),
            "figure_label": s["label"],
            "refs": s["refs"] if s["refs"] else "miller",
            "year": _year(s["label"]),
            "category": s["category"],
            **{k: s[k] for k in ROB},
            "quality": s["quality"],
            "control": s["control"],
            "seed_locator": SEED_LOCATOR,
        }
        for col, src in [
            ("leadership", "leadership"), ("format", "format"), ("n_randomized", "n_randomized"),
            ("country", "country"), ("intervention", "intervention"), ("population", "population"),
            ("peers_paid", "peers_paid"), ("manualized", "manualized"), ("duration_months", "duration_months"),
            ("control_description", "control_description"), ("source_url", "source_url"),
            ("source_quote", "source_quote"), ("source_notes", "notes"),
        ]:
            row[col] = c[src] if c is not None else ""
        notes = []
        for _, r in res[res.trial_id == tid].iterrows():
            if r["field"] in row and r["value"] != "(unchanged)":
                row[r["field"]] = r["value"]
            notes.append(f"{r['field']}: {r['decision']}")
        row["resolution_notes"] = " | ".join(notes)
        # Empty leadership/format are unknown, which the codebook spells 'unclear'.
        for col in ("leadership", "format", "peers_paid", "manualized"):
            if not row[col]:
                row[col] = "unclear"
        if row["n_randomized"]:
            row["n_randomized"] = str(int(float(row["n_randomized"])))
        row.update(rob2.get(tid, {}))
        rows.append(row)
    out = pd.DataFrame(rows, columns=COLUMNS).fillna("").sort_values("trial_id", kind="stable").reset_index(drop=True)
    return out


if __name__ == "__main__":
    df = build_trials()
    print(df[["trial_id", "label", "category", "quality", "control", "leadership", "format"]].to_string())
