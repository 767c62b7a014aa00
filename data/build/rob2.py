"""Smit et al.'s (2022) Cochrane RoB 2 judgements for the 18 trials their data set shares with the paper.

Read from ``sources/metapsy_rows.csv`` (verbatim lines of the Metapsy peer-support ``data.csv``, commit 6c0f322):
columns ``RoB_D1`` .. ``RoB_D5`` and ``overall_RoB`` of each study's first line. The build checks that every line of
a study carries the same judgements. RoB 2 domains (Sterne et al. 2019, BMJ 366:l4898): D1 randomisation process,
D2 deviations from the intended interventions, D3 missing outcome data, D4 measurement of the outcome, D5 selection
of the reported result. Values: ``low``, ``some_concerns``, ``high``; empty for the 31 trials not in the data set.
"""

from __future__ import annotations

from metapsy_effects import PEER, ROWS, read_excerpts

COLUMNS = ["rob2_d1_randomisation", "rob2_d2_deviations", "rob2_d3_missing_data", "rob2_d4_measurement",
           "rob2_d5_selection", "rob2_overall"]
SOURCE = ["RoB_D1", "RoB_D2", "RoB_D3", "RoB_D4", "RoB_D5", "overall_RoB"]
LEVEL = {"Low risk": "low", "Some concerns": "some_concerns", "High risk": "high"}


def rob2_by_trial() -> dict[str, dict[str, str]]:
    """trial_id -> the six RoB 2 columns plus ``rob2_source_url``, ``rob2_source_locator``, ``rob2_source_quote``."""
    ex = read_excerpts()
    seen: dict[str, list[tuple[int, dict]]] = {}
    for (repo, line), spec in sorted(ROWS.items(), key=lambda kv: kv[0][1]):
        if repo == PEER:
            rec = ex[(repo, line)]
            seen.setdefault(spec[0], []).append((line, rec))
    severity = {"low": 0, "some_concerns": 1, "high": 2}
    out: dict[str, dict[str, str]] = {}
    for tid, lines in seen.items():
        per_line = [(line, {c: LEVEL[rec[s]] for c, s in zip(COLUMNS, SOURCE)}) for line, rec in lines]
        overall = {v["rob2_overall"] for _, v in per_line}
        assert len(overall) == 1, f"{tid}: overall RoB 2 differs between lines"
        vals = {c: max((v[c] for _, v in per_line), key=severity.get) for c in COLUMNS}
        groups: dict[str, list[int]] = {}
        for line, rec in lines:
            groups.setdefault("; ".join(f'{s}="{rec[s]}"' for s in SOURCE), []).append(line)
        quote = " | ".join(("lines " if len(ls) > 1 else "line ") + ", ".join(map(str, ls)) + f": {q}"
                           for q, ls in groups.items())
        first_line, first = lines[0]
        out[tid] = {
            **vals,
            "rob2_source_url": f"https://github.com/{PEER}/blob/{first['_commit']}/{first['_path']}#L{first_line}",
            "rob2_source_locator": (f"Smit et al. 2022 peer-support data set (Metapsy), {first['_path']} at commit "
                                    f"{first['_commit'][:7]}, study '{first['study']}', columns RoB_D1-RoB_D5 and "
                                    "overall_RoB" + ("; domains that differ between outcomes: most severe"
                                                     if len(groups) > 1 else "")),
            "rob2_source_quote": quote,
        }
    return out
