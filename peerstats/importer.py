"""Bring your own review: turn a user's table of studies into an :class:`~peerstats.data.Evidence`.

:func:`import_studies` reads the bytes of a CSV / TSV / semicolon / .xlsx file (:mod:`peerstats.readers`), finds
which column plays which *role* (recognised from metafor's ``escalc`` names, the Metapsy data standard and common
spellings, or given as ``mapping``), computes one effect per row and returns an :class:`ImportResult`. It is pure and
never raises: every bad input becomes a :class:`~peerstats.data.Problem` (1-based data row, column, words), and rows
with an error are left out of the evidence but never silently.

Roles (:data:`ROLES`)
---------------------
``study`` (required); arm data ``m1i, sd1i, n1i, m2i, sd2i, n2i`` (arm 1 = intervention); ``yi`` with ``vi`` or
``sei``; ``yi`` (a reported SMD) with ``ci_low`` and ``ci_high``; a mean difference ``md`` with ``md_ci_low``,
``md_ci_high`` and the arm sizes; ``t`` or ``f`` (F(1, df), with ``sign``) and the arm sizes; optional ``outcome``,
``domain``, ``year``, ``instrument``, ``timepoint``, ``direction`` (false / -1 where a higher score means less of
the construct: ``yi`` is then negated, :func:`peerstats.effects.align_sign`) and ``source_url``. Every other column
becomes a moderator (:data:`ImportResult.moderators`) of one kind: ``"categorical"`` (a filter and a subgroup
variable: text with at most 12 distinct values, or whole numbers with at most 5, e.g. codes 0 / 1, and at least two
levels), ``"numeric"`` (numbers; always so when the name says it holds a statistic, e.g. ``mean_arm1``,
``precalc_g``, ``baseline_sd``; cells such as ``NR`` are missing), ``"text"`` (many distinct texts: shown) or
``"constant"`` (one value in the used rows: shown, nothing to filter or split by).

Effect of a row, first complete source wins
-------------------------------------------
1. Arm data: Hedges' g, :func:`peerstats.effects.smd` (``escalc("SMD")``). When ``yi`` is given too and differs by
   more than the rounding of the inputs allows from both Hedges' g and the uncorrected Cohen's d of the arm data,
   the row is refused with words (one of the two is wrong, and the file does not say which); the same size with the
   opposite sign is only a warning (the arm data are used).
2. ``yi`` with ``vi`` (or ``sei**2``), as given.
3. ``yi`` with its confidence interval: :func:`~peerstats.effects.smd_from_smd_ci`.
4. ``md`` with its interval and arm sizes: :func:`~peerstats.effects.smd_from_md_ci`.
5. ``t`` and arm sizes: :func:`~peerstats.effects.smd_from_t`; ``f``, ``sign`` and arm sizes:
   :func:`~peerstats.effects.smd_from_f`.

Risk of bias (:data:`ROB_COLUMNS`)
----------------------------------
Columns not used by a role whose name says they hold risk-of-bias judgements are mapped onto the codebook's trial
columns (``data/README.md``), whatever the roles' mapping: Cochrane RoB 2 domains and overall judgement (the Metapsy
standard's ``RoB_D1`` .. ``RoB_D5`` and ``overall_RoB``, Cochrane's "low / some concerns / high" columns, or the
codebook's own ``rob2_*`` names) onto ``rob2_d1_randomisation`` .. ``rob2_d5_selection`` and ``rob2_overall``
(``low`` / ``some_concerns`` / ``high``); the Cochrane risk-of-bias tool's domains ("low / unclear / high":
sequence generation, allocation concealment, blinding of outcome assessment, incomplete outcome data, selective
reporting, and the codebook's power calculation and intention to treat) onto the seven ``rob_*`` columns; a single
``risk_of_bias`` column onto ``rob2_overall`` (where it says "unclear", RoB 1's middle level, it is read as "some
concerns", and said). Where a trial's rows carry different judgements the most severe is the trial's (RoB 2 judges
each result; ``data/build/rob2.py`` does the same), with a warning naming the rows. A cell that is not a judgement
is a warning on its row and the trial's rating comes from its other rows or stays empty (unknown, never low); the
file's column then also stays an ordinary column, so nothing is lost. :attr:`ImportResult.rob` says which column
became which codebook column and how many trials are rated.

The bundled data set's own format (:func:`import_bundled`)
---------------------------------------------------------
A file whose header holds every required column of the codebook's effects file (:data:`peerstats.data.EFFECT_REQUIRED`)
or trials file (:data:`~peerstats.data.TRIAL_REQUIRED`) is in the bundled data set's own format (``data/README.md``)
and is read as such when no mapping is given, as a RevMan file is recognised by its columns: the same reader
(encodings, delimiters, .xlsx), the same :class:`ImportResult`, row-by-row :class:`~peerstats.data.Problem` s from
the codebook's own validators (:func:`~peerstats.data.validate_trials`, :func:`~peerstats.data.validate_effects`),
with ``file`` ``"trials"`` or ``"effects"``. :func:`import_bundled` takes both files at once (either may be
missing: it comes from the bundled data, ``base``). Unlike a study table, a file in the codebook's format is used
whole or not at all: one error (a row with a field too many, an unknown trial, a variance <= 0) means the file is
not what its header claims, so nothing is used and every problem is listed; ``detected["format"] == "bundled"``.

Variances must lie in [:data:`VI_MIN`, :data:`VI_MAX`]: outside it the inverse-variance weights ``1 / vi`` (and
their sums) lose all precision or overflow, so such rows are refused with words. A standardised effect beyond
``|yi| > G_WARN`` (5) is refused unless the caller confirms it (``confirm_extreme=True``: kept with a warning);
beyond :data:`G_MAX` (50) it is refused always (no comparison of two real groups is 50 SDs apart, and the squares of
such values swamp every heterogeneity statistic).

Messages count and name rows (:attr:`ImportResult.rows_left_out` counts each refused row once, however many errors
it has) and print numbers as numbers (``1e+300``, never a Python repr).

References
----------
.. [1] Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw 36(3).
.. [2] Metapsy data standard, https://docs.metapsy.org/data-preparation/format/
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from peerstats import effects as fx
from peerstats import revman
from peerstats.data import (EFFECT_REQUIRED, OUTCOMES, TRIAL_REQUIRED, Evidence, Problem, parse_effects, parse_trials,
                            validate_effects, validate_trials)
from peerstats.readers import Table, parse_judgement, parse_number, read_table
from peerstats.rma import VI_SPREAD
from peerstats.vocabulary import CATEGORIES, CONTROLS, FORMATS, LEADERSHIP, QUALITY, ROB_DOMAINS, ROB_LEVELS

__all__ = ["ImportResult", "RobMapping", "import_studies", "import_bundled", "bundled_kind", "guess_mapping", "guess_rob_columns", "ROLES",
           "ROB_COLUMNS", "VI_MIN", "VI_MAX", "G_WARN", "G_MAX", "TEMPLATE_METAFOR", "TEMPLATE_METAPSY"]

#: role -> what it means (the words the mapping form shows).
ROLES: dict[str, str] = {
    "study": "Study name (required)",
    "outcome": "Outcome",
    "domain": "Outcome domain (personal / clinical)",
    "year": "Year",
    "m1i": "Mean, intervention arm", "sd1i": "SD, intervention arm", "n1i": "N, intervention arm",
    "m2i": "Mean, control arm", "sd2i": "SD, control arm", "n2i": "N, control arm",
    "yi": "Effect size (SMD / Hedges' g)", "vi": "Variance of the effect", "sei": "Standard error of the effect",
    "ci_low": "Lower CI of the effect", "ci_high": "Upper CI of the effect",
    "md": "Mean difference", "md_ci_low": "Lower CI of the mean difference",
    "md_ci_high": "Upper CI of the mean difference",
    "t": "t statistic (intervention - control)", "f": "F(1, df) statistic", "sign": "Sign of F (+1 / -1)",
    "direction": "Higher score means more of the outcome (true / false)",
    "instrument": "Instrument", "timepoint": "Time point", "source_url": "Source link (http/https)",
}
_NUMERIC = ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "yi", "vi", "sei", "ci_low", "ci_high", "md", "md_ci_low",
            "md_ci_high", "t", "f")
_ARMS = ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")

# Normalised spellings (lower case, letters and digits only), most specific first.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "study": ("study", "studlab", "studyname", "studyid", "studylabel", "trial", "trialname", "trialid", "label",
              "author", "authors", "authoryear", "firstauthor", "reference", "citation", "name"),
    "outcome": ("outcome", "outcomename", "outcomecategory", "construct", "endpoint", "outcomes"),
    "domain": ("domain", "outcomedomain"),
    "year": ("year", "pubyear", "publicationyear", "yearofpublication"),
    "m1i": ("m1i", "meanarm1", "m1", "mean1", "meane", "meanexp", "meanint", "meanintervention", "meantreatment",
            "meantreat", "meanpeer", "meanig", "meant", "interventionmean", "treatmentmean", "me"),
    "sd1i": ("sd1i", "sdarm1", "sd1", "sde", "sdexp", "sdint", "sdintervention", "sdtreatment", "sdtreat", "sdpeer",
             "sdig", "sdt", "interventionsd", "treatmentsd", "s1"),
    "n1i": ("n1i", "narm1", "n1", "ne", "nexp", "nint", "nintervention", "ntreatment", "ntreat", "npeer", "nig",
            "nt", "interventionn", "treatmentn"),
    "m2i": ("m2i", "meanarm2", "m2", "mean2", "meanc", "meanctrl", "meancontrol", "meancon", "meancg",
            "controlmean", "mc"),
    "sd2i": ("sd2i", "sdarm2", "sd2", "sdc", "sdctrl", "sdcontrol", "sdcon", "sdcg", "controlsd", "s2"),
    "n2i": ("n2i", "narm2", "n2", "nc", "nctrl", "ncontrol", "ncon", "ncg", "controln"),
    "yi": ("yi", "g", "hedgesg", "smd", "es", "effectsize", "te", "d", "cohensd", "effect"),
    "vi": ("vi", "var", "variance", "vyi", "varyi", "varg", "v"),
    "sei": ("sei", "se", "gse", "seg", "sesmd", "standarderror", "sete", "seyi"),
    "ci_low": ("cilow", "cilb", "cilower", "lower", "lowerci", "lci", "lcl", "ll", "lb", "ci95low", "lower95"),
    "ci_high": ("cihigh", "ciub", "ciupper", "upper", "upperci", "uci", "ucl", "ul", "ub", "ci95high", "upper95"),
    "md": ("md", "meandifference", "meandiff", "mdiff"),
    "md_ci_low": ("mdcilow", "mdcilb", "mdlower", "mdlcl", "mdll"),
    "md_ci_high": ("mdcihigh", "mdciub", "mdupper", "mducl", "mdul"),
    "t": ("t", "tvalue", "tstat", "tstatistic"),
    "f": ("f", "fvalue", "fstat", "fstatistic"),
    "sign": ("sign", "fsign", "signf"),
    "direction": ("direction", "higherscoremeansmore", "higherismore", "scaledirection"),
    "instrument": ("instrument", "scale", "measure", "questionnaire"),
    "timepoint": ("timepoint", "time", "followup", "assessment"),
    "source_url": ("sourceurl", "url", "link", "source"),
}

#: Codebook risk-of-bias column -> (scale, normalised column names that mean it, most specific first). Scales:
#: ``"rob2"`` (low / some_concerns / high), ``"rob1"`` (low / unclear / high); see :data:`peerstats.readers.JUDGEMENTS`.
ROB_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "rob2_d1_randomisation": ("rob2", (
        "rob2d1randomisation", "robd1", "rob2d1", "d1", "d1randomisation", "d1randomization", "randomisationprocess",
        "randomizationprocess", "biasarisingfromtherandomisationprocess", "biasarisingfromtherandomizationprocess")),
    "rob2_d2_deviations": ("rob2", (
        "rob2d2deviations", "robd2", "rob2d2", "d2", "d2deviations", "deviationsfromintendedinterventions",
        "deviationsfromtheintendedinterventions", "biasduetodeviationsfromintendedinterventions")),
    "rob2_d3_missing_data": ("rob2", (
        "rob2d3missingdata", "robd3", "rob2d3", "d3", "d3missingdata", "d3missingoutcomedata", "missingoutcomedata",
        "biasduetomissingoutcomedata")),
    "rob2_d4_measurement": ("rob2", (
        "rob2d4measurement", "robd4", "rob2d4", "d4", "d4measurement", "measurementoftheoutcome",
        "biasinmeasurementoftheoutcome")),
    "rob2_d5_selection": ("rob2", (
        "rob2d5selection", "robd5", "rob2d5", "d5", "d5selection", "selectionofthereportedresult",
        "biasinselectionofthereportedresult")),
    "rob2_overall": ("rob2", (
        "rob2overall", "overallrob", "roboverall", "overallrob2", "rob2", "overallriskofbias", "riskofbiasoverall",
        "overallbias", "riskofbias", "riskofbiasjudgement", "robjudgement")),
    "rob_sequence_generation": ("rob1", (
        "robsequencegeneration", "sequencegeneration", "randomsequencegeneration",
        "randomsequencegenerationselectionbias", "selectionbiasrandomsequencegeneration")),
    "rob_allocation_concealment": ("rob1", (
        "roballocationconcealment", "allocationconcealment", "allocationconcealmentselectionbias",
        "selectionbiasallocationconcealment")),
    "rob_blinding_assessors": ("rob1", (
        "robblindingassessors", "blindingofoutcomeassessment", "blindingofoutcomeassessmentdetectionbias",
        "detectionbiasblindingofoutcomeassessment", "blindingoutcomeassessment", "blindingofassessors",
        "blindingassessors", "detectionbias")),
    "rob_incomplete_data": ("rob1", (
        "robincompletedata", "incompleteoutcomedata", "incompleteoutcomedataattritionbias",
        "attritionbiasincompleteoutcomedata", "incompletedata", "attritionbias")),
    "rob_selective_reporting": ("rob1", (
        "robselectivereporting", "selectivereporting", "selectivereportingreportingbias",
        "reportingbiasselectivereporting", "selectiveoutcomereporting", "reportingbias")),
    "rob_power_calculation": ("rob1", ("robpowercalculation", "powercalculation", "samplesizecalculation")),
    "rob_intent_to_treat": ("rob1", ("robintenttotreat", "intenttotreat", "intentiontotreat", "ittanalysis")),
}
_SEVERITY = {"low": 0, "some_concerns": 1, "unclear": 1, "high": 2}
_LEVEL_WORDS = {"low": "low", "some_concerns": "some concerns", "unclear": "unclear", "high": "high"}
_SCALE_WORDS = {"rob2": "low / some concerns / high", "rob1": "low / unclear / high"}
#: Column names of a single overall judgement that may be written on RoB 1's scale (unclear read as some concerns).
_SINGLE_OVERALL = ("riskofbias", "overallriskofbias", "riskofbiasoverall", "overallbias", "riskofbiasjudgement",
                   "robjudgement")

#: Smallest and largest sampling variance accepted per row (an SMD's vi is about 4 / N: 1e-8 is a trial of 400
#: million people). The engine refuses vi outside ``peerstats.rma.VI_RANGE`` and variances more than
#: ``VI_SPREAD`` apart in one analysis (their weights overflow or swamp each other); a file whose rows span more
#: than that gets a warning.
VI_MIN = 1e-8
VI_MAX = 1e4
#: Standardised effects larger than this in absolute value are refused unless confirmed (``confirm_extreme``).
G_WARN = 5.0
#: Standardised effects larger than this in absolute value are refused, confirmed or not.
G_MAX = 50.0
#: Distinct values up to which a column is a categorical moderator (numeric columns: whole numbers with up to
#: _NUMERIC_CATEGORICAL distinct values, e.g. codes 0 / 1, unless the name says it holds a statistic).
_CATEGORICAL_MAX = 12
_NUMERIC_CATEGORICAL = 5
#: Cells that say "not reported" in a column of numbers: missing there (the column stays numeric).
NOT_REPORTED = frozenset({"nr", "n.r.", "n/r", "not reported", "nd", "n.d.", "missing", "?"})
#: Column names of statistics (arm data, effects, their errors): numeric, never categorical, whatever their values.
_STATISTIC = re.compile(r"arm_?\d|precalc|baseline|(^|[^a-z])(mean|means|sd|se|var|variance|n|events?|totaln|total_n|"
                        r"g|d|smd|md|es|yi|vi|sei|log_?rr|log_?or|ci|lower|upper|lcl|ucl|t|f|p)([^a-z]|$)", re.I)

#: Normalised column names that name the intervention arm (the Metapsy standard's ``condition_arm1`` first).
INTERVENTION_COLUMNS = ("conditionarm1", "intervention", "interventionname", "interventiontype", "treatment",
                        "treatmentname", "experimental", "experimentalcondition", "condition1", "arm1")

_TRUE = {"true", "1", "+1", "yes", "y", "t", "higher", "more", "+"}
_FALSE = {"false", "0", "-1", "no", "n", "f", "lower", "less", "-"}
#: Codebook columns a file may carry in the codebook's own codes (then the app's built-in filters use them).
_CODED = {"category": CATEGORIES, "quality": QUALITY, "control": CONTROLS, "leadership": LEADERSHIP,
          "format": FORMATS, **{d: ROB_LEVELS for d in ROB_DOMAINS}}
_RESERVED = {"trial_id", "label", "year", "effect_id", "outcome", "domain", "instrument", "timepoint", "yi", "vi",
             "n", "n_peer", "n_control", "mean_peer", "sd_peer", "mean_control", "sd_control", "md", "md_ci_low",
             "md_ci_high", "smd_reported", "smd_ci_low", "smd_ci_high", "provenance", "formula", "source_url",
             "source_locator", "source_quote", "primary", "higher_score_means_more", "note", "paper_cells",
             "target_cell", "row", "n_randomized", "country", "refs"}

TEMPLATE_METAFOR = ("study,year,outcome,m1i,sd1i,n1i,m2i,sd2i,n2i,yi,vi\n"
                    "Example A 2019,2019,depression,10.2,4.1,40,12.0,4.5,38,,\n"
                    "Example B 2021,2021,depression,,,,,,,-0.31,0.045\n")
TEMPLATE_METAPSY = ("study,outcome,instrument,time,mean_arm1,sd_arm1,n_arm1,mean_arm2,sd_arm2,n_arm2,.g,.g_se\n"
                    "\"Example A, 2019\",depression,PHQ-9,post,10.2,4.1,40,12.0,4.5,38,,\n"
                    "\"Example B, 2021\",depression,BDI-II,post,,,,,,,-0.31,0.212\n")


@dataclass(frozen=True)
class RobMapping:
    """One risk-of-bias column of a file mapped onto the codebook.

    Attributes
    ----------
    codebook : str
        The codebook's trials column (``rob2_overall``, ``rob_sequence_generation``, ...).
    column : str
        The file's column.
    scale : str
        The judgements read, in words (``"low / some concerns / high"``).
    n_trials : int
        Studies in the imported evidence.
    n_rated : int
        Studies with a judgement (the rest are unknown: empty, never low).
    counts : tuple of (code, int)
        Studies per judgement, in severity order.
    n_conflicting : int
        Studies whose rows carry different judgements (the most severe was taken).
    n_unrecognised : int
        Cells that are not a judgement (each a warning on its row).
    note : str
        What else was assumed, in words (e.g. RoB 1's "unclear" read as RoB 2's "some concerns").
    """

    codebook: str
    column: str
    scale: str
    n_trials: int
    n_rated: int
    counts: tuple = ()
    n_conflicting: int = 0
    n_unrecognised: int = 0
    note: str = ""


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_studies` made of a file.

    Attributes
    ----------
    evidence : Evidence or None
        ``source="upload"``; ``trials`` one row per study (``trial_id``, ``label``, ``year``, moderators),
        ``effects`` one row per usable file row in file order (codebook columns, ``row`` = file data row, the
        moderators). ``None`` when no row could be used.
    problems : list of Problem
        Errors (row left out) and warnings (row used; ``severity="warning"``), in file order.
    mapping : dict
        role -> file column actually used.
    moderators : dict
        Frame column -> ``"categorical"`` (filters and subgroups: 2+ levels), ``"numeric"``, ``"text"`` or
        ``"constant"`` (one value) (see the module docstring; only categorical columns are analysed).
    moderator_names : dict
        Frame column -> the file's column name.
    outcomes : dict
        outcome code -> (domain, the file's outcome text, +1), in order of first appearance.
    columns : tuple of str
        The file's columns (for the mapping form).
    preview : DataFrame
        The first rows of the file as read (strings).
    n_rows : int
        Data rows in the file.
    fingerprint : str
        16 hex digits of SHA-256 over the file's bytes and the mapping: the same data give the same fingerprint.
    detected : dict
        ``kind``, ``encoding``, ``delimiter``, ``decimal_comma``, ``sheets``.
    rob : tuple of RobMapping
        The risk-of-bias columns mapped onto the codebook (empty when the file has none: risk of bias unknown).
    intervention : str
        What the file compares with control, in its own words, when a column named for it (``condition_arm1``,
        ``intervention``, ``treatment``, ...; :data:`INTERVENTION_COLUMNS`) holds one value over the used rows
        ("peer support"; a capitalised word is lowered, an acronym kept); ``""`` when the file does not say.
    """

    evidence: Evidence | None
    problems: list
    mapping: dict
    moderators: dict = field(default_factory=dict)
    moderator_names: dict = field(default_factory=dict)
    outcomes: dict = field(default_factory=dict)
    columns: tuple = ()
    preview: pd.DataFrame | None = None
    n_rows: int = 0
    fingerprint: str = ""
    detected: dict = field(default_factory=dict)
    rob: tuple = ()
    intervention: str = ""

    @property
    def rows_left_out(self) -> int:
        """Data rows left out because of an error on them, each counted once (a row may have several errors)."""
        return len({p.row for p in self.errors if p.row is not None})

    @property
    def errors(self) -> list:
        return [p for p in self.problems if getattr(p, "severity", "error") == "error"]

    @property
    def warnings(self) -> list:
        return [p for p in self.problems if getattr(p, "severity", "error") != "error"]


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _match_names(columns, synonyms: dict, exclude=()) -> dict[str, str]:
    """key -> the first column whose normalised name is one of the key's names (each column used at most once)."""
    by_norm: dict[str, str] = {}
    for c in columns:
        if c not in exclude:
            by_norm.setdefault(_norm(c), c)
    used: set[str] = set()
    out: dict[str, str] = {}
    for key, names in synonyms.items():
        for n in names:
            col = by_norm.get(n)
            if col is not None and col not in used:
                out[key] = col
                used.add(col)
                break
    return out


def guess_mapping(columns) -> dict[str, str]:
    """role -> column recognised from the column names (each column plays at most one role)."""
    return _match_names(columns, _SYNONYMS)


def guess_rob_columns(columns, exclude=()) -> dict[str, str]:
    """codebook risk-of-bias column -> the file column recognised by its name (:data:`ROB_COLUMNS`).

    Columns in ``exclude`` (those playing a role) are not considered; each file column maps to one codebook column.
    """
    # RevMan writes each RoB 2 domain as "<domain> (judgement)" (and free text as "<domain> (support)")
    bare = {re.sub(r"\s*\(judge?ment\)\s*$", "", str(c), flags=re.I): c for c in columns if c not in exclude}
    found = _match_names(list(bare), {code: names for code, (_, names) in ROB_COLUMNS.items()})
    return {code: bare[col] for code, col in found.items()}


def _slug(text: str, prefix: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    if not s or not s[0].isalpha():
        s = f"{prefix}_{s}" if s else prefix
    return s


def _decimals(text: str) -> int:
    m = re.search(r"[.,](\d+)(?:[eE]|$)", text.strip())
    return len(m.group(1)) if m else 0


def _fingerprint(raw: bytes, mapping: dict | None, sheet: str | None, confirm_extreme: bool = False) -> str:
    h = hashlib.sha256(bytes(raw) if isinstance(raw, (bytes, bytearray, memoryview)) else b"")
    h.update(repr((sorted((mapping or {}).items()), sheet)).encode())
    if confirm_extreme:  # only then: the fingerprints of every other import stay what they were
        h.update(b"|confirm_extreme")
    return h.hexdigest()[:16]


def _num(x) -> str:
    """A number in words for a message: ``0.65``, ``1e+300``, ``infinite``; never a Python repr."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(x):
        return "not a number"
    if math.isinf(x):
        return "infinite" if x > 0 else "minus infinite"
    return f"{x:.4g}"


def import_studies(raw: bytes, filename: str, mapping: dict[str, str] | None = None, *,
                   sheet: str | None = None, confirm_extreme: bool = False,
                   base: Evidence | None = None) -> ImportResult:
    """Import a user's table of studies; never raises.

    Parameters
    ----------
    raw : bytes
        The file's content (CSV, TSV, semicolon-separated text in any common encoding, or .xlsx).
    filename : str
        Its name (shown in problems).
    mapping : dict, optional
        role -> the file's column name (:data:`ROLES`). When given it is used as it is (no guessing), so a role left
        out of it stays unused; without it roles are recognised by :func:`guess_mapping`.
    sheet : str, optional
        The .xlsx sheet to read (default: the first).
    confirm_extreme : bool
        Keep rows whose standardised effect is beyond ``|G_WARN|`` (5), with a warning, instead of refusing them
        (the user confirmed that such effects are real). Beyond :data:`G_MAX` rows are refused either way. Part of
        the fingerprint when true.
    base : Evidence, optional
        For a file in the bundled data set's own format (see the module docstring): the evidence that supplies the
        other file (default: :func:`peerstats.data.load_evidence`).

    Returns
    -------
    ImportResult
    """
    file = str(filename or "upload")
    try:
        return _import(raw, file, mapping, sheet, bool(confirm_extreme), base)
    except Exception as exc:  # noqa: BLE001 - the contract: an import never raises
        return ImportResult(None, [Problem(file, None, None, f"the file could not be imported "
                                                             f"({type(exc).__name__}: {exc})")], {})


def _import(raw, file, mapping, sheet, confirm_extreme=False, evidence=None) -> ImportResult:
    fingerprint = _fingerprint(raw, mapping, sheet, confirm_extreme)
    table, messages = read_table(raw, file, sheet)
    if table is None:
        return ImportResult(None, [Problem(file, None, None, m) for m in messages], {}, fingerprint=fingerprint)
    detected = {"kind": table.kind, "encoding": table.encoding, "delimiter": table.delimiter,
                "decimal_comma": table.decimal_comma, "sheets": table.sheets}
    problems = [Problem(file, None, None, n, "warning") for n in table.notes]
    preview = pd.DataFrame(table.rows[:50], columns=list(table.columns))
    base = dict(columns=table.columns, preview=preview, n_rows=len(table.rows), fingerprint=fingerprint,
                detected=detected)
    if mapping is None and revman.is_revman(table.columns):  # RevMan's data download: every analysis an outcome
        return _import_revman(table, file, base, problems)
    kind = bundled_kind(table.columns) if mapping is None else None
    if kind is not None:  # the bundled data set's own trials or effects file: its text exactly as written
        exact, _ = read_table(raw, file, sheet, repair=False)
        return _import_bundled({kind: exact or table}, evidence, _bundled_fingerprint(**{kind: raw}))
    if mapping is None:
        used = guess_mapping(table.columns)
    else:
        used = {}
        for role, col in dict(mapping).items():
            if not col:
                continue
            if role not in ROLES:
                problems.append(Problem(file, None, None, f"'{role}' is not a role (roles: {', '.join(ROLES)})"))
            elif col not in table.columns:
                problems.append(Problem(file, None, str(col), f"the {ROLES[role].lower()} column '{col}' is not in "
                                                              "the file"))
            elif col in used.values():
                problems.append(Problem(file, None, str(col), f"column '{col}' is mapped to two roles"))
            else:
                used[role] = col
    if "study" not in used:
        problems.append(Problem(file, None, None, "no study column: name one 'study' (or map it)"))
    has_arms = all(r in used for r in _ARMS)
    sources = [has_arms, "yi" in used and ("vi" in used or "sei" in used or {"ci_low", "ci_high"} <= set(used)),
               {"md", "md_ci_low", "md_ci_high", "n1i", "n2i"} <= set(used),
               {"t", "n1i", "n2i"} <= set(used), {"f", "sign", "n1i", "n2i"} <= set(used)]
    if not any(sources):
        problems.append(Problem(file, None, None, "no effect columns: give arm data (m1i, sd1i, n1i, m2i, sd2i, "
                                                  "n2i), or yi with vi or sei, or one of the other sources (see the "
                                                  "templates)"))
    if not table.rows:
        problems.append(Problem(file, None, None, "the file has a header and no data rows"))
    if any(p.severity == "error" for p in problems):
        return ImportResult(None, problems, used, **base)
    return _build(table, file, used, problems, base, confirm_extreme)


def bundled_kind(columns) -> str | None:
    """``"effects"`` or ``"trials"`` when ``columns`` hold every required column of that file of the bundled data
    set's format (:data:`~peerstats.data.EFFECT_REQUIRED`, :data:`~peerstats.data.TRIAL_REQUIRED`), else ``None``."""
    have = {str(c).strip() for c in columns}
    if set(EFFECT_REQUIRED) <= have:
        return "effects"
    if set(TRIAL_REQUIRED) <= have:
        return "trials"
    return None


def import_bundled(trials: bytes | None, effects: bytes | None, *, base: Evidence | None = None) -> ImportResult:
    """Import a trials file, an effects file or both in the bundled data set's own format; never raises.

    The input kind the Data page's "Upload in the bundled schema" tab uses (:func:`import_studies` recognises one
    such file by its header). Each file is read by :func:`peerstats.readers.read_table` (any common encoding and
    delimiter, .xlsx) and checked row by row by the codebook's validators; see the module docstring.

    Parameters
    ----------
    trials, effects : bytes or None
        The files' contents; a missing one comes from ``base``: an effects-only upload must use its trial ids, a
        trials-only upload keeps ``base``'s effect rows of the trials it lists.
    base : Evidence, optional
        Default: :func:`peerstats.data.load_evidence` (the bundled data).

    Returns
    -------
    ImportResult
        ``evidence`` (``source="upload"``) only when no file has an error; ``problems`` with ``file`` ``"trials"``
        or ``"effects"``, 1-based data rows, in file order; ``detected["format"] == "bundled"``.
    """
    try:
        if trials is None and effects is None:
            return ImportResult(None, [Problem("upload", None, None, "no file given")], {},
                                detected={"format": "bundled", "files": ()})
        tables, problems = {}, []
        for kind, raw in (("trials", trials), ("effects", effects)):
            if raw is None:
                continue
            table, messages = read_table(raw, f"{kind}.csv", repair=False)
            problems += [Problem(kind, None, None, m) for m in messages]
            if table is not None:
                tables[kind] = table
        fingerprint = _bundled_fingerprint(trials, effects)
        if problems:
            return ImportResult(None, problems, {}, fingerprint=fingerprint,
                                detected={"format": "bundled", "files": tuple(tables)})
        return _import_bundled(tables, base, fingerprint)
    except Exception as exc:  # noqa: BLE001 - the contract: an import never raises
        return ImportResult(None, [Problem("upload", None, None, f"the files could not be checked "
                                                                 f"({type(exc).__name__}: {exc})")], {},
                            detected={"format": "bundled", "files": ()})


def _bundled_fingerprint(trials: bytes | None = None, effects: bytes | None = None) -> str:
    h = hashlib.sha256(b"bundled-format")
    for raw in (trials, effects):
        h.update(b"|" if raw is None else b"|%d:" % len(raw) + bytes(raw))
    return h.hexdigest()[:16]


def _import_bundled(tables: dict, base: Evidence | None, fingerprint: str) -> ImportResult:
    """``tables``: ``"trials"`` and/or ``"effects"`` -> :class:`Table` (see :func:`import_bundled`)."""
    first = tables.get("effects") or tables["trials"]
    detected = {"format": "bundled", "files": tuple(tables), "kind": first.kind, "encoding": first.encoding,
                "delimiter": first.delimiter, "decimal_comma": first.decimal_comma, "sheets": first.sheets}
    info = dict(columns=first.columns, preview=pd.DataFrame(first.rows[:50], columns=list(first.columns)),
                n_rows=sum(len(t.rows) for t in tables.values()), fingerprint=fingerprint, detected=detected)
    problems: list[Problem] = []
    frames = {}
    for kind, table in tables.items():
        problems += [Problem(kind, None, None, n, "warning") for n in table.notes]
        problems += [Problem(kind, None, c, "column appears more than once") for c in table.repeated]
        problems += [Problem(kind, row, None, f"row has {n} field{'s' if n != 1 else ''} but the header has {width} "
                             "(check separators and quotes)") for row, n, width in table.ragged]
        frames[kind] = pd.DataFrame(table.rows, columns=list(table.columns), dtype=object)
    if base is None and len(tables) < 2:
        from peerstats.data import load_evidence

        base = load_evidence()
    tdf = frames["trials"] if "trials" in frames else base.trials
    if "trials" in frames:
        problems += validate_trials(tdf)
    if _has_errors(problems):
        return ImportResult(None, problems, {}, **info)
    ids = {str(x) for x in tdf["trial_id"]} if "trial_id" in tdf else set()
    if "effects" in frames:
        edf = frames["effects"]
    else:
        edf = base.effects[base.effects["trial_id"].astype(str).isin(ids)]
    problems += validate_effects(edf, ids)
    if _has_errors(problems):
        return ImportResult(None, problems, {}, **info)
    published = base.published if base is not None else _empty_published()
    ev = Evidence(parse_trials(tdf), parse_effects(edf), published, "upload")
    outcomes = {}
    for code, domain in zip(ev.effects["outcome"], ev.effects["domain"]):
        if code not in outcomes:
            outcomes[code] = OUTCOMES[code] if code in OUTCOMES else (domain, code, +1)
    return ImportResult(ev, problems, {}, outcomes=outcomes, **info)


def _has_errors(problems: list) -> bool:
    return any(p.severity == "error" for p in problems)


def _cells(table: Table, col: str) -> list[str]:
    j = table.columns.index(col)
    return [r[j] for r in table.rows]


def _build(table: Table, file: str, used: dict, problems: list, base: dict,
           confirm_extreme: bool = False) -> ImportResult:
    n = len(table.rows)
    dc = table.decimal_comma
    text = {role: _cells(table, col) for role, col in used.items()}
    values: dict[str, np.ndarray] = {}
    bad = np.zeros(n, dtype=bool)
    for role in _NUMERIC:
        if role not in text:
            continue
        col = used[role]
        arr = np.full(n, np.nan)
        for i, s in enumerate(text[role]):
            if s == "":
                continue
            x = parse_number(s, dc)
            msg = _check_value(role, s, x)
            if msg:
                problems.append(Problem(file, i + 1, col, msg))
                bad[i] = True
            else:
                arr[i] = x
        values[role] = arr
    nan = np.full(n, np.nan)

    def v(role):
        return values.get(role, nan)

    sign = np.full(n, np.nan)
    if "sign" in text:
        for i, s in enumerate(text["sign"]):
            b = _flag(s, sign=True)
            if s and b is None:
                problems.append(Problem(file, i + 1, used["sign"], f"'{s}' is not +1 or -1"))
                bad[i] = True
            elif b is not None:
                sign[i] = 1.0 if b else -1.0
    more = np.ones(n, dtype=bool)
    if "direction" in text:
        for i, s in enumerate(text["direction"]):
            b = _flag(s)
            if s and b is None:
                problems.append(Problem(file, i + 1, used["direction"], f"'{s}' is not true/false (or +1/-1)"))
                bad[i] = True
            elif b is False:
                more[i] = False
    # the source of each row's effect, first complete one wins
    ok = {r: ~np.isnan(v(r)) for r in _NUMERIC}
    arm_any = np.zeros(n, dtype=bool)
    arm_all = np.ones(n, dtype=bool)
    for r in _ARMS:
        arm_all &= ok[r]
    for r in ("m1i", "sd1i", "m2i", "sd2i"):  # arm sizes alone are common beside a given effect: not "arm data"
        arm_any |= ok[r]
    arm_all &= all(r in used for r in _ARMS)
    var_ok = ok["vi"] | ok["sei"]
    ci_ok = ok["ci_low"] & ok["ci_high"]
    n_ok = ok["n1i"] & ok["n2i"]
    path = np.full(n, "", dtype=object)
    for name, mask in (("arms", arm_all), ("yi", ok["yi"] & var_ok), ("smd_ci", ok["yi"] & ci_ok),
                       ("md_ci", ok["md"] & ok["md_ci_low"] & ok["md_ci_high"] & n_ok),
                       ("t", ok["t"] & n_ok), ("f", ok["f"] & ~np.isnan(sign) & n_ok)):
        path[(path == "") & mask] = name
    for i in range(n):
        if bad[i]:
            continue
        if path[i] == "":
            missing = [used.get(r, r) for r in _ARMS if not ok[r][i]]
            if arm_any[i]:
                msg = "missing arm values: " + ", ".join(missing) + " (and no other effect data on this row)"
            elif ok["yi"][i]:
                msg = "an effect without its variance, standard error or confidence interval"
            else:
                msg = "no effect data on this row"
            problems.append(Problem(file, i + 1, None, msg))
            bad[i] = True
        elif path[i] != "arms" and arm_any[i]:
            missing = [used.get(r, r) for r in _ARMS if not ok[r][i]]
            problems.append(Problem(file, i + 1, None, "arm data incomplete (missing " + ", ".join(missing)
                                    + "); the given effect is used", "warning"))
    for i in range(n):  # cross-field rules
        if bad[i]:
            continue
        if path[i] in ("smd_ci", "md_ci"):
            lo, hi = ("ci_low", "ci_high") if path[i] == "smd_ci" else ("md_ci_low", "md_ci_high")
            if not v(hi)[i] > v(lo)[i]:
                problems.append(Problem(file, i + 1, used[hi], f"the upper limit {text[hi][i]} is not above the "
                                                               f"lower limit {text[lo][i]}"))
                bad[i] = True
    if "study" in text:
        for i, s in enumerate(text["study"]):
            if s == "":
                problems.append(Problem(file, i + 1, used["study"], "empty study name"))
                bad[i] = True
    yi = np.full(n, np.nan)
    vi = np.full(n, np.nan)
    formula = np.full(n, "", dtype=object)
    good = ~bad
    for name, f_text, fn in (
        ("arms", "smd(m1i, sd1i, n1i, m2i, sd2i, n2i): Hedges' g, escalc('SMD')",
         lambda m: fx.smd(v("m1i")[m], v("sd1i")[m], v("n1i")[m], v("m2i")[m], v("sd2i")[m], v("n2i")[m])),
        ("yi", "", lambda m: (v("yi")[m], np.where(ok["vi"][m], v("vi")[m], v("sei")[m] ** 2))),
        ("smd_ci", "smd_from_smd_ci(yi, ci_low, ci_high): vi from the 95% CI",
         lambda m: fx.smd_from_smd_ci(v("yi")[m], v("ci_low")[m], v("ci_high")[m])),
        ("md_ci", "smd_from_md_ci(md, md_ci_low, md_ci_high, n1i, n2i): Cochrane Handbook 6.5.2.3",
         lambda m: fx.smd_from_md_ci(v("md")[m], v("md_ci_low")[m], v("md_ci_high")[m], v("n1i")[m], v("n2i")[m])),
        ("t", "smd_from_t(t, n1i, n2i)", lambda m: fx.smd_from_t(v("t")[m], v("n1i")[m], v("n2i")[m])),
        ("f", "smd_from_f(f, n1i, n2i, sign)",
         lambda m: fx.smd_from_f(v("f")[m], v("n1i")[m], v("n2i")[m], sign[m])),
    ):
        m = good & (path == name)
        if m.any():
            y, w = fn(m)
            yi[m] = np.asarray(y, dtype=float)
            vi[m] = np.asarray(w, dtype=float)
            formula[m] = f_text
    yi = np.where(more, yi, -yi)
    _check_effects(file, used, text, values, path, good, yi, more, problems, confirm_extreme)
    for i in np.flatnonzero(good & ~(np.isfinite(yi) & (vi >= VI_MIN) & (vi <= VI_MAX))):
        problems.append(Problem(file, int(i) + 1, None, f"the effect {_num(yi[i])} with variance {_num(vi[i])} "
                                                        "cannot be pooled"))
        good[i] = False
    if good.any():
        lo, hi = int(np.flatnonzero(good)[np.argmin(vi[good])]), int(np.flatnonzero(good)[np.argmax(vi[good])])
        if vi[hi] > VI_SPREAD * vi[lo]:
            problems.append(Problem(file, None, "vi", f"the variances span more than {math.log10(VI_SPREAD):.0f} "
                                    f"orders of magnitude (row {lo + 1}: {vi[lo]:.3g}, row {hi + 1}: {vi[hi]:.3g}): "
                                    "an analysis that includes both cannot be pooled", "warning"))
    return _assemble_evidence(table, file, used, text, values, yi, vi, path, formula, more, good, problems, base)


def _check_value(role: str, s: str, x: float | None) -> str:
    """Words for a bad numeric cell, or '' when it is fine."""
    if x is None:
        return f"'{s}' is not a number"
    if not math.isfinite(x):
        return f"'{s}' is not a finite number"
    if role in ("sd1i", "sd2i") and x <= 0:
        return f"an SD must be > 0 (got {s})"
    if role in ("n1i", "n2i"):
        if not float(x).is_integer():
            return f"'{s}' is not a whole number of participants"
        if x < 2:
            return f"an arm needs n >= 2 (got {s})"
    if role in ("vi", "sei"):
        if x <= 0:
            return f"{'a variance' if role == 'vi' else 'a standard error'} must be > 0 (got {s})"
        var = x if role == "vi" else x * x
        if var < VI_MIN:
            return (f"variance {var:.3g} is so small that pooling would overflow (1/vi); at least {VI_MIN:g} is "
                    "accepted")
        if var > VI_MAX:
            return f"variance {var:.3g} is too large to carry information; at most {VI_MAX:g} is accepted"
    if role == "f" and x < 0:
        return f"an F statistic cannot be negative (got {s})"
    return ""


def _flag(s: str, sign: bool = False) -> bool | None:
    """True / False from words, +1 / -1 (and 1 / 0 unless ``sign``); None when it is neither."""
    t = s.strip().lower()
    x = parse_number(t)
    if x is not None:
        return True if x == 1 else False if (x == -1 or (x == 0 and not sign)) else None
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    return None


def _check_effects(file, used, text, values, path, good, yi, more, problems, confirm_extreme=False) -> None:
    """Plausibility of each usable row's effect; a refused row gets one error in words and ``good[i] = False``.

    1. A given ``yi`` beside complete arm data must agree with them, as Hedges' g or as the uncorrected Cohen's d
       :math:`(m_1 - m_2) / s_p`, within the rounding of the shown digits: half a unit of the last digit of each mean
       (over :math:`s_p`), of each SD (relative, times :math:`|g|`) and of ``yi``. The same size with the opposite
       sign is a warning (a given effect signed so that > 0 is better; the arm data are used); any other
       disagreement refuses the row.
    2. :math:`|y_i| >` :data:`G_MAX`: refused. :math:`|y_i| >` :data:`G_WARN`: refused unless ``confirm_extreme``,
       then kept with a warning.
    """
    col_yi = used.get("yi")
    given = values.get("yi")
    raw = np.where(more, yi, -yi)  # the file's own orientation (intervention - control), as the given yi
    if given is not None:
        for i in np.flatnonzero(good & (path == "arms") & np.isfinite(given)):
            m1, m2, sd1, sd2, n1, n2 = (values[r][i] for r in ("m1i", "m2i", "sd1i", "sd2i", "n1i", "n2i"))
            sp = math.sqrt(((n1 - 1) * sd1 ** 2 + (n2 - 1) * sd2 ** 2) / (n1 + n2 - 2))
            half = [0.5 * 10.0 ** -_decimals(text[r][i]) for r in ("m1i", "m2i", "sd1i", "sd2i", "yi")]
            g, d = raw[i], (m1 - m2) / sp
            tol = (half[0] + half[1]) / sp + max(abs(g), abs(d)) * (half[2] / sd1 + half[3] / sd2) + half[4] + 1e-9
            if min(abs(g - given[i]), abs(d - given[i])) <= tol:
                continue
            if min(abs(-g - given[i]), abs(-d - given[i])) <= tol + 0.02 * abs(given[i]):
                # the same size with the other sign: the given effect is signed so that > 0 is better (a common
                # convention where a lower score is better); the arm data are used, and said
                problems.append(Problem(file, int(i) + 1, col_yi, (
                    f"the arm data give g = {_num(g)} but {col_yi} is {_num(given[i])}: the signs are opposite, as "
                    "when a lower score is better; the arm data are used (add a direction column, false where a "
                    "higher score means less)"), "warning"))
                continue
            problems.append(Problem(file, int(i) + 1, col_yi, (
                f"the given effect ({col_yi} = {_num(given[i])}) disagrees with this row's own arm data (Hedges' g = "
                f"{_num(g)}, Cohen's d = {_num(d)}) beyond the rounding of the numbers: row left out; correct the "
                "effect or the arm data, or map only one of them")))
            good[i] = False
    for i in np.flatnonzero(good & ~np.isnan(yi) & ~(np.abs(yi) <= G_WARN)):
        column = col_yi if path[i] in ("yi", "smd_ci") else None
        if not np.isfinite(yi[i]) or abs(yi[i]) > G_MAX:
            words = (f"a standardised effect of {_num(yi[i])} is not a plausible difference between two groups "
                     f"(|SMD| > {G_MAX:g}): row left out")
        elif not confirm_extreme:
            words = (f"a standardised effect of {_num(yi[i])} is beyond \u00b1{G_WARN:g}, rarely seen in real "
                     "trials: row left out unless you confirm that it is real (tick 'Keep effects beyond "
                     f"\u00b1{G_WARN:g}'); check the row first")
        else:
            problems.append(Problem(file, int(i) + 1, column, f"a standardised effect of {_num(yi[i])} is beyond "
                                    f"\u00b1{G_WARN:g}: kept, as you confirmed", "warning"))
            continue
        problems.append(Problem(file, int(i) + 1, column, words))
        good[i] = False


def _assemble_evidence(table, file, used, text, values, yi, vi, path, formula, more, good, problems, base):
    idx = np.flatnonzero(good)
    studies = [text["study"][i] for i in idx]
    rob_values, rob_maps, rob_drop = _rob_columns(table, file, used, idx, studies, problems)
    mods, kinds, names = _moderators(table, used, idx, skip=rob_drop)
    problems += _url_problems(file, used, text)
    if idx.size == 0:
        problems.append(Problem(file, None, None, "no row could be used (see the problems above)"))
        return ImportResult(None, _sorted(problems), used, moderators=kinds, moderator_names=names, **base)
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for s in studies:
        if s not in ids:
            tid = _slug(s, "study")
            k = 2
            while tid in taken:
                tid = f"{_slug(s, 'study')}_{k}"
                k += 1
            ids[s] = tid
            taken.add(tid)
    outcome_text = [text["outcome"][i] if "outcome" in text and text["outcome"][i] else "Main outcome" for i in idx]
    outcomes: dict[str, tuple] = {}
    codes = []
    domain_text = text.get("domain")
    for j, (i, o) in enumerate(zip(idx, outcome_text)):
        code = _slug(o, "outcome")
        codes.append(code)
        if code not in outcomes:
            dom = OUTCOMES[code][0] if code in OUTCOMES else "personal"
            if domain_text is not None and domain_text[i].lower() in ("personal", "clinical"):
                dom = domain_text[i].lower()
            elif code not in OUTCOMES and "clinic" in code:
                dom = "clinical"
            outcomes[code] = (dom, OUTCOMES[code][1] if code in OUTCOMES else o, +1)
    primary = np.ones(idx.size, dtype=bool)
    first: dict[tuple, int] = {}
    for j, i in enumerate(idx):
        key = (ids[studies[j]], codes[j])
        if key in first:
            primary[j] = False
            problems.append(Problem(file, int(i) + 1, used["study"],
                                    f"study '{studies[j]}' has a second row for outcome '{outcome_text[j]}' (first "
                                    f"on row {first[key]}): kept, but only the first is pooled", "warning"))
        else:
            first[key] = int(i) + 1

    def col(role, default=""):
        return [text[role][i] for i in idx] if role in text else [default] * idx.size

    def num(role):
        return values[role][idx] if role in values else np.full(idx.size, np.nan)

    url = [u if re.match(r"^https?://\S+$", u, re.I) else "" for u in col("source_url")]
    eff = pd.DataFrame({
        "effect_id": [f"row{i + 1}" for i in idx], "trial_id": [ids[s] for s in studies], "outcome": codes,
        "domain": [outcomes[c][0] for c in codes], "instrument": col("instrument"), "timepoint": col("timepoint"),
        "n_peer": pd.array([int(x) if np.isfinite(x) else pd.NA for x in num("n1i")], dtype="Int64"),
        "n_control": pd.array([int(x) if np.isfinite(x) else pd.NA for x in num("n2i")], dtype="Int64"),
        "mean_peer": num("m1i"), "sd_peer": num("sd1i"), "mean_control": num("m2i"), "sd_control": num("sd2i"),
        "md": num("md"), "md_ci_low": num("md_ci_low"), "md_ci_high": num("md_ci_high"),
        "smd_reported": num("yi"), "smd_ci_low": num("ci_low"), "smd_ci_high": num("ci_high"),
        "yi": yi[idx], "vi": vi[idx],
        "provenance": ["reported" if path[i] == "yi" else "derived" for i in idx],
        "formula": list(formula[idx]), "source_url": url,
        "source_locator": [f"row {i + 1} of {file}" for i in idx], "source_quote": "",
        "primary": primary, "higher_score_means_more": more[idx], "note": "", "paper_cells": "",
        "target_cell": "", "row": idx + 1,
    })
    for key, series in mods.items():
        eff[key] = series.to_numpy()
    trials = eff.drop_duplicates("trial_id")[["trial_id", *mods]].copy()
    trials.insert(1, "label", [s for s in dict.fromkeys(studies)])
    years = _years(file, used, text, idx, problems)
    first_rows = eff.drop_duplicates("trial_id").index
    trials.insert(2, "year", pd.array([years[j] for j in first_rows], dtype="Int64"))
    trials["n_randomized"] = pd.array([pd.NA] * len(trials), dtype="Int64")
    trials = trials.reset_index(drop=True)
    for code, values in rob_values.items():
        trials[code] = pd.Series(values, dtype=object)
    ev = Evidence(trials=trials, effects=eff, published=_empty_published(), source="upload")
    return ImportResult(ev, _sorted(problems), used, moderators=kinds, moderator_names=names, outcomes=outcomes,
                        rob=rob_maps, intervention=_intervention(table, used, idx), **base)


def _intervention(table: Table, used: dict, idx: np.ndarray) -> str:
    """The file's words for its intervention (see :attr:`ImportResult.intervention`), or ``""``."""
    mapped = set(used.values())
    by_norm = {_norm(c): c for c in table.columns if c not in mapped}
    for name in INTERVENTION_COLUMNS:
        col = by_norm.get(name)
        if col is None:
            continue
        j = table.columns.index(col)
        values = {table.rows[i][j].strip() for i in idx} - {""}
        if len(values) == 1:
            v = " ".join(values.pop().split())[:60]
            if parse_number(v) is not None:
                return ""
            return v[:1].lower() + v[1:] if v[:1].isupper() and v[1:2].islower() else v
        return ""
    return ""


def _import_revman(table: Table, file: str, base: dict, problems: list) -> ImportResult:
    """A RevMan data file (:func:`peerstats.revman.import_revman`), its RoB 2 "(judgement)" columns mapped onto the
    codebook's ``rob2_*`` trial columns as any other upload's (a study rated differently across analyses takes the
    most severe judgement)."""
    parts = revman.import_revman(table, file, base, problems)
    trials, effects = parts.pop("trials"), parts.pop("effects")
    problems = parts.pop("problems")
    base = {k: v for k, v in base.items() if k != "detected"}  # parts["detected"] adds the RevMan analyses
    if trials is None:
        return ImportResult(None, _sorted(problems), **parts, **base)
    study_col = table.columns.index(parts["mapping"]["study"])
    idx = np.array([i for i, r in enumerate(table.rows) if str(r[study_col]).strip()], dtype=int)
    studies = [str(table.rows[i][study_col]).strip() for i in idx]
    rob_values, rob_maps, _ = _rob_columns(table, file, {}, idx, studies, problems)
    order = list(dict.fromkeys(studies))
    for code, values in rob_values.items():
        by_study = dict(zip(order, values))
        trials[code] = pd.Series([by_study.get(str(s).strip(), "") for s in trials["label"]], dtype=object)
    ev = Evidence(trials=trials, effects=effects, published=_empty_published(), source="upload")
    return ImportResult(ev, _sorted(problems), **parts, rob=rob_maps, **base)


def _rob_columns(table: Table, file: str, used: dict, idx: np.ndarray, studies: list, problems: list):
    """Map the file's risk-of-bias columns onto the codebook (see the module docstring).

    Returns (codebook column -> one code or "" per study in order of first appearance, tuple of
    :class:`RobMapping`, file columns that became codebook columns exactly and need no moderator copy).
    """
    found = guess_rob_columns(table.columns, exclude=set(used.values()))
    order = list(dict.fromkeys(studies))
    values_by_code: dict[str, list] = {}
    maps: list[RobMapping] = []
    drop: set[str] = set()
    for code, col in found.items():
        scale = ROB_COLUMNS[code][0]
        j = table.columns.index(col)
        cells = [table.rows[i][j] for i in idx]
        single = code == "rob2_overall" and _norm(col) in _SINGLE_OVERALL
        parsed, n_unclear = [], 0
        for c in cells:
            v = parse_judgement(c, scale)
            if v is None and single and parse_judgement(c, "rob1") == "unclear":
                v, n_unclear = "some_concerns", n_unclear + 1
            parsed.append(v)
        if any(cells) and all(v is None for v in parsed):
            problems.append(Problem(file, None, col, f"column '{col}' is named like a risk-of-bias column but none of "
                                    f"its values is a judgement ({_SCALE_WORDS[scale]}): kept as an ordinary column, "
                                    "risk of bias unknown", "warning"))
            continue
        n_unrecognised = 0
        per_study: dict[str, list[tuple[int, str]]] = {}
        for i, study, c, v in zip(idx, studies, cells, parsed):
            if v is None:
                if c:
                    n_unrecognised += 1
                    problems.append(Problem(file, int(i) + 1, col, f"'{c}' is not a risk-of-bias judgement "
                                            f"({_SCALE_WORDS[scale]}): not used for {code}; the study's rating comes "
                                            "from its other rows or stays unknown", "warning"))
                continue
            per_study.setdefault(study, []).append((int(i) + 1, v))
        values, n_conflicting = [], 0
        for study in order:
            rated = per_study.get(study, [])
            if not rated:
                values.append("")
                continue
            worst = max((v for _, v in rated), key=_SEVERITY.__getitem__)
            if len({v for _, v in rated}) > 1:
                n_conflicting += 1
                rows: dict[str, list[int]] = {}
                for r, v in rated:
                    rows.setdefault(v, []).append(r)
                detail = "; ".join(f"{_LEVEL_WORDS[v]} on row{'s' if len(rs) > 1 else ''} {', '.join(map(str, rs))}"
                                   for v, rs in sorted(rows.items(), key=lambda kv: _SEVERITY[kv[0]]))
                problems.append(Problem(file, rated[0][0], col, f"study '{study}': {col} differs between its rows "
                                        f"({detail}); the most severe, {_LEVEL_WORDS[worst]}, is the study's {code} "
                                        "(risk of bias is judged per result: the study is rated by its weakest)",
                                        "warning"))
            values.append(worst)
        note = ""
        if n_unclear:
            note = (f"'unclear' (the Cochrane RoB 1 tool's middle level, {n_unclear} row{'s' if n_unclear != 1 else ''})"
                    " read as RoB 2's 'some concerns'")
            problems.append(Problem(file, None, col, f"column '{col}': {note}", "warning"))
        levels = sorted({v for v in values if v}, key=_SEVERITY.__getitem__)
        maps.append(RobMapping(code, col, _SCALE_WORDS[scale], len(order), sum(1 for v in values if v),
                               tuple((lv, values.count(lv)) for lv in levels), n_conflicting, n_unrecognised, note))
        values_by_code[code] = values
        if n_unrecognised == 0 and _slug(col, "column") == code:
            drop.add(col)
    return values_by_code, tuple(maps), drop


def _years(file, used, text, idx, problems) -> list:
    out = []
    if "year" not in text:
        return [pd.NA] * idx.size
    for i in idx:
        s = text["year"][i]
        x = parse_number(s)
        if s and (x is None or not math.isfinite(x) or not float(x).is_integer() or not 1900 <= x <= 2100):
            problems.append(Problem(file, int(i) + 1, used["year"], f"'{s}' is not a year: left empty", "warning"))
            x = None
        out.append(int(x) if x is not None else pd.NA)
    return out


def _url_problems(file, used, text) -> list:
    if "source_url" not in text:
        return []
    return [Problem(file, i + 1, used["source_url"], f"'{u[:60]}' is not an http(s) link: left out", "warning")
            for i, u in enumerate(text["source_url"]) if u and not re.match(r"^https?://\S+$", u, re.I)]


def _moderators(table: Table, used: dict, idx: np.ndarray, skip=frozenset()) -> tuple[dict, dict, dict]:
    """(frame column -> Series over the used rows, frame column -> kind, frame column -> file column).

    Columns in ``skip`` (risk-of-bias columns already in the codebook's own name and codes) are left out; other
    columns never take a codebook risk-of-bias name (those are the trial-level columns :func:`_rob_columns` fills).
    """
    mods, kinds, names = {}, {}, {}
    mapped = set(used.values())
    taken = set(_RESERVED) | set(ROB_COLUMNS)
    for col in table.columns:
        if col in mapped or col in skip:
            continue
        cells = [table.rows[i][table.columns.index(col)] for i in idx]
        filled = [c for c in cells if c != ""]
        if not filled:
            continue
        known = [c for c in filled if c.strip().lower() not in NOT_REPORTED]
        nums = [parse_number(c, table.decimal_comma) for c in known]
        distinct = len(set(filled))
        if known and all(x is not None and math.isfinite(x) for x in nums):
            if [x for x in nums] == list(range(1, len(nums) + 1)) and len(nums) > 2:
                continue  # a row-number column
            kind = ("categorical" if len(set(nums)) <= _NUMERIC_CATEGORICAL and not _STATISTIC.search(col)
                    and all(float(x).is_integer() for x in nums) else "numeric")
        else:
            kind = "categorical" if distinct <= _CATEGORICAL_MAX else "text"
        if len(set(known if kind == "numeric" else filled)) < 2:
            kind = "constant"  # one value (or none) in the used rows: nothing to filter or split by
        key = _slug(col, "column")
        if key in _CODED and not set(filled) <= set(_CODED[key]):
            key = f"file_{key}"
        base_key, k = key, 2
        while key in taken:
            key = f"{base_key}_{k}"
            k += 1
        taken.add(key)
        if kind == "numeric" or kind == "constant" and known and all(x is not None for x in nums):
            series = pd.Series([parse_number(c, table.decimal_comma) if c else np.nan for c in cells], dtype=float)
            series = series.where(np.isfinite(series))
        else:
            series = pd.Series(cells, dtype=object)
        mods[key], kinds[key], names[key] = series, kind, col
    return mods, kinds, names


def _empty_published() -> pd.DataFrame:
    return pd.DataFrame(columns=["category", "outcome", "domain", "status", "k", "n", "smd", "ci_low", "ci_high",
                                 "p", "i2", "p_heterogeneity", "trial_refs", "notes"])


def _sorted(problems: list) -> list:
    return sorted(problems, key=lambda p: (p.row if p.row is not None else 0, p.column or ""))
