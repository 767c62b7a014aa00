"""Read the table files researchers actually have into a frame of strings, never raising.

:func:`read_table` takes the raw bytes of an upload and returns a :class:`Table`: every cell as a stripped string
(blank = ``""``), the header, and what was detected (format, encoding, delimiter, decimal comma), or ``None`` and
problems in words. Detection, in order:

* ``.xlsx`` (a zip starting ``PK\\x03\\x04``): read with openpyxl, the first sheet or the one asked for. openpyxl is
  imported lazily, so :mod:`peerstats` still imports with numpy, scipy and pandas only.
* Text: a UTF-8 or UTF-16 byte-order mark; UTF-16 without a mark (every other byte NUL); strict UTF-8; then cp1252
  (Windows Western), then latin-1. UTF-8 text that was encoded twice (``"Ã¼"`` for ``"ü"``) is repaired, and said.
  Anything with NUL bytes or many control characters left is binary, not a table.
* Delimiter: comma, semicolon, tab or ``|``, whichever splits the first lines into the same number (> 1) of fields
  most consistently (quotes respected). Semicolon and tab files may use decimal commas (``0,25``): such cells are
  numbers (:func:`parse_number`).

R's ``NA``, ``NaN``, ``NULL``, ``.`` and ``-`` are blanks, as are empty cells.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field

__all__ = ["Table", "read_table", "sheet_names", "parse_number", "parse_judgement", "JUDGEMENTS", "MAX_BYTES",
           "MAX_ROWS", "BLANKS"]

MAX_BYTES = 25_000_000
MAX_ROWS = 20_000
#: Cell texts that mean "no value".
BLANKS = frozenset({"", "na", "n/a", "nan", "null", "none", ".", "-", "--", "#n/a", "<na>"})
_DELIMITERS = (",", ";", "\t", "|")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_COMMA_NUMBER = re.compile(r"^[+-]?\d+,\d+([eE][+-]?\d+)?$")
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u2018-\u203a\u0152-\u0178\u02c6-\u02dc\u20ac\u2122]")


@dataclass(frozen=True)
class Table:
    """A table read from a file: header and rows of stripped strings, blanks as ``""``.

    Attributes
    ----------
    columns : tuple of str
        Header names (stripped; empty names become ``column_<j>``).
    rows : list of tuple of str
        Data rows, each exactly ``len(columns)`` long (short rows padded with blanks).
    kind : str
        ``"xlsx"`` or ``"text"``.
    encoding, delimiter : str
        What was detected (``""`` for xlsx).
    decimal_comma : bool
        True when numbers may be written ``0,25`` (semicolon or tab files).
    sheets : tuple of str
        Sheet names of an xlsx file (the first, or the chosen one, was read).
    notes : tuple of str
        What was repaired or assumed, in words (e.g. double-encoded UTF-8).
    ragged : tuple of (int, int, int)
        Data rows (1-based) whose number of fields differs from the header's: (row, its fields, the header's), the
        first 20;
        such rows were padded with blanks or widened with ``column_<j>`` columns, so a caller that needs an exact
        shape (the bundled schema) can refuse them with words.
    repeated : tuple of str
        Header names that occur more than once (the repeats were renamed ``<name>_2``, ...).
    """

    columns: tuple
    rows: list
    kind: str = "text"
    encoding: str = ""
    delimiter: str = ","
    decimal_comma: bool = False
    sheets: tuple = ()
    notes: tuple = field(default_factory=tuple)
    ragged: tuple = ()
    repeated: tuple = ()


def parse_number(text: str, decimal_comma: bool = False) -> float | None:
    """A cell as a float, or ``None`` when it is not a number.

    Accepts ``1.5``, ``-2e-3``, a Unicode minus, surrounding spaces, and ``1,5`` when ``decimal_comma``.
    ``inf`` and ``nan`` spelled out are returned as floats (the caller decides that they are not finite values).
    """
    if "_" not in text:  # fast path: Python's float() reads every plain number (and inf/nan); not 1_000
        try:
            return float(text)
        except (TypeError, ValueError):
            pass
    s = str(text).strip().replace("\u2212", "-").replace("\u00a0", "").replace(" ", "")
    if not s:
        return None
    if decimal_comma and _COMMA_NUMBER.match(s):
        s = s.replace(",", ".")
    if _NUMBER.match(s):
        return float(s)
    if s.lower().lstrip("+-") in ("inf", "infinity", "nan"):
        return float(s.lower().replace("infinity", "inf"))
    return None


#: Risk-of-bias judgements as written in review files -> codebook codes, per scale. ``"rob2"``: Cochrane RoB 2
#: (Sterne et al. 2019, BMJ 366:l4898: low / some concerns / high); ``"rob1"``: the Cochrane risk-of-bias tool
#: (Higgins et al. 2011, BMJ 343:d5928: low / unclear / high). Keys are normalised by :func:`_judgement_key`
#: (lower case, ``_``/``-`` as spaces, a trailing "risk" / "risk of bias" dropped): "Low risk", "low_risk",
#: "LOW", "Low risk of bias" are one key.
JUDGEMENTS: dict[str, dict[str, str]] = {
    "rob2": {"low": "low", "l": "low", "+": "low",
             "some concerns": "some_concerns", "some concern": "some_concerns", "some": "some_concerns",
             "sc": "some_concerns", "high": "high", "h": "high"},
    "rob1": {"low": "low", "l": "low", "+": "low", "unclear": "unclear", "?": "unclear", "u": "unclear",
             "high": "high", "h": "high"},
}


def _judgement_key(text: str) -> str:
    s = re.sub(r"[\s_\-]+", " ", str(text).strip().lower()).strip()
    s = re.sub(r"\s*risk( of bias)?$", "", s).strip()
    return s or str(text).strip()


def parse_judgement(text: str, scale: str) -> str | None:
    """A risk-of-bias cell as a codebook code of ``scale`` (``"rob2"`` or ``"rob1"``), or ``None``.

    ``"Low risk"`` -> ``"low"``, ``"Some concerns"`` -> ``"some_concerns"``, ``"High risk of bias"`` -> ``"high"``,
    ``"?"`` -> ``"unclear"`` (rob1). The codebook codes themselves are accepted. A blank cell and anything that is
    not a judgement of that scale give ``None`` (the caller tells blank from unrecognised).
    """
    if not str(text).strip():
        return None
    return JUDGEMENTS.get(scale, {}).get(_judgement_key(text))


def _decode(raw: bytes, repair: bool = True) -> tuple[str | None, str, list[str]]:
    """(text or None, encoding name or the reason it is not text, notes)."""
    notes: list[str] = []
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        head = raw[:4000]
        even, odd = head[0::2], head[1::2]
        if len(head) >= 4 and odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
            candidates = ["utf-16-le"]
        elif len(head) >= 4 and even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
            candidates = ["utf-16-be"]
        else:
            candidates = ["utf-8", "cp1252", "latin-1"]
    for enc in candidates:
        try:
            text = raw.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if enc == "cp1252" or enc == "latin-1":
            notes.append(f"the file is not UTF-8; it was read as {'Windows-1252' if enc == 'cp1252' else 'Latin-1'}"
                         " (Western European) text")
        bad = sum(1 for ch in text[:20000] if (ord(ch) < 32 and ch not in "\t\r\n") or 0x7f <= ord(ch) < 0xa0)
        if "\x00" in text or bad > max(3, 0.01 * min(len(text), 20000)):
            return None, "binary", notes
        if repair and enc.startswith("utf-8") and _MOJIBAKE.search(text):
            fixed = _undo_double_encoding(text)
            if fixed is not None:
                notes.append("the text had been encoded as UTF-8 twice (e.g. 'Ã¼' for 'ü'); it was repaired")
                text = fixed
        return text, enc, notes
    return None, "undecodable", notes


def _undo_double_encoding(text: str) -> str | None:
    """Repair UTF-8 read as cp1252/latin-1 and saved as UTF-8 again, one mis-encoded run at a time."""
    def fix(match: re.Match) -> str:
        s = match.group(0)
        for enc in ("cp1252", "latin-1"):
            try:
                return s.encode(enc).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
        return s

    runs = re.compile("(?:[\u00c2-\u00f4][\u0080-\u00bf\u2018-\u203a\u0152-\u0178\u02c6-\u02dc\u20ac\u2122\u00a0]+)+")
    fixed = runs.sub(fix, text)
    return fixed if fixed != text else None


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number (> 1) of fields most consistently."""
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    sample = "\n".join(lines)
    best, best_score = ",", -1.0
    for d in _DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=d)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        same = sum(1 for c in counts if c == counts[0]) / len(counts)
        score = same * 1000 + counts[0]
        if score > best_score:
            best, best_score = d, score
    return best


def _clean(v) -> str:
    s = str(v).strip()
    return "" if s.lower() in BLANKS else s


def _text_table(raw: bytes, repair: bool = True) -> tuple[Table | None, list[str]]:
    text, enc, notes = _decode(raw, repair)
    if text is None:
        if enc == "binary":
            return None, ["this is not a text table (it looks like a binary file); save it as CSV or .xlsx"]
        return None, ["the file's characters could not be read; save it as CSV (UTF-8) or .xlsx"]
    if not text.strip():
        return None, ["the file is empty"]
    delim = _sniff_delimiter(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    except csv.Error as exc:
        return None, [f"the file could not be read as a table ({exc})"]
    records = [r for r in records if any(c.strip() for c in r)]
    if not records:
        return None, ["the file is empty"]
    table = _assemble(records[0], records[1:])
    if isinstance(table, str):
        return None, [table]
    return Table(table[0], table[1], "text", enc, delim, delim in (";", "\t", "|"), (), tuple(notes), *table[2:]), []


def _assemble(header, body) -> tuple | str:
    """(columns, rows, ragged rows, repeated names) with unique non-empty names and rows padded to the header; a
    message when impossible."""
    columns = [str(h).strip() if h is not None else "" for h in header]
    if columns:
        columns[0] = columns[0].lstrip("\ufeff")
    if len(columns) < 2 and not body:
        return "the file has a header and no data rows" if columns and columns[0] else "the file is empty"
    columns = [c if c else f"column_{j + 1}" for j, c in enumerate(columns)]
    seen: dict[str, int] = {}
    repeated: list[str] = []
    for j, c in enumerate(columns):
        if c in seen:
            seen[c] += 1
            columns[j] = f"{c}_{seen[c]}"
            repeated.append(c)
        else:
            seen[c] = 1
    if len(body) > MAX_ROWS:
        return f"the file has {len(body):,} data rows; at most {MAX_ROWS:,} can be imported"
    width = header_width = len(columns)
    rows = []
    ragged: list[tuple[int, int]] = []
    for i, r in enumerate(body):
        if len(r) != header_width and len(ragged) < 20:
            ragged.append((i + 1, len(r), header_width))
        cells = [_clean(v) for v in r]
        if len(cells) > width:
            extra = cells[width:]
            if any(extra):
                columns += [f"column_{j + 1}" for j in range(width, len(cells))]
                width = len(columns)
                rows = [row + ("",) * (width - len(row)) for row in rows]
            else:
                cells = cells[:width]
        rows.append(tuple(cells + [""] * (width - len(cells))))
    return tuple(columns), rows, tuple(ragged), tuple(dict.fromkeys(repeated))


def _xlsx_table(raw: bytes, sheet: str | None) -> tuple[Table | None, list[str]]:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is pinned in requirements.txt
        return None, [".xlsx files need the openpyxl package; save the sheet as CSV instead"]
    try:
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any corrupt workbook becomes words
        return None, [f"the .xlsx file could not be opened ({type(exc).__name__}); save it again or as CSV"]
    try:
        names = tuple(wb.sheetnames)
        if not names:
            return None, ["the workbook has no sheets"]
        if sheet is not None and sheet not in names:
            return None, [f"the workbook has no sheet '{sheet}' (sheets: {', '.join(names)})"]
        ws = wb[sheet or names[0]]
        records = []
        for row in ws.iter_rows(values_only=True):
            cells = ["" if v is None else _cell(v) for v in row]
            if any(c.strip() for c in cells):
                records.append(cells)
            if len(records) > MAX_ROWS + 1:
                break
    except Exception as exc:  # noqa: BLE001
        return None, [f"the .xlsx file could not be read ({type(exc).__name__}); save it again or as CSV"]
    finally:
        wb.close()
    others = f" (the workbook's sheets: {', '.join(names)}; choose another)" if len(names) > 1 else ""
    if not records:
        return None, [f"sheet '{sheet or names[0]}' is empty{others}"]
    table = _assemble(records[0], records[1:])
    if isinstance(table, str):
        return None, [f"sheet '{sheet or names[0]}': {table}{others}"]
    return Table(table[0], table[1], "xlsx", "", "", False, names, (), *table[2:]), []


def _cell(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v.is_integer() and math.isfinite(v) and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def read_table(raw: bytes, filename: str = "", sheet: str | None = None,
               repair: bool = True) -> tuple[Table | None, list[str]]:
    """Read an uploaded file into a :class:`Table`; never raises.

    Parameters
    ----------
    raw : bytes
        The file's content.
    filename : str
        Used only to recognise spreadsheet formats that cannot be read (``.xls``, ``.ods``).
    sheet : str, optional
        The xlsx sheet to read (default: the first).
    repair : bool
        Repair UTF-8 that was encoded twice (and say so in ``notes``); ``False`` keeps the text exactly as decoded
        (the bundled data set's own format, whose source quotes are verbatim).

    Returns
    -------
    (Table or None, list of str)
        The table and no messages, or ``None`` and what is wrong, in words.
    """
    try:
        if not isinstance(raw, (bytes, bytearray, memoryview)):
            return None, ["no file content was given"]
        raw = bytes(raw)
        if len(raw) > MAX_BYTES:
            return None, [f"the file is larger than {MAX_BYTES // 1_000_000} MB"]
        if not raw.strip():
            return None, ["the file is empty"]
        name = (filename or "").lower()
        if raw.startswith(b"PK\x03\x04"):
            return _xlsx_table(raw, sheet)
        if raw.startswith(b"\xd0\xcf\x11\xe0") or name.endswith((".xls", ".ods")):
            return None, ["old Excel (.xls) and OpenDocument files cannot be read; save the sheet as .xlsx or CSV"]
        return _text_table(raw, repair)
    except Exception as exc:  # noqa: BLE001 - the contract: reading never raises
        return None, [f"the file could not be read ({type(exc).__name__}: {exc})"]


def sheet_names(raw: bytes) -> tuple[str, ...]:
    """The sheet names of an .xlsx file, ``()`` for anything else or a workbook that cannot be opened."""
    if not isinstance(raw, (bytes, bytearray)) or not bytes(raw[:4]) == b"PK\x03\x04":
        return ()
    try:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
        try:
            return tuple(wb.sheetnames)
        finally:
            wb.close()
    except Exception:  # noqa: BLE001 - not a workbook: no sheets
        return ()
