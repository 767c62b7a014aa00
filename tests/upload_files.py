"""Files a user might upload, written from a frame: delimited text in any encoding and .xlsx workbooks. Shared by the
importer tests, the browser upload test and ``benchmarks/bench_import.py``."""

from __future__ import annotations

import io

import pandas as pd


def text_bytes(df: pd.DataFrame, sep: str = ",", decimal: str = ".", encoding: str = "utf-8") -> bytes:
    """``df`` as delimited text (no index) in ``encoding``."""
    return df.to_csv(index=False, sep=sep, decimal=decimal).encode(encoding)


def xlsx_bytes(df: pd.DataFrame, sheet: str = "Sheet1", notes_first: bool = False) -> bytes:
    """``df`` as an .xlsx workbook with one sheet named ``sheet`` (header row, then the rows); ``notes_first`` puts a
    sheet of notes only before it. Written in openpyxl's write-only mode (fast for the benchmark's large files)."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    if notes_first:
        wb.create_sheet("notes").append(["this sheet has notes only"])
    ws = wb.create_sheet(sheet)
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append([v.item() if hasattr(v, "item") else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
