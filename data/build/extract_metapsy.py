"""Write ``data/build/sources/metapsy_rows.csv``: the Metapsy data-set lines this project uses, verbatim.

Run by hand (needs the two repositories checked out or fetched; not part of the build):

    python data/build/extract_metapsy.py PEER_SUPPORT_DATA_CSV DEPRESSION_PSYCTR_DATA_CSV

where the arguments are ``data.csv`` of ``metapsy-project/data-peer-support-interventions`` at commit
``6c0f322a09994b2a045164932917db6d4a412e34`` and of ``metapsy-project/data-depression-psyctr`` at commit
``ceeabb718db4a8ed6d5c5e265262d6ed7a392b72``. Every line of the peer-support file whose study is a trial of Egmose
et al. (18 studies, matched by full reference, see ``data/README.md``) is kept, plus line 887 of the depression file
(Westerhof 2019), each with its header line. ``verify_metapsy.py`` checks the result against the files.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "sources" / "metapsy_rows.csv"

PEER = ("metapsy-project/data-peer-support-interventions", "6c0f322a09994b2a045164932917db6d4a412e34", "data.csv")
DEPR = ("metapsy-project/data-depression-psyctr", "ceeabb718db4a8ed6d5c5e265262d6ed7a392b72", "data.csv")

# The 18 studies of the peer-support data set that are trials of the paper, spelled as in the file (its UTF-8 is
# double-encoded: "RÃ¼sch" is Rüsch).
OURS = {
    "Boevink, 2016", "Castelein, 2008", "Cook, 2012a", "Cook, 2012b", "Corrigan, 2017", "Craig, 2004",
    "Davidson, 2004", "Johnson, 2018", "Kaplan, 2011", "Ludman, 2007", "Mahlke, 2017", "O'Connell, 2018",
    "Pfeiffer, 2019", "Rivera, 2007", "R\u00c3\u00bcsch, 2014", "Russinova, 2014", "Salzer, 2016",
    "van Gestel-Timmermans, 2012",
}
DEPR_LINES = [887]

FIELDS = ["repo", "commit", "path", "line", "id", "text"]


def _lines(path: str) -> list[str]:
    return Path(path).read_bytes().decode("utf-8").split("\n")


def main(peer_csv: str, depr_csv: str) -> None:
    rows = []
    lines = _lines(peer_csv)
    rows.append(dict(zip(FIELDS, (*PEER, 1, "(header)", lines[0]))))
    for no, text in enumerate(lines[1:], start=2):
        if not text:
            continue
        fields = next(csv.reader([text], delimiter=";"))
        if fields[1] in OURS:
            rows.append(dict(zip(FIELDS, (*PEER, no, fields[-2], text))))
    lines = _lines(depr_csv)
    rows.append(dict(zip(FIELDS, (*DEPR, 1, "(header)", lines[0]))))
    for no in DEPR_LINES:
        fields = next(csv.reader([lines[no - 1]], delimiter=";"))
        rows.append(dict(zip(FIELDS, (*DEPR, no, fields[-1], lines[no - 1]))))
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} lines to {OUT}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
