"""Read RevMan's data download (one CSV with every analysis of a Cochrane review) into analyses.

A RevMan data file has one row per study per analysis, with the columns ``Analysis group``, ``Analysis number``,
``Analysis name``, ``Subgroup``, ``Subgroup number``, ``Study``, ``Study year``, the data (``Experimental cases``,
``Experimental N``, ``Control cases``, ``Control N`` for dichotomous outcomes; ``Experimental mean``, ``Experimental
SD``, ... for continuous ones; ``GIV Mean`` and ``GIV SE`` for generic inverse variance; ``O-E`` and ``Variance``),
RevMan's own per-study result (``Weight``, ``Mean``, ``CI start``, ``CI end``) and, in RoB 2 reviews, one
"(judgement)" and one "(support)" column per bias domain. Column names are matched with spaces, hyphens and dots
ignored (R writes ``CI.start``, ``O.E``), so Pairwise70's frames read too.

The file does not say which effect measure an analysis uses. :func:`read_revman` computes every measure the
analysis' columns allow with RevMan's own rules (:func:`peerstats.escalc.effect_sizes` with
``convention="revman"``) and keeps the one (and the confidence level: 95 %, 99 % or 90 %) that reproduces the
file's ``Mean``, ``CI start`` and ``CI end`` in most rows, to the file's rounding. Rows where even that measure
disagrees are named in a warning.

Measures (``Analysis.measure``): ``RR``, ``OR``, ``RD``, ``PETO`` (dichotomous), ``MD``, ``SMD`` (continuous),
``GIV`` (generic inverse variance on a difference scale), ``GIV_RATIO`` (generic inverse variance whose ``GIV Mean``
is a log ratio: the file shows ``exp``), ``OE`` (``exp((O-E)/V)`` with variance ``1/V`` of its log: Peto odds ratio
or hazard ratio from O-E and variance). Ratios (:data:`RATIO_MEASURES`) are kept on the log scale in ``yi``.

References
----------
.. [1] Deeks, J. J., & Higgins, J. P. T. (2010). Statistical algorithms in Review Manager 5.
.. [2] Pairwise70: 501 Cochrane reviews' analysis data (GitHub mahmood789/Pairwise70, MIT licence).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from .core import z_crit
from .escalc import effect_sizes

__all__ = ["COLUMNS", "MEASURES", "RATIO_MEASURES", "Analysis", "RevManData", "is_revman", "read_revman",
           "MEASURE_NAMES", "natural_scale", "null_value", "import_revman"]

#: canonical key -> RevMan's header.
COLUMNS = {
    "analysis_group": "Analysis group", "analysis_number": "Analysis number", "analysis_name": "Analysis name",
    "subgroup": "Subgroup", "subgroup_number": "Subgroup number", "applicability": "Applicability",
    "study": "Study", "year": "Study year", "giv_mean": "GIV Mean", "giv_se": "GIV SE",
    "m1i": "Experimental mean", "sd1i": "Experimental SD", "ai": "Experimental cases", "n1i": "Experimental N",
    "m2i": "Control mean", "sd2i": "Control SD", "ci": "Control cases", "n2i": "Control N",
    "oe": "O-E", "variance": "Variance", "weight": "Weight", "mean": "Mean", "ci_start": "CI start",
    "ci_end": "CI end", "footnotes": "Footnotes",
}
_NUMERIC = ("analysis_group", "analysis_number", "subgroup_number", "year", "giv_mean", "giv_se", "m1i", "sd1i",
            "ai", "n1i", "m2i", "sd2i", "ci", "n2i", "oe", "variance", "weight", "mean", "ci_start", "ci_end")
MEASURES = ("RR", "OR", "RD", "PETO", "MD", "SMD", "GIV", "GIV_RATIO", "OE")
RATIO_MEASURES = ("RR", "OR", "PETO", "GIV_RATIO", "OE")
MEASURE_NAMES = {"RR": "risk ratio", "OR": "odds ratio", "RD": "risk difference", "PETO": "Peto odds ratio",
                 "MD": "mean difference", "SMD": "standardised mean difference",
                 "GIV": "effect (generic inverse variance)", "GIV_RATIO": "ratio (generic inverse variance)",
                 "OE": "ratio from O-E and variance"}
_FAMILIES = {"dichotomous": ("RR", "OR", "RD", "PETO"), "continuous": ("MD", "SMD"),
             "generic inverse variance": ("GIV", "GIV_RATIO"), "O-E and variance": ("OE",)}
_LEVELS = (0.95, 0.99, 0.90)
_REQUIRED = ("analysis_group", "analysis_number", "analysis_name", "study")


def _norm(name) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


_BY_NORM = {_norm(v): k for k, v in COLUMNS.items()}


def _columns(columns) -> dict[str, str]:
    """canonical key -> the file's column, for the RevMan columns present."""
    out = {}
    for c in columns:
        k = _BY_NORM.get(_norm(c))
        if k is not None and k not in out:
            out[k] = c
    return out


def is_revman(columns) -> bool:
    """True when ``columns`` (a header) are RevMan's data download: analysis group, number and name, study, and
    at least one kind of data (counts, means, GIV or O-E)."""
    found = _columns(columns)
    data = ({"ai", "n1i", "ci", "n2i"} <= set(found) or {"m1i", "sd1i", "n1i"} <= set(found)
            or {"giv_mean", "giv_se"} <= set(found) or {"oe", "variance"} <= set(found))
    return all(k in found for k in _REQUIRED) and data


@dataclass(frozen=True, eq=False)
class Analysis:
    """One analysis of a RevMan file.

    Attributes
    ----------
    code : str
        ``"<group>.<number>"``, e.g. ``"1.2"``.
    name, label : str
        RevMan's analysis name, and ``"1.2 Mortality at 30 days"``.
    data_type : str
        ``"dichotomous"``, ``"continuous"``, ``"generic inverse variance"`` or ``"O-E and variance"``.
    measure : str
        One of :data:`MEASURES`; ``ratio`` is True when ``yi`` is a log ratio.
    level : float
        Confidence level of the file's per-study intervals (0.95 unless the review chose otherwise).
    agreement : float
        Share of the rows with a RevMan estimate whose computed estimate and interval equal the file's ``Mean``,
        ``CI start``, ``CI end`` to its rounding (``nan`` when the file gives none).
    columns : dict
        The study rows as column name -> array (what ``studies`` is built from).
    studies : pandas.DataFrame
        One row per study row, file order: ``row`` (1-based data row of the file), ``study``, ``year`` (Int64),
        ``subgroup``, ``subgroup_number``, ``applicability``, the inputs (``ai, n1i, ci, n2i`` / ``m1i, sd1i,
        m2i, sd2i`` / ``giv_mean, giv_se`` / ``oe, variance``), ``yi``, ``vi`` (``nan``: not estimable, e.g. no
        events in either arm), ``estimable``, the file's ``file_mean``, ``file_ci_low``, ``file_ci_high``,
        ``file_weight`` (natural scale), ``agrees`` (True / False / ``None`` when the file has no estimate), and
        the RoB 2 columns as the file gives them (``rob_<domain>``).
    disagree_rows : tuple of int
        File rows where the computed estimate differs from the file's.
    inferred : bool
        True when the measure was inferred from the file's own numbers; False when given by the caller.
    """

    code: str
    name: str
    label: str
    data_type: str
    measure: str
    level: float
    agreement: float
    columns: dict = field(repr=False)
    disagree_rows: tuple = ()
    inferred: bool = True

    @cached_property
    def studies(self) -> pd.DataFrame:
        """The study rows as a frame (built on first use from ``columns``: column name -> array)."""
        df = pd.DataFrame(self.columns)
        df["year"] = df["year"].round().astype("Int64")
        return df

    @property
    def ratio(self) -> bool:
        return self.measure in RATIO_MEASURES

    @property
    def k(self) -> int:
        """Studies with an estimable effect."""
        return int(np.sum(self.columns["estimable"]))

    def subgroups(self) -> list[str]:
        """Subgroup names in file order (empty when the analysis has none)."""
        return [x for x in dict.fromkeys(self.columns["subgroup"]) if x]


@dataclass(frozen=True)
class RevManData:
    """What :func:`read_revman` made of a file: its analyses in file order and the problems found."""

    file: str
    analyses: tuple
    problems: list

    def __getitem__(self, key) -> Analysis:
        for a in self.analyses:
            if key in (a.code, a.label, a.name):
                return a
        raise KeyError(f"no analysis {key!r} (analyses: {', '.join(a.code for a in self.analyses)})")

    def frame(self) -> pd.DataFrame:
        """All analyses' study rows in one long frame, with ``analysis`` (code), ``label``, ``measure``."""
        parts = []
        for a in self.analyses:
            s = a.studies.copy()
            s.insert(0, "analysis", a.code)
            s.insert(1, "label", a.label)
            s.insert(2, "measure", a.measure)
            parts.append(s)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def natural_scale(measure: str, *values):
    """Values of ``measure`` on its natural scale: ``exp`` for a log ratio (:data:`RATIO_MEASURES`), else as given.

    For display: pooled or per-study estimate and limits of a ratio measure are shown exponentiated, on a log axis,
    with the null line at 1 (:func:`null_value`).

    Examples
    --------
    >>> natural_scale("RR", 0.0, -0.5)
    (1.0, 0.6065306597126334)
    >>> natural_scale("MD", -2.0)
    (-2.0,)
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
    if measure in RATIO_MEASURES:
        return tuple(float(np.exp(v)) for v in values)
    return tuple(float(v) for v in values)


def null_value(measure: str) -> float:
    """The value of no effect on the natural scale: 1 for ratios, 0 for differences."""
    return 1.0 if measure in RATIO_MEASURES else 0.0


def _problem(file, row, column, message, severity="error"):
    from .data import Problem
    return Problem(file, row, column, message, severity)


def _decimals(values) -> int:
    """Most decimals written in a column (the file's rounding)."""
    best = 0
    for v in values:
        s = v if isinstance(v, str) else (repr(float(v)) if v is not None and v == v else "")
        s = s.strip().lower()
        if not s or "e" in s:
            continue
        s = s.replace(",", ".")
        if "." in s:
            best = max(best, len(s.split(".", 1)[1]))
    return min(best, 12)


def _number_column(raw: pd.Series, col_name, file, problems, decimal_comma=False, *, key=""):
    """A column as floats (blank: nan); a cell that is not a number is named in a problem and read as missing."""
    from .readers import parse_number
    if pd.api.types.is_numeric_dtype(raw.dtype):
        return raw.to_numpy(dtype=float, na_value=np.nan).copy()
    out = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan).copy()
    txt = raw.astype(str).str.strip()
    blank = raw.isna().to_numpy() | txt.isin(["", "NA", "NaN", "nan", "None"]).to_numpy()
    for i in np.flatnonzero(~np.isfinite(out) & ~blank):
        s = txt.iat[i]
        x = parse_number(s, decimal_comma)
        if x is not None and math.isfinite(x):
            out[i] = x
        elif key == "year":
            out[i] = np.nan
            problems.append(_problem(file, int(i) + 1, col_name, f"'{s[:40]}' is not a year: left empty", "warning"))
        else:
            out[i] = np.nan
            problems.append(_problem(file, int(i) + 1, col_name, f"'{s[:40]}' is not a number: read as missing, "
                                     "the study is not estimable in this analysis"))
    return out


def _text_column(raw: pd.Series) -> list[str]:
    return ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip() for v in raw.tolist()]


def _code(x) -> str:
    return str(int(x)) if np.isfinite(x) and float(x).is_integer() else ("" if not np.isfinite(x) else f"{x:g}")


def _candidates(s: dict, fam: str, idx):
    """Yield (measure, (yi, vi)) over the rows ``idx`` (RevMan's rules) for the measures of one data family, lazily
    (most analyses are settled by the first)."""
    g = {k: s[k][idx] for k in ("ai", "ci", "m1i", "sd1i", "m2i", "sd2i", "giv_mean", "giv_se", "oe", "variance")}
    for k in ("n1i", "n2i"):
        g[k] = np.where(s[k][idx] > 0, s[k][idx], np.nan)  # an empty arm: not estimable (not an error)
    if fam == "dichotomous":
        for m in _FAMILIES[fam]:
            yield m, tuple(effect_sizes(m, ai=g["ai"], n1i=g["n1i"], ci=g["ci"], n2i=g["n2i"], convention="revman"))
    elif fam == "continuous":
        for m in _FAMILIES[fam]:
            yield m, tuple(effect_sizes(m, m1i=g["m1i"], sd1i=g["sd1i"], n1i=g["n1i"], m2i=g["m2i"], sd2i=g["sd2i"],
                                        n2i=g["n2i"], convention="revman"))
    elif fam == "generic inverse variance":
        se = g["giv_se"]
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(g["giv_mean"]) & (se > 0)
        yi, vi = np.where(ok, g["giv_mean"], np.nan), np.where(ok, se**2, np.nan)
        yield "GIV", (yi, vi)
        yield "GIV_RATIO", (yi, vi)
    else:
        v = g["variance"]
        with np.errstate(divide="ignore", invalid="ignore"):
            ok = np.isfinite(g["oe"]) & (v > 0)
            yield "OE", (np.where(ok, g["oe"] / v, np.nan), np.where(ok, 1 / v, np.nan))


def _natural(measure, yi, vi, level):
    crit = z_crit(level)
    with np.errstate(invalid="ignore", over="ignore"):
        se = np.sqrt(vi)
        lo, hi = yi - crit * se, yi + crit * se
        if measure in RATIO_MEASURES:
            return np.exp(yi), np.exp(lo), np.exp(hi)
    return yi, lo, hi


def _agreement(measure, yi, vi, level, fm, fl, fh, tol):
    """Per row: True (agrees), False, or None (the file has no estimate and neither do we)."""
    est, lo, hi = _natural(measure, yi, vi, level)

    def close(x, t, d):
        return np.abs(x - t) <= d * 1.000001 + 1e-9 * np.abs(t)

    with np.errstate(invalid="ignore"):  # a limit the file leaves blank is not compared
        ok = (close(est, fm, tol[0]) & (close(lo, fl, tol[1]) | np.isnan(fl))
              & (close(hi, fh, tol[2]) | np.isnan(fh)))
    file_has = np.isfinite(fm)
    ours = np.isfinite(yi)
    out = np.where(file_has, ok, ~ours)  # no file estimate: agree when we find it not estimable too
    return out, file_has


def _families_present(s, idx) -> list[str]:
    def anypos(k):
        return bool(np.any(np.nan_to_num(s[k][idx]) != 0))

    fams = []
    if anypos("n1i") and anypos("n2i") and ("ai" in s):
        fams.append("dichotomous")
    if anypos("sd1i") or anypos("sd2i"):
        fams.append("continuous")
    if anypos("giv_se"):
        fams.append("generic inverse variance")
    if anypos("variance") and np.any(np.isfinite(s["oe"][idx])):
        fams.append("O-E and variance")
    return fams


_CHECKS = {  # data family -> (column, test, words): impossible values make a row unusable in that family only
    "dichotomous": [("ai", "neg", "a negative number of events"), ("ci", "neg", "a negative number of events"),
                    ("n1i", "neg", "a negative arm size"), ("n2i", "neg", "a negative arm size"),
                    ("ai", "n1i", "experimental"), ("ci", "n2i", "control")],
    "continuous": [("n1i", "neg", "a negative arm size"), ("n2i", "neg", "a negative arm size"),
                   ("sd1i", "neg", "a negative SD"), ("sd2i", "neg", "a negative SD")],
    "generic inverse variance": [("giv_se", "neg", "a negative standard error")],
    "O-E and variance": [("variance", "neg", "a negative variance")],
}


def _check_rows(s, file, names) -> dict:
    """Rows with impossible data per data family: family -> (bad-row mask, problems naming row and column).

    A value is checked only where it is used: counts in an O-E analysis, say, are RevMan's notes, not data."""
    n = len(s["study"])
    out = {}
    for fam, checks in _CHECKS.items():
        bad = np.zeros(n, dtype=bool)
        found = []
        for key, test, words in checks:
            with np.errstate(invalid="ignore"):
                if test == "neg":
                    hit = (s[key] < 0) & np.isfinite(s[key])
                else:
                    hit = (s[key] > s[test]) & np.isfinite(s[key]) & np.isfinite(s[test])
            for i in np.flatnonzero(hit):
                msg = (f"{words} ({s[key][i]:g}): row left out" if test == "neg" else
                       f"{s[key][i]:g} events in the {words} arm but N = {s[test][i]:g}: row left out")
                found.append((int(i), _problem(file, int(i) + 1, names.get(key), msg)))
            bad |= hit
        out[fam] = (bad, found)
    return out


_OVERFLOW = re.compile(r"^column_\d+$")


def _overflow_rows(data, file, problems) -> np.ndarray:
    """Rows with more cells than the header (:func:`peerstats.readers.read_table` names the extra cells
    ``column_<j>``): their values may be shifted (a comma inside a study name or in a number), so they are left out
    with an error naming the row and the extra cells."""
    extra = [c for c in data.columns if _OVERFLOW.match(str(c))]
    bad = np.zeros(len(data), dtype=bool)
    if not extra:
        return bad
    cells = data[extra].astype(str).apply(lambda col: col.str.strip()).replace({"nan": "", "None": ""})
    for i in np.flatnonzero(cells.ne("").any(axis=1).to_numpy()):
        vals = ", ".join(f"'{v[:20]}'" for v in cells.iloc[i] if v)
        problems.append(_problem(file, int(i) + 1, None, f"the row has more cells than the header (extra: {vals}), "
                                 "so its values may be shifted (a comma inside a study name or a number?): row left "
                                 "out"))
        bad[i] = True
    return bad


def read_revman(data, file: str = "RevMan file", *, measures: dict | None = None,
                decimal_comma: bool = False) -> RevManData:
    """Read a RevMan data download (or a Pairwise70 frame) into its analyses.

    Parameters
    ----------
    data : pandas.DataFrame
        The file's table, cells as strings or numbers (a :class:`peerstats.readers.Table` converted, or a frame
        read from R). Headers are matched ignoring case, spaces, hyphens and dots.
    file : str
        Name used in problems.
    measures : dict, optional
        Analysis code (``"1.2"``) -> measure, for analyses whose measure the file's numbers cannot reveal (no
        ``Mean`` column values) or to override the inference.
    decimal_comma : bool
        Numbers may be written ``0,25``.

    Returns
    -------
    RevManData
        Analyses in file order; ``problems`` (:class:`peerstats.data.Problem`, 1-based data rows): errors for rows
        or analyses left out, warnings for rows where the file's ``Mean``/CI and the computed ones disagree.

    Raises
    ------
    ValueError
        The columns are not a RevMan file's (:func:`is_revman`).
    """
    names = _columns(data.columns)
    if not is_revman(data.columns):
        missing = [COLUMNS[k] for k in _REQUIRED if k not in names]
        raise ValueError("not a RevMan data file" + (f": no {', '.join(missing)} column" if missing else
                                                     ": no data columns (cases and N, mean and SD, GIV or O-E)"))
    measures = dict(measures or {})
    problems: list = []
    n = len(data)
    s: dict[str, np.ndarray] = {}
    for key in _NUMERIC:
        if key in names:
            s[key] = _number_column(data[names[key]], names[key], file, problems, decimal_comma, key=key)
        else:
            s[key] = np.full(n, np.nan)
    text = {k: (_text_column(data[names[k]]) if k in names else [""] * n)
            for k in ("analysis_name", "subgroup", "study", "applicability")}
    s["study"] = np.array(text["study"], dtype=object)
    rob = {"rob_" + _norm(c).replace("judgement", ""): _text_column(data[c]) for c in data.columns
           if "judgement" in _norm(c)}
    tol = tuple(0.5 * 10.0 ** -_decimals(data[names[k]].tolist()) if k in names else 0.0
                for k in ("mean", "ci_start", "ci_end"))
    checked = _check_rows(s, file, names)
    overflow = _overflow_rows(data, file, problems)
    if overflow.any():
        checked = {fam: (bad | overflow, found) for fam, (bad, found) in checked.items()}

    groups: dict[str, list[int]] = {}
    gname: dict[str, str] = {}
    totals = 0
    for i in range(n):
        g, num = s["analysis_group"][i], s["analysis_number"][i]
        if not (np.isfinite(g) and np.isfinite(num)):
            problems.append(_problem(file, i + 1, names["analysis_number"],
                                     "no analysis group or number: row left out"))
            continue
        if not text["study"][i]:
            totals += 1
            continue
        code = f"{_code(g)}.{_code(num)}"
        groups.setdefault(code, []).append(i)
        gname.setdefault(code, text["analysis_name"][i])
    if totals:
        problems.append(_problem(file, None, names["study"], f"{totals} row{'s' if totals != 1 else ''} without a "
                                 "study (totals or empty analyses) left out", "warning"))

    analyses = []
    for code, rows in groups.items():
        idx = np.array(rows)
        label = f"{code} {gname[code]}".strip()
        fams = _families_present(s, idx)
        if not fams:
            problems.append(_problem(file, None, None, f"analysis {label}: no data (cases and N, means and SDs, "
                                     "GIV or O-E) in any row: left out"))
            continue
        best = None
        for rank_f, fam in enumerate(fams):
            good = idx[~checked[fam][0][idx]]
            if good.size == 0:
                continue
            fm, fl, fh = s["mean"][good], s["ci_start"][good], s["ci_end"][good]
            for rank_m, (m, (yi, vi)) in enumerate(_candidates(s, fam, good)):
                if code in measures and measures[code] != m:
                    continue
                for rank_l, lev in enumerate(_LEVELS):
                    agree, file_has = _agreement(m, yi, vi, lev, fm, fl, fh, tol)
                    score = float(agree[file_has].mean()) if file_has.any() else math.nan
                    key = (-(score if score == score else -1), rank_f, rank_m, rank_l)
                    if best is None or key < best[0]:
                        best = (key, fam, m, lev, yi, vi, agree, file_has, good, score)
                    if not file_has.any() or score == 1.0:
                        break
                if best is not None and best[-1] == 1.0:
                    break  # every row reproduced: no later candidate can rank higher
            if best is not None and best[-1] == 1.0:
                break
        if best is None:
            problems.append(_problem(file, None, None, f"analysis {label}: " + (
                f"measure {measures[code]!r} does not fit its columns ({', '.join(fams)})" if code in measures
                else "no usable study row") + ": left out"))
            mine = set(idx.tolist())
            for fam in fams:
                problems += [p for i, p in checked[fam][1] if i in mine]
            continue
        _, fam, m, lev, yi, vi, agree, file_has, good, score = best
        mine = set(idx.tolist())
        problems += [p for i, p in checked[fam][1] if i in mine]
        fm, fl, fh = s["mean"][good], s["ci_start"][good], s["ci_end"][good]
        inferred = code not in measures
        if inferred and not file_has.any() and fam == "dichotomous" and not np.any(s["ai"][good] + s["ci"][good] > 0):
            problems.append(_problem(file, None, None, f"analysis {label}: no study has an event in either arm, so "
                                     "no effect can be estimated (RevMan shows none): left out", "warning"))
            continue
        if inferred and not file_has.any():
            problems.append(_problem(file, None, None, f"analysis {label}: the measure cannot be inferred (the file "
                                     f"gives no Mean/CI to check against; {fam} data allow "
                                     f"{', '.join(_FAMILIES[fam])}, which give different numbers): left out. RevMan's data "
                                     "download gives every study's Mean and CI; export the analysis again with them, "
                                     "or name its measure (read_revman's measures)"))
            continue
        disagree = tuple(int(i) + 1 for i, ok, fh_ in zip(good, agree, file_has) if fh_ and not ok)
        if disagree:
            est, lo, hi = _natural(m, yi, vi, lev)
            j = int(np.flatnonzero(file_has & ~agree)[0])
            shown = ", ".join(str(r) for r in disagree[:10]) + (f" and {len(disagree) - 10} more"
                                                                 if len(disagree) > 10 else "")
            problems.append(_problem(
                file, None, names.get("mean"),
                f"analysis {label} ({MEASURE_NAMES[m]}): the file's own Mean/CI differ from the computed ones on "
                f"row{'s' if len(disagree) > 1 else ''} {shown} (row {disagree[0]}: computed {est[j]:.4g} "
                f"[{lo[j]:.4g}, {hi[j]:.4g}], file {fm[j]:.4g} [{fl[j]:.4g}, {fh[j]:.4g}])", "warning"))
        frame = {
            "row": good + 1, "study": [text["study"][i] for i in good],
            "year": s["year"][good],
            "subgroup": [text["subgroup"][i] for i in good], "subgroup_number": s["subgroup_number"][good],
            "applicability": [text["applicability"][i] for i in good],
        }
        inputs = {"dichotomous": ("ai", "n1i", "ci", "n2i"), "continuous": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
                  "generic inverse variance": ("giv_mean", "giv_se"), "O-E and variance": ("oe", "variance")}[fam]
        for k in inputs:
            frame[k] = s[k][good]
        frame.update({"yi": yi, "vi": vi, "estimable": np.isfinite(yi) & np.isfinite(vi), "file_mean": fm,
                      "file_ci_low": fl, "file_ci_high": fh, "file_weight": s["weight"][good],
                      "agrees": [bool(a) if h else None for a, h in zip(agree, file_has)]})
        for key, vals in rob.items():
            frame[key] = [vals[i] for i in good]
        analyses.append(Analysis(code=code, name=gname[code], label=label, data_type=fam, measure=m, level=lev,
                                 agreement=score, columns=frame, disagree_rows=disagree, inferred=inferred))
    if not analyses and not any(p.severity == "error" and p.row is None for p in problems):
        problems.append(_problem(file, None, None, "no analysis with study rows in the file"))
    return RevManData(file=file, analyses=tuple(analyses),
                      problems=sorted(problems, key=lambda p: (p.row if p.row is not None else 0)))


# ----------------------------------------------------------------------------------------------------------------
# import_studies' RevMan path
# ----------------------------------------------------------------------------------------------------------------

#: What a row's effect is, per measure (the evidence frame's ``formula``).
FORMULAS = {
    "RR": "RevMan log risk ratio (0.5 added to every cell of a study with a zero cell)",
    "OR": "RevMan log odds ratio (0.5 added to every cell of a study with a zero cell)",
    "RD": "RevMan risk difference (variance with 0.5 added to every cell of a study with a zero cell)",
    "PETO": "RevMan log Peto odds ratio (O - E) / V",
    "MD": "RevMan mean difference",
    "SMD": "RevMan standardised mean difference (Hedges' adjusted g, J = 1 - 3/(4N - 9))",
    "GIV": "generic inverse variance: GIV Mean and GIV SE as given",
    "GIV_RATIO": "generic inverse variance: GIV Mean (a log ratio) and GIV SE as given",
    "OE": "log ratio (O - E) / V with variance 1 / V",
}


def _slug(text: str, prefix: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    return s if s and s[0].isalpha() else (f"{prefix}_{s}" if s else prefix)


_INPUT_WORDS = {"ai": "experimental cases", "n1i": "experimental N", "ci": "control cases", "n2i": "control N",
                "m1i": "experimental mean", "sd1i": "experimental SD", "m2i": "control mean", "sd2i": "control SD"}


def _why_not_estimable(columns, i) -> str:
    """"row 3: control cases and control N missing" / "row 7: no events in either arm": why a study row has no
    estimate, in words (unknown is not zero: a missing cell is said to be missing)."""
    row = f"row {columns['row'][i]}"
    missing = [w for k, w in _INPUT_WORDS.items() if k in columns and not np.isfinite(columns[k][i])]
    if missing:
        return f"{row}: {', '.join(missing)} missing"
    if "ai" in columns and columns["ai"][i] == 0 and columns["ci"][i] == 0:
        return f"{row}: no events in either arm (RevMan shows no estimate)"
    if "ai" in columns and columns["ai"][i] == columns["n1i"][i] and columns["ci"][i] == columns["n2i"][i]:
        return f"{row}: every participant had the event (RevMan shows no estimate)"
    if "sd1i" in columns and (columns["sd1i"][i] == 0 or columns["sd2i"][i] == 0):
        return f"{row}: an SD of 0 (no variance to weight by)"
    return f"{row}: RevMan's formulas give no estimate"


def import_revman(table, file: str, base: dict, problems: list):
    """:func:`peerstats.import_studies`' RevMan path: the parts of its :class:`~peerstats.importer.ImportResult`.

    Every analysis becomes an outcome (code ``analysis_<group>_<number>``, text ``"1.2 Mortality at 30 days"``);
    the evidence frame has one row per estimable study row with ``yi``/``vi`` on the measure's scale (log for
    ratios), ``measure``, the events and arm data, ``subgroup`` (a categorical moderator), ``study_year`` (a numeric
    moderator), the RoB 2 judgements (``rob2_<domain>``, categorical) and RevMan's own ``file_mean``,
    ``file_ci_low``, ``file_ci_high``, ``file_weight``. Study rows that are not estimable (e.g. no events in either
    arm for a ratio) are left out with a warning per analysis. ``detected["revman"]`` holds the
    :class:`RevManData` (every analysis with its measure, CI level and agreement with the file);
    ``detected["measures"]`` maps outcome code -> measure.

    Parameters
    ----------
    table : peerstats.readers.Table
        The file as read.
    file : str
        Its name, for problems.
    base : dict
        ``columns``, ``preview``, ``n_rows``, ``fingerprint``, ``detected`` (as :func:`import_studies` builds them).
    problems : list
        Problems found so far (reader notes).

    Returns
    -------
    dict
        ``trials`` and ``effects`` (frames, or None when no analysis has an estimable study), ``problems``,
        ``mapping``, ``moderators``, ``moderator_names``, ``outcomes``, ``detected``: the importer maps the RoB 2
        judgements onto the codebook and builds the ``ImportResult`` (this module does not import the importer).
    """
    df = pd.DataFrame(table.rows, columns=list(table.columns))
    data = read_revman(df, file, decimal_comma=table.decimal_comma)
    problems = list(problems) + list(data.problems)
    names = _columns(table.columns)
    mapping = {k: names[k] for k in ("study", "year", "subgroup") if k in names}
    detected = dict(base.get("detected") or {}, format="revman", revman=data)
    base = {k: v for k, v in base.items() if k != "detected"}
    parts, outcomes, measures = [], {}, {}
    for a in data.analyses:
        c = a.columns
        keep = np.asarray(c["estimable"], dtype=bool)
        lost = ~keep
        if lost.any():
            rows = "; ".join(_why_not_estimable(c, i) for i in np.flatnonzero(lost)[:10])
            problems.append(_problem(file, None, None, f"analysis {a.label}: {int(lost.sum())} stud"
                                     f"{'ies are' if lost.sum() != 1 else 'y is'} not estimable ({rows}): "
                                     "left out of pooling", "warning"))
        if not keep.any():
            problems.append(_problem(file, None, None, f"analysis {a.label}: no estimable study: left out"))
            continue
        code = f"analysis_{a.code.replace('.', '_')}"
        outcomes[code] = ("clinical", a.label, +1)
        measures[code] = a.measure
        n = int(keep.sum())
        part = {"row": c["row"][keep], "study": np.asarray(c["study"], dtype=object)[keep],
                "outcome": np.full(n, code, dtype=object), "measure": np.full(n, a.measure, dtype=object),
                "subgroup": np.asarray(c["subgroup"], dtype=object)[keep], "study_year": c["year"][keep]}
        for k in ("ai", "n1i", "ci", "n2i", "m1i", "sd1i", "m2i", "sd2i"):
            part[k] = c[k][keep] if k in c else np.full(n, np.nan)
        for k in ("yi", "vi", "file_mean", "file_ci_low", "file_ci_high", "file_weight"):
            part[k] = np.asarray(c[k])[keep]
        for k in [k for k in c if k.startswith("rob_")]:
            part["rob2_" + k[4:]] = np.asarray(c[k], dtype=object)[keep]
        parts.append(part)
    if not parts:
        problems.append(_problem(file, None, None, "no analysis with an estimable study in the RevMan file"))
        return dict(trials=None, effects=None, problems=problems, mapping=mapping, detected=detected)
    keys = list(dict.fromkeys(k for p in parts for k in p))
    long = pd.DataFrame({k: np.concatenate([p[k] if k in p else np.full(len(p["row"]), "", dtype=object)
                                            for p in parts]) for k in keys})
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for s in long["study"]:
        if s not in ids:
            tid, k = _slug(s, "study"), 2
            while tid in taken:
                tid, k = f"{_slug(s, 'study')}_{k}", k + 1
            ids[s] = tid
            taken.add(tid)
    long["trial_id"] = long["study"].map(ids)
    primary = ~long.duplicated(["trial_id", "outcome", "subgroup"])

    def ints(x):
        return pd.array([int(v) if np.isfinite(v) else pd.NA for v in x], dtype="Int64")

    eff = pd.DataFrame({
        "effect_id": [f"row{r}" for r in long["row"]], "trial_id": long["trial_id"], "outcome": long["outcome"],
        "domain": "clinical", "instrument": "", "timepoint": "", "n_peer": ints(long["n1i"]),
        "n_control": ints(long["n2i"]), "mean_peer": long["m1i"], "sd_peer": long["sd1i"],
        "mean_control": long["m2i"], "sd_control": long["sd2i"], "md": np.nan, "md_ci_low": np.nan,
        "md_ci_high": np.nan, "smd_reported": np.nan, "smd_ci_low": np.nan, "smd_ci_high": np.nan,
        "yi": long["yi"], "vi": long["vi"],
        "provenance": ["reported" if m.startswith("GIV") or m == "OE" else "derived" for m in long["measure"]],
        "formula": [FORMULAS[m] for m in long["measure"]], "source_url": "",
        "source_locator": [f"row {r} of {file}" for r in long["row"]], "source_quote": "", "primary": primary,
        "higher_score_means_more": True, "note": "", "paper_cells": "", "target_cell": "", "row": long["row"],
        "measure": long["measure"], "events_peer": ints(long["ai"]), "events_control": ints(long["ci"]),
        "file_mean": long["file_mean"], "file_ci_low": long["file_ci_low"], "file_ci_high": long["file_ci_high"],
        "file_weight": long["file_weight"], "subgroup": long["subgroup"], "study_year": long["study_year"],
    })
    kinds = {"subgroup": "categorical", "study_year": "numeric"}
    mod_names = {"subgroup": names.get("subgroup", "Subgroup"), "study_year": names.get("year", "Study year")}
    for k in [c for c in long.columns if c.startswith("rob2_")]:
        eff[k] = long[k]
        kinds[k] = "categorical"
        mod_names[k] = k
    if not eff["subgroup"].astype(bool).any():
        eff = eff.drop(columns="subgroup")
        del kinds["subgroup"], mod_names["subgroup"]
    first = long.drop_duplicates("trial_id")
    trials = pd.DataFrame({"trial_id": first["trial_id"].to_numpy(), "label": first["study"].to_numpy(),
                           "year": ints(first["study_year"]),
                           "n_randomized": pd.array([pd.NA] * len(first), dtype="Int64")})
    detected["measures"] = measures
    return dict(trials=trials, effects=eff.reset_index(drop=True), problems=problems, mapping=mapping,
                moderators=kinds, moderator_names=mod_names, outcomes=outcomes, detected=detected)
