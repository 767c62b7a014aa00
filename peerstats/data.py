"""Load and validate the evidence base (``data/*.csv``) and users' uploaded files.

The codebook ``data/README.md`` documents every column. Validation never raises on a bad file: it returns one
:class:`Problem` per offending row and column (``row`` is the 1-based data row, header excluded), so the app can list
them. :func:`load_evidence` raises :class:`~peerstats.errors.DataValidationError` carrying those problems (the bundled
data must be clean); :func:`read_upload` returns them and never raises.

Sign convention of ``effects.yi``: peer support minus control, in the direction of *more of the construct* (a fall
in anxiety is negative). Whether more is better is a property of the outcome (:data:`OUTCOMES`), not of the data.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from peerstats import vocabulary
from peerstats.errors import DataValidationError

__all__ = [
    "DATA_DIR", "OUTCOMES", "Problem", "Evidence", "load_evidence", "read_upload", "validate_trials",
    "validate_effects", "validate_published", "parse_trials", "parse_effects", "MAX_UPLOAD_BYTES",
]

#: The bundled review's folder: the repository's ``data/`` when peerstats runs from a clone (or an editable install),
#: else the copy an installed package carries as ``peerstats/bundled_data`` (pyproject.toml maps ``data/`` there).
_HERE = Path(__file__).resolve().parent
DATA_DIR = _HERE / "bundled_data" if (_HERE / "bundled_data" / "trials.csv").is_file() else _HERE.parent / "data"

#: outcome -> (domain, label, beneficial direction): +1 when more of the construct is better, -1 when less is.
#: Order: the paper's (personal recovery outcomes first, then clinical).
OUTCOMES: dict[str, tuple[str, str, int]] = {
    "personal_recovery": ("personal", "Personal recovery", +1),
    "hope": ("personal", "Hope", +1),
    "empowerment": ("personal", "Empowerment", +1),
    "self_efficacy": ("personal", "Self-efficacy", +1),
    "self_advocacy": ("personal", "Self-advocacy", +1),
    "stigma": ("personal", "Stigma", -1),
    "social_support": ("personal", "Network or social support", +1),
    "self_esteem": ("personal", "Self-esteem", +1),
    "loneliness": ("personal", "Loneliness", -1),
    "community": ("personal", "Community", +1),
    "overall_symptoms": ("clinical", "Overall psychiatric symptoms", -1),
    "psychotic_symptoms": ("clinical", "Psychotic symptoms", -1),
    "depression": ("clinical", "Depression", -1),
    "anxiety": ("clinical", "Anxiety", -1),
    "suicidal_ideation": ("clinical", "Suicidal ideation", -1),
    "basis24": ("clinical", "BASIS-24 score", -1),
    "functioning": ("clinical", "Level of functioning", +1),
    "self_reported_health": ("clinical", "Self-reported health", +1),
    "quality_of_life": ("clinical", "Quality of life", +1),
    "satisfaction": ("clinical", "Satisfaction with services", +1),
}

# Allowed codes, in codebook order, from the one vocabulary module.
CATEGORIES = tuple(vocabulary.CATEGORIES)
QUALITY = tuple(vocabulary.QUALITY)
CONTROLS = tuple(vocabulary.CONTROLS)
LEADERSHIP = tuple(vocabulary.LEADERSHIP)
FORMATS = tuple(vocabulary.FORMATS)
ROB_LEVELS = tuple(vocabulary.ROB_LEVELS)
ROB_DOMAINS = tuple(vocabulary.ROB_DOMAINS)
PROVENANCE = tuple(vocabulary.PROVENANCE)
DOMAINS = ("personal", "clinical")
STATUSES = ("reported", "not_significant", "no_studies", "not_applicable", "not_mentioned")

TRIAL_REQUIRED = ("trial_id", "label", "category", "quality", "control", "leadership", "format", *ROB_DOMAINS)
TRIAL_ALLOWED = {
    "category": CATEGORIES, "quality": QUALITY, "control": CONTROLS, "leadership": LEADERSHIP, "format": FORMATS,
    **{d: ROB_LEVELS for d in ROB_DOMAINS},
}
#: Trial characteristics that do not come from the paper (Figure 1 / Results): a row with any of them needs a source.
TRIAL_NON_SEED = ("n_randomized", "country", "intervention", "population", "control_description")

EFFECT_REQUIRED = ("effect_id", "trial_id", "outcome", "yi", "vi", "provenance")
EFFECT_FLOAT = ("timepoint_months", "mean_peer", "sd_peer", "mean_control", "sd_control", "md", "md_ci_low",
                "md_ci_high", "smd_reported", "smd_ci_low", "smd_ci_high", "yi", "vi")
EFFECT_INT = ("n_peer", "n_control")
EFFECT_TEXT = ("effect_id", "trial_id", "outcome", "domain", "instrument", "timepoint", "comparison", "provenance",
               "formula", "source_url", "source_locator", "source_quote", "paper_cells", "target_cell", "note")

PUBLISHED_REQUIRED = ("category", "outcome", "domain", "status", "k", "n", "smd", "ci_low", "ci_high", "i2")

MAX_UPLOAD_BYTES = 5_000_000
MAX_UPLOAD_ROWS = 20_000

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_ID = re.compile(r"^[A-Za-z0-9_.:\-]+$")
_OUTCOME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Problem:
    """One problem found in a data file.

    Attributes
    ----------
    file : str
        ``"trials"``, ``"effects"`` or ``"published"`` (or the uploaded file's role).
    row : int or None
        1-based data row (the header is not counted); ``None`` for a file-level problem.
    column : str or None
        The offending column, ``None`` when the problem is not about one column.
    message : str
        What is wrong, in words a user can act on.
    severity : str
        ``"error"`` (the row or file is not used) or ``"warning"`` (used, but look at it); imports only.
    """

    file: str
    row: int | None
    column: str | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        if self.severity != "error":
            where = f"{self.severity}: {where}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Evidence:
    """The validated evidence base: typed frames plus where it came from (``"bundled"`` or ``"upload"``)."""

    trials: pd.DataFrame
    effects: pd.DataFrame
    published: pd.DataFrame
    source: str = "bundled"


# ----------------------------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------------------------
def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() in ("", "nan", "NaN", "<NA>")


def _text(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as a stripped string, blanks as ''."""
    out = df.copy()
    for c in out.columns:
        out[c] = out[c].map(lambda v: "" if _blank(v) else str(v).strip())
    return out


def _float(v: str) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x


def _missing_columns(df: pd.DataFrame, required, file: str) -> list[Problem]:
    return [Problem(file, None, c, "required column is missing") for c in required if c not in df.columns]


def _id_column(values: pd.Series, file: str, column: str, what: str) -> list[Problem]:
    """Problems of a unique-id column: empty ids, ids with other characters, and duplicates."""
    problems = []
    for i, v in enumerate(values):
        if v == "":
            problems.append(Problem(file, i + 1, column, f"empty {what}"))
        elif not _ID.match(v):
            problems.append(Problem(file, i + 1, column, f"'{v}' is not a valid id (letters, digits, _ . : - only)"))
    return problems + _duplicates(values, file, column)


def _duplicates(values: pd.Series, file: str, column: str) -> list[Problem]:
    problems = []
    seen: dict[str, int] = {}
    for i, v in enumerate(values):
        if v == "":
            continue
        if v in seen:
            problems.append(Problem(file, i + 1, column, f"duplicate id '{v}' (first on row {seen[v]})"))
        else:
            seen[v] = i + 1
    return problems


# ----------------------------------------------------------------------------------------------------------------
# trials
# ----------------------------------------------------------------------------------------------------------------
def validate_trials(df: pd.DataFrame, file: str = "trials") -> list[Problem]:
    """Check a trials frame against the codebook. Returns problems in file order (empty list = valid)."""
    problems = _missing_columns(df, TRIAL_REQUIRED, file)
    t = _text(df)
    if "trial_id" in t:
        problems += _id_column(t["trial_id"], file, "trial_id", "trial id")
    if "label" in t:
        problems += [Problem(file, i + 1, "label", "empty label") for i, v in enumerate(t["label"]) if v == ""]
    for col, allowed in TRIAL_ALLOWED.items():
        if col not in t:
            continue
        for i, v in enumerate(t[col]):
            if v not in allowed:
                shown = f"'{v}'" if v else "an empty value"
                problems.append(Problem(file, i + 1, col, f"{shown} is not one of {', '.join(allowed)}"))
    if "year" in t:
        for i, v in enumerate(t["year"]):
            x = _float(v)
            if v != "" and (x is None or not float(x).is_integer() or not 1900 <= x <= 2100):
                problems.append(Problem(file, i + 1, "year", f"'{v}' is not a year"))
    if "n_randomized" in t:
        for i, v in enumerate(t["n_randomized"]):
            x = _float(v)
            if v != "" and (x is None or not math.isfinite(x) or not float(x).is_integer() or x < 2):
                problems.append(Problem(file, i + 1, "n_randomized",
                                        f"'{v}' is not a whole number of at least 2 (leave empty when unknown)"))
    if "source_url" in t:
        for i in range(len(t)):
            has_extra = any(c in t and t[c].iat[i] != "" for c in TRIAL_NON_SEED)
            if has_extra and t["source_url"].iat[i] == "":
                problems.append(Problem(file, i + 1, "source_url",
                                        "characteristics not taken from the paper need a source"))
    return sorted(problems, key=_order)


def parse_trials(df: pd.DataFrame) -> pd.DataFrame:
    """Typed trials frame (call after :func:`validate_trials` returned no problems)."""
    t = _text(df)
    if "year" in t:
        t["year"] = pd.array([int(float(v)) if v else pd.NA for v in t["year"]], dtype="Int64")
    if "n_randomized" in t:
        t["n_randomized"] = pd.array([int(float(v)) if v else pd.NA for v in t["n_randomized"]], dtype="Int64")
    if "duration_months" in t:
        t["duration_months"] = [float(v) if _float(v) is not None else np.nan for v in t["duration_months"]]
    return t


# ----------------------------------------------------------------------------------------------------------------
# effects
# ----------------------------------------------------------------------------------------------------------------
def _bool(v: str) -> bool | None:
    s = v.strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    return None


def validate_effects(df: pd.DataFrame, trial_ids, file: str = "effects", *,
                     require_known_outcomes: bool = False) -> list[Problem]:
    """Check an effects frame against the codebook and the set of known ``trial_ids``.

    Checks: required columns; unique, well-formed ``effect_id``; ``trial_id`` present in ``trial_ids``; outcome
    names (known ones, or new snake_case names with a valid ``domain``); allowed ``provenance`` / ``domain``;
    finite numbers, ``vi > 0``, ``sd > 0``, whole ``n >= 2``; booleans; at most one primary row per trial and
    outcome; sourcing (reported/derived rows need URL, locator and verbatim quote, derived rows a formula;
    reconstructed rows no URL and a note naming their target cell).
    """
    problems = _missing_columns(df, EFFECT_REQUIRED, file)
    t = _text(df)
    known = set(str(x) for x in trial_ids)
    n = len(t)

    def col(c):
        return t[c] if c in t else pd.Series([""] * n, dtype=object)

    if "effect_id" in t:
        problems += _id_column(t["effect_id"], file, "effect_id", "effect id")
    if "trial_id" in t:
        for i, v in enumerate(t["trial_id"]):
            if v == "":
                problems.append(Problem(file, i + 1, "trial_id", "empty trial id"))
            elif v not in known:
                problems.append(Problem(file, i + 1, "trial_id", f"unknown trial '{v}' (not in the trials file)"))
    domains = col("domain")
    if "outcome" in t:
        for i, v in enumerate(t["outcome"]):
            if v in OUTCOMES:
                if "domain" in t and domains.iat[i] not in ("", OUTCOMES[v][0]):
                    problems.append(Problem(file, i + 1, "domain",
                                            f"'{domains.iat[i]}' but {v} is a {OUTCOMES[v][0]} outcome"))
                continue
            if v == "":
                problems.append(Problem(file, i + 1, "outcome", "empty outcome"))
            elif require_known_outcomes:
                problems.append(Problem(file, i + 1, "outcome",
                                        f"unknown outcome '{v}' (known: {', '.join(OUTCOMES)})"))
            elif not _OUTCOME.match(v):
                problems.append(Problem(file, i + 1, "outcome",
                                        f"'{v}' is not a valid outcome name (lower-case letters, digits, _)"))
            elif domains.iat[i] not in DOMAINS:
                problems.append(Problem(file, i + 1, "domain",
                                        f"new outcome '{v}' needs a domain: personal or clinical"))
    if "domain" in t:
        for i, v in enumerate(t["domain"]):
            if v not in ("",) + DOMAINS:
                problems.append(Problem(file, i + 1, "domain", f"'{v}' is not one of personal, clinical"))
    if "provenance" in t:
        for i, v in enumerate(t["provenance"]):
            if v not in PROVENANCE:
                shown = f"'{v}'" if v else "an empty value"
                problems.append(Problem(file, i + 1, "provenance", f"{shown} is not one of {', '.join(PROVENANCE)}"))
    for c in EFFECT_FLOAT:
        if c not in t:
            continue
        for i, v in enumerate(t[c]):
            if v == "":
                if c in ("yi", "vi"):
                    problems.append(Problem(file, i + 1, c, "missing value"))
                continue
            x = _float(v)
            if x is None or not math.isfinite(x):
                problems.append(Problem(file, i + 1, c, f"'{v}' is not a finite number"))
            elif c == "vi" and x <= 0:
                problems.append(Problem(file, i + 1, c, f"variance must be > 0 (got {v})"))
            elif c in ("sd_peer", "sd_control") and x <= 0:
                problems.append(Problem(file, i + 1, c, f"SD must be > 0 (got {v})"))
    for c in EFFECT_INT:
        if c not in t:
            continue
        for i, v in enumerate(t[c]):
            if v == "":
                continue
            x = _float(v)
            if x is None or not math.isfinite(x) or not float(x).is_integer():
                problems.append(Problem(file, i + 1, c, f"'{v}' is not a whole number"))
            elif x < 2:
                problems.append(Problem(file, i + 1, c, f"an arm needs n >= 2 (got {v})"))
    for c in ("primary", "higher_score_means_more"):
        if c not in t:
            continue
        for i, v in enumerate(t[c]):
            if v != "" and _bool(v) is None:
                problems.append(Problem(file, i + 1, c, f"'{v}' is not true or false"))
    # one primary row per trial x outcome
    if {"trial_id", "outcome"} <= set(t.columns):
        prim = [(_bool(v) if v else True) for v in col("primary")] if "primary" in t else [True] * n
        seen: dict[tuple, int] = {}
        for i in range(n):
            if not prim[i]:
                continue
            key = (t["trial_id"].iat[i], t["outcome"].iat[i])
            if key in seen:
                problems.append(Problem(file, i + 1, "primary",
                                        f"second primary row for {key[0]} x {key[1]} (first on row {seen[key]})"))
            else:
                seen[key] = i + 1
    # published-cell references: "category:outcome" with category all or a category
    for c in ("paper_cells", "target_cell"):
        if c not in t:
            continue
        for i, v in enumerate(t[c]):
            for ref in (x.strip() for x in v.split(";") if x.strip()):
                cat, _, out = ref.partition(":")
                if cat not in ("all",) + CATEGORIES or not _OUTCOME.match(out):
                    problems.append(Problem(file, i + 1, c, f"'{ref}' is not a cell like 'all:hope' or "
                                                            "'hospital_added:personal_recovery'"))
    # sourcing
    if "provenance" in t:
        for i, p in enumerate(t["provenance"]):
            if p in ("reported", "derived"):
                for c in ("source_url", "source_locator", "source_quote"):
                    if col(c).iat[i] == "":
                        problems.append(Problem(file, i + 1, c, f"a {p} row needs {c} (where the number comes from)"))
                if p == "derived" and col("formula").iat[i] == "":
                    problems.append(Problem(file, i + 1, "formula", "a derived row needs the formula it used"))
            elif p == "reconstructed":
                if col("source_url").iat[i] != "":
                    problems.append(Problem(file, i + 1, "source_url",
                                            "a reconstructed row is not trial data and must not carry a source URL"))
                if col("note").iat[i] == "":
                    problems.append(Problem(file, i + 1, "note", "a reconstructed row needs a note naming its "
                                                                 "target cell"))
                if "target_cell" in t and t["target_cell"].iat[i] == "":
                    problems.append(Problem(file, i + 1, "target_cell", "a reconstructed row needs its target cell"))
    return sorted(problems, key=_order)


def parse_effects(df: pd.DataFrame) -> pd.DataFrame:
    """Typed effects frame (call after :func:`validate_effects` returned no problems)."""
    t = _text(df)
    for c in EFFECT_FLOAT:
        if c in t:
            t[c] = [float(v) if v != "" else np.nan for v in t[c]]
    for c in EFFECT_INT:
        if c in t:
            t[c] = pd.array([int(float(v)) if v != "" else pd.NA for v in t[c]], dtype="Int64")
    t["primary"] = [(_bool(v) if v else True) for v in t["primary"]] if "primary" in t else True
    t["primary"] = t["primary"].astype(bool)
    if "higher_score_means_more" in t:
        t["higher_score_means_more"] = [(_bool(v) if v else True) for v in t["higher_score_means_more"]]
        t["higher_score_means_more"] = t["higher_score_means_more"].astype(bool)
    if "domain" in t:
        t["domain"] = [d if d else OUTCOMES.get(o, ("personal",))[0] for d, o in zip(t["domain"], t["outcome"])]
    else:
        t["domain"] = [OUTCOMES.get(o, ("personal",))[0] for o in t["outcome"]]
    for c in ("paper_cells", "target_cell", "note", "source_url", "source_locator", "source_quote", "formula",
              "instrument"):
        if c not in t:
            t[c] = ""
    return t


# ----------------------------------------------------------------------------------------------------------------
# published
# ----------------------------------------------------------------------------------------------------------------
def validate_published(df: pd.DataFrame, file: str = "published") -> list[Problem]:
    """Check the paper's published cells: columns, categories, outcomes, statuses, and numbers of reported cells."""
    problems = _missing_columns(df, PUBLISHED_REQUIRED, file)
    t = _text(df)
    for i in range(len(t)):
        cat = t["category"].iat[i] if "category" in t else ""
        if "category" in t and cat not in ("all",) + CATEGORIES:
            problems.append(Problem(file, i + 1, "category", f"'{cat}' is not all or a category"))
        if "outcome" in t and t["outcome"].iat[i] not in OUTCOMES:
            problems.append(Problem(file, i + 1, "outcome", f"unknown outcome '{t['outcome'].iat[i]}'"))
        if "status" in t:
            st = t["status"].iat[i]
            if st not in STATUSES:
                problems.append(Problem(file, i + 1, "status", f"'{st}' is not one of {', '.join(STATUSES)}"))
            elif st == "reported":
                for c in ("k", "n", "smd", "ci_low", "ci_high", "i2"):
                    if c in t:
                        x = _float(t[c].iat[i])
                        if x is None or not math.isfinite(x):
                            problems.append(Problem(file, i + 1, c, "a reported cell needs a finite number"))
    return sorted(problems, key=_order)


def parse_published(df: pd.DataFrame) -> pd.DataFrame:
    t = _text(df)
    for c in ("smd", "ci_low", "ci_high", "i2", "p_heterogeneity"):
        if c in t:
            t[c] = [float(v) if _float(v) is not None else np.nan for v in t[c]]
    for c in ("k", "n"):
        if c in t:
            t[c] = pd.array([int(float(v)) if _float(v) is not None else pd.NA for v in t[c]], dtype="Int64")
    return t


# ----------------------------------------------------------------------------------------------------------------
# loading
# ----------------------------------------------------------------------------------------------------------------
def _order(p: Problem):
    return (p.row if p.row is not None else 0, p.column or "")


def _read_csv(source, file: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a CSV (path or bytes) as strings; problems instead of exceptions."""
    try:
        if isinstance(source, (bytes, bytearray)):
            if len(source) > MAX_UPLOAD_BYTES:
                return None, [Problem(file, None, None, f"file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB")]
            try:
                text = bytes(source).decode("utf-8-sig")
            except UnicodeDecodeError:
                return None, [Problem(file, None, None, "file is not UTF-8 text (save it as CSV, UTF-8)")]
            if not text.strip():
                return None, [Problem(file, None, None, "file is empty")]
            buf = io.StringIO(text)
        else:
            buf = source
        if isinstance(buf, io.StringIO):
            ragged = _ragged_rows(buf.getvalue(), file)
            if ragged:
                return None, ragged
        df = pd.read_csv(buf, dtype=str, keep_default_na=False, skipinitialspace=False)
    except FileNotFoundError:
        return None, [Problem(file, None, None, f"file not found: {source}")]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as exc:
        return None, [Problem(file, None, None, f"could not read the file as CSV: {exc}")]
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) > MAX_UPLOAD_ROWS:
        return None, [Problem(file, None, None, f"more than {MAX_UPLOAD_ROWS} rows")]
    dup = [c for c in df.columns if list(df.columns).count(c) > 1]
    if dup:
        return None, [Problem(file, None, c, "column appears more than once") for c in dict.fromkeys(dup)]
    return df, []


def _ragged_rows(text: str, file: str) -> list[Problem]:
    """Rows whose number of fields differs from the header's (pandas would silently shift or pad them)."""
    import csv

    problems = []
    try:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if header is None:
            return [Problem(file, None, None, "file is empty")]
        for i, fields in enumerate(reader):
            if fields and len(fields) != len(header):
                problems.append(Problem(file, i + 1, None, f"row has {len(fields)} fields but the header has "
                                                           f"{len(header)} (check separators and quotes)"))
                if len(problems) >= 20:
                    break
    except csv.Error as exc:
        problems.append(Problem(file, None, None, f"could not read the file as CSV: {exc}"))
    return problems


def load_evidence(data_dir: str | Path = DATA_DIR) -> Evidence:
    """Read and validate ``trials.csv``, ``effects.csv`` and ``published.csv`` from ``data_dir``.

    Raises
    ------
    DataValidationError
        Carrying every :class:`Problem` found (the bundled data must be clean).
    """
    data_dir = Path(data_dir)
    problems: list[Problem] = []
    trials_df, p = _read_csv(data_dir / "trials.csv", "trials")
    problems += p
    effects_df, p = _read_csv(data_dir / "effects.csv", "effects")
    problems += p
    pub_df, p = _read_csv(data_dir / "published.csv", "published")
    problems += p
    if problems:
        raise DataValidationError(problems)
    problems += validate_trials(trials_df)
    ids = _text(trials_df)["trial_id"] if "trial_id" in trials_df else []
    problems += validate_effects(effects_df, ids, require_known_outcomes=True)
    problems += validate_published(pub_df)
    if problems:
        raise DataValidationError(problems)
    return Evidence(parse_trials(trials_df), parse_effects(effects_df), parse_published(pub_df), "bundled")


def read_upload(trials_bytes: bytes | None, effects_bytes: bytes | None,
                bundled: Evidence | None = None) -> tuple[Evidence | None, list[Problem]]:
    """Validate a user's uploaded files; never raises.

    Either file may be ``None``: the bundled one is used in its place (an effects-only upload must use the
    bundled trial ids; a trials-only upload keeps the bundled effects of the trials it still lists).

    Returns
    -------
    (Evidence or None, list of Problem)
        ``Evidence`` (``source="upload"``) when there are no problems, else ``None`` and the problems.
    """
    try:
        return _read_upload(trials_bytes, effects_bytes, bundled)
    except Exception as exc:  # noqa: BLE001 - the contract: an upload never raises
        return None, [Problem("upload", None, None, f"the files could not be checked ({type(exc).__name__}: {exc})")]


def _read_upload(trials_bytes, effects_bytes, bundled):
    if trials_bytes is None and effects_bytes is None:
        return None, [Problem("upload", None, None, "no file given")]
    problems: list[Problem] = []
    if bundled is None and (trials_bytes is None or effects_bytes is None):
        bundled = load_evidence()
    if trials_bytes is not None:
        tdf, p = _read_csv(trials_bytes, "trials")
        problems += p
        if tdf is not None:
            problems += validate_trials(tdf)
    else:
        tdf = bundled.trials
    if effects_bytes is not None:
        edf, p = _read_csv(effects_bytes, "effects")
        problems += p
    else:
        edf = bundled.effects
    if problems:
        return None, problems
    ids = set(_text(tdf)["trial_id"]) if "trial_id" in tdf else set()
    if effects_bytes is None:
        edf = edf[edf["trial_id"].astype(str).isin(ids)]
    problems += validate_effects(edf, ids)
    if problems:
        return None, problems
    published = bundled.published if bundled is not None else parse_published(
        _read_csv(DATA_DIR / "published.csv", "published")[0])
    return Evidence(parse_trials(tdf), parse_effects(edf), published, "upload"), []
