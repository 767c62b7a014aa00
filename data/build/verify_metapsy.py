"""Check every committed Metapsy excerpt line against the data files themselves.

    python data/build/verify_metapsy.py [PEER_SUPPORT_DATA_CSV [DEPRESSION_PSYCTR_DATA_CSV]]

The arguments are ``data.csv`` of ``metapsy-project/data-peer-support-interventions`` at commit
``6c0f322a09994b2a045164932917db6d4a412e34`` and of ``metapsy-project/data-depression-psyctr`` at
``ceeabb718db4a8ed6d5c5e265262d6ed7a392b72`` (e.g. ``git show <commit>:data.csv > peer.csv`` in a clone). A file that
is not given or not present is skipped with a message. For each excerpt line of ``sources/metapsy_rows.csv`` the
script checks that the file's line with that number is byte-for-byte the committed text, and that every field
parses to the same value (numbers with decimal commas compared as numbers). Exit status 1 on any difference.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXCERPTS = HERE / "sources" / "metapsy_rows.csv"
REPOS = ["metapsy-project/data-peer-support-interventions", "metapsy-project/data-depression-psyctr"]


def fields(text: str) -> list[str]:
    return next(csv.reader([text], delimiter=";"))


def value(s: str):
    try:
        return float(s.replace(",", "."))
    except ValueError:
        return s


def verify(repo: str, data_csv: str | None) -> tuple[int, list[str]]:
    """Return (lines checked, problems) for one repository's excerpt lines."""
    if not data_csv or not Path(data_csv).is_file():
        print(f"{repo}: data.csv not given or not present, skipped")
        return 0, []
    lines = Path(data_csv).read_bytes().decode("utf-8").split("\n")
    problems = []
    checked = 0
    with EXCERPTS.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["repo"] != repo:
                continue
            no = int(row["line"])
            actual = lines[no - 1] if no - 1 < len(lines) else ""
            if actual != row["text"]:
                problems.append(f"{repo} line {no}: text differs")
            a, b = fields(actual), fields(row["text"])
            if len(a) != len(b) or any(value(x) != value(y) for x, y in zip(a, b)):
                problems.append(f"{repo} line {no}: values differ")
            if row["id"] != "(header)" and row["id"] not in b:
                problems.append(f"{repo} line {no}: .id {row['id']} not in the line")
            checked += 1
    return checked, problems


def main(argv: list[str]) -> int:
    total, problems = 0, []
    for repo, path in zip(REPOS, argv + [None] * (2 - len(argv))):
        n, p = verify(repo, path)
        total += n
        problems += p
        if n:
            print(f"{repo}: {n} lines checked, {len(p)} problems")
    for p in problems:
        print("PROBLEM", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
