"""A suggested GRADE certainty of evidence per outcome, domain by domain, each with its reason in words.

This is a *suggestion* for a guideline panel, computed from the current selection; every domain can be overridden
with a reason. Randomised trials start at high certainty (4) and each domain rates down by 0, 1 (serious) or 2
(very serious) levels; the certainty is ``max(1, 4 - sum)``: high, moderate, low, very low.

Rules (the app's explicit operationalisation of GRADE; thresholds are parameters with these defaults)
-----------------------------------------------------------------------------------------------------
Effects are SMDs in the beneficial direction (``beneficial * yi``), MID the minimal important difference (default
0.2, Cohen's "small"). Weights are the pooled model's (percent).

- **Risk of bias** (Guyatt et al. 2011, GRADE 4): the weight share of trials that are poor quality (the paper's
  AHRQ rating), at high risk in a key domain (sequence generation, allocation concealment, blinding of outcome
  assessors, incomplete outcome data) or at high overall risk by Cochrane RoB 2 (``rob2_overall``: Smit et al.
  2022's second opinion, where a trial has one). A trial counts once whichever ratings put it at high risk; a trial
  without a rating is not high risk by it. Share >= 50 %: serious (-1); >= 85 %: very serious (-2).
- **Inconsistency** (GRADE 7): with one trial not assessable (0). Serious (-1) when I2 >= 50 % and the prediction
  interval spans both no effect (<= 0) and an important benefit (>= MID) or harm (<= -MID); very serious (-2) when
  I2 >= 75 % and it spans both an important benefit and an important harm. Heterogeneity that does not move the
  prediction interval across those thresholds does not rate down.
- **Imprecision** (GRADE 6): the optimal information size for detecting the MID with alpha 0.05 (two-sided) and
  power 0.8 in two equal arms, ``OIS = 4 (z_0.975 + z_0.8)^2 / MID^2`` participants (785 for MID 0.2). Very serious
  (-2) when the CI includes both an important benefit and an important harm; serious (-1) when it includes no effect
  and an important effect in one direction, or when the total N is below the OIS; otherwise not serious.
- **Publication bias** (GRADE 5): only real rows (reported or derived; reconstructed rows are imputed from the
  paper's pooled results and carry no small-study information), only with >= 10 of them (Egger's test is unreliable
  with fewer: Cochrane Handbook 13.3.5.4). Egger's p < 0.10: serious (-1).
- **Indirectness** (GRADE 8): not computable from the data; set by the user (default: not serious).

Reconstructed rows: when they carry more than half of the weight, :attr:`Grade.caveat` says so in words: the rating
then describes the paper's pooled numbers, not independently checked trial data.

Statements (Santesso et al. 2020, GRADE guidelines 26): high: "improves"; moderate: "probably improves"; low: "may
improve"; very low: "The evidence is very uncertain about the effect of ...". Size from the point estimate against
the MID: below the MID "little or no difference", from the MID to below 0.5 "slightly", from 0.5 unqualified. **A CI
that includes no effect never gets an effect claim**: the statement is then "... makes little or no difference ..."
with the certainty's adverb (the imprecision domain has already rated such an interval down when it matters).

References
----------
.. [1] Guyatt, G. H. et al. (2011). GRADE guidelines 4-8 (risk of bias, publication bias, imprecision,
   inconsistency, indirectness). J Clin Epidemiol, 64, 407-415; 1277-1282; 1283-1293; 1294-1302; 1303-1310.
.. [2] Santesso, N. et al. (2020). GRADE guidelines 26: informative statements to communicate the findings of
   systematic reviews of interventions. J Clin Epidemiol, 119, 126-135.
.. [3] Schünemann, H. et al. (eds.) (2013). GRADE Handbook, section 5.2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from .bias import egger_test

__all__ = ["DOMAINS", "LEVELS", "SYMBOLS", "KEY_ROB_DOMAINS", "RISK_OF_BIAS_COLUMNS", "Domain", "Grade",
           "optimal_information_size", "grade_outcome", "statement", "encode_overrides", "decode_overrides"]

DOMAINS = ("risk_of_bias", "inconsistency", "imprecision", "publication_bias", "indirectness")
DOMAIN_LABELS = {"risk_of_bias": "Risk of bias", "inconsistency": "Inconsistency", "imprecision": "Imprecision",
                 "publication_bias": "Publication bias", "indirectness": "Indirectness"}
LEVELS = {4: "high", 3: "moderate", 2: "low", 1: "very low"}
SYMBOLS = {4: "⊕⊕⊕⊕", 3: "⊕⊕⊕◯", 2: "⊕⊕◯◯", 1: "⊕◯◯◯"}
KEY_ROB_DOMAINS = ("rob_sequence_generation", "rob_allocation_concealment", "rob_blinding_assessors",
                   "rob_incomplete_data")
#: The trial ratings the risk-of-bias domain reads (a caller slimming the rows must keep them).
RISK_OF_BIAS_COLUMNS = ("quality", *KEY_ROB_DOMAINS, "rob2_overall")
SEVERITY = {0: "not serious", 1: "serious", 2: "very serious"}
LARGE = 0.5  # SMD from which an effect is not "slight" (Cohen's medium)


@dataclass(frozen=True)
class Domain:
    """One GRADE domain: how many levels it rates down (0, 1, 2) and why, in words."""

    name: str
    downgrade: int
    reason: str
    overridden: bool = False
    suggested: int | None = None  # the computed rating when overridden

    @property
    def label(self) -> str:
        return DOMAIN_LABELS[self.name]

    @property
    def severity(self) -> str:
        return SEVERITY[self.downgrade]


@dataclass(frozen=True)
class Grade:
    """The suggested certainty for one outcome.

    Attributes
    ----------
    certainty : int
        4 high, 3 moderate, 2 low, 1 very low.
    label, symbols : str
        "moderate", "⊕⊕⊕◯".
    domains : tuple of Domain
        In :data:`DOMAINS` order.
    statement : str
        The GRADE informative statement (Santesso et al. 2020).
    caveat : str
        Non-empty when reconstructed rows carry most of the weight.
    reconstructed_share : float
        Percent of the weight on reconstructed rows.
    ois : float
        Optimal information size (participants).
    """

    certainty: int
    label: str
    symbols: str
    domains: tuple = field(default=())
    statement: str = ""
    caveat: str = ""
    reconstructed_share: float = 0.0
    ois: float = math.nan

    def table(self) -> pd.DataFrame:
        """One row per domain: domain, rating, downgrade, reason, overridden."""
        return pd.DataFrame({"domain": [d.label for d in self.domains],
                             "rating": [d.severity for d in self.domains],
                             "downgrade": [d.downgrade for d in self.domains],
                             "reason": [d.reason for d in self.domains],
                             "overridden": [d.overridden for d in self.domains]})


def optimal_information_size(mid: float = 0.2, alpha: float = 0.05, power: float = 0.8) -> float:
    """Total participants (two equal arms) to detect an SMD of ``mid``: ``4 (z_{1-alpha/2} + z_power)^2 / mid^2``."""
    if not (mid > 0 and 0 < alpha < 1 and 0 < power < 1):
        raise ValueError("need mid > 0 and alpha, power in (0, 1)")
    z = special.ndtri(1 - alpha / 2) + special.ndtri(power)
    return float(4 * z * z / (mid * mid))


def _pct(x: float) -> str:
    return f"{x:.0f}%"


def _risk_of_bias(rows: pd.DataFrame, w: np.ndarray) -> Domain:
    def rated(col: str, level: str) -> np.ndarray:
        return rows[col].astype(str).eq(level).to_numpy() if col in rows else np.zeros(len(rows), dtype=bool)

    poor = rated("quality", "poor")
    high = np.zeros(len(rows), dtype=bool)
    for col in KEY_ROB_DOMAINS:
        high |= rated(col, "high")
    rob2 = rated("rob2_overall", "high")
    share = float(w[poor | high | rob2].sum())
    has_rob2 = "rob2_overall" in rows and rows["rob2_overall"].astype(str).isin(("low", "some_concerns", "high")).any()
    detail = (f"{_pct(share)} of the weight comes from trials that are poor quality or at high risk in a key domain"
              + (" or by RoB 2" if has_rob2 else "")
              + f" (poor quality {_pct(float(w[poor].sum()))}; high risk in sequence generation, allocation "
              f"concealment, assessor blinding or incomplete data {_pct(float(w[high].sum()))}"
              + (f"; high overall risk by RoB 2, Smit et al. 2022, {_pct(float(w[rob2].sum()))}" if has_rob2 else "")
              + ")")
    if share >= 85:
        return Domain("risk_of_bias", 2, f"Very serious: {detail}.")
    if share >= 50:
        return Domain("risk_of_bias", 1, f"Serious: {detail}.")
    return Domain("risk_of_bias", 0, f"Not serious: {detail}.")


def _inconsistency(k: int, i2: float, pi_low: float, pi_high: float, mid: float) -> Domain:
    if k < 2 or not math.isfinite(i2):
        return Domain("inconsistency", 0, "Not assessable: one trial.")
    pi = f"I² = {i2:.0f}%, prediction interval {pi_low:.2f} to {pi_high:.2f}"
    if i2 >= 75 and pi_low <= -mid and pi_high >= mid:
        return Domain("inconsistency", 2, f"Very serious: {pi}: a new setting could see an important benefit or an "
                                          f"important harm (beyond ±{mid:g}).")
    if i2 >= 50 and pi_low <= 0 and (pi_high >= mid or pi_low <= -mid):
        return Domain("inconsistency", 1, f"Serious: {pi}: a new setting could see no effect or an important one "
                                          f"(MID {mid:g}).")
    if i2 >= 50:
        return Domain("inconsistency", 0, f"Not serious: {pi}: heterogeneity is substantial but does not move the "
                                          "prediction interval across no effect and the MID.")
    return Domain("inconsistency", 0, f"Not serious: {pi}.")


def _imprecision(ci_low: float, ci_high: float, n: float, mid: float, ois: float) -> Domain:
    ci = f"95% CI {ci_low:.2f} to {ci_high:.2f}"
    size = f"{int(n):,} participants" if math.isfinite(n) else "participants not known"
    info = f"{size} against an optimal information size of {ois:.0f}"
    if ci_low <= -mid and ci_high >= mid:
        return Domain("imprecision", 2, f"Very serious: the {ci} includes both an important benefit and an important "
                                        f"harm (±{mid:g}); {info}.")
    if ci_low <= 0 <= ci_high and (ci_high >= mid or ci_low <= -mid):
        return Domain("imprecision", 1, f"Serious: the {ci} includes no effect and an important effect (MID {mid:g}); "
                                        f"{info}.")
    if not math.isfinite(n) or n < ois:
        return Domain("imprecision", 1, f"Serious: {info} (fewer than needed to detect the MID reliably); {ci}.")
    return Domain("imprecision", 0, f"Not serious: the {ci} does not cross the decision thresholds; {info}.")


def _publication_bias(rows: pd.DataFrame, min_k: int = 10) -> Domain:
    keep = (rows["provenance"].astype(str) != "reconstructed").to_numpy() if "provenance" in rows else \
        np.ones(len(rows), dtype=bool)
    k_real = int(keep.sum())
    if k_real < min_k:
        return Domain("publication_bias", 0, f"Not assessable: {k_real} trial{'s' if k_real != 1 else ''} with "
                                             f"reported or derived data (a small-study test needs at least {min_k}; "
                                             "reconstructed rows carry no small-study information).")
    eg = egger_test(rows["yi"].to_numpy(float)[keep], rows["vi"].to_numpy(float)[keep])
    if math.isfinite(eg.pval) and eg.pval < 0.10:
        return Domain("publication_bias", 1, f"Serious: Egger's test on the {k_real} real rows, p = {eg.pval:.3f} "
                                             "(funnel asymmetry).")
    return Domain("publication_bias", 0, f"Not serious: Egger's test on the {k_real} real rows, p = {eg.pval:.3f}.")


def statement(certainty: int, estimate: float, ci_low: float, ci_high: float, outcome: str, *, beneficial: int = 1,
              mid: float = 0.2, intervention: str = "Peer support") -> str:
    """The GRADE informative statement (Santesso et al. 2020) for one outcome.

    ``estimate``, ``ci_low``, ``ci_high`` are SMDs in the *raw* direction (peer minus control in "more of the
    construct"); ``beneficial`` (+1/-1) turns them into benefit. A CI that includes 0 never gets an effect claim.

    Examples
    --------
    >>> statement(3, 0.30, 0.12, 0.48, "hope")
    'Peer support probably improves hope slightly.'
    >>> statement(2, 0.14, -0.04, 0.32, "personal recovery")
    'Peer support may make little or no difference to personal recovery.'
    """
    if certainty not in LEVELS:
        raise ValueError(f"certainty must be 1-4; got {certainty!r}")
    if certainty == 1:
        return f"The evidence is very uncertain about the effect of {intervention.lower()} on {outcome}."
    sign = 1 if beneficial >= 0 else -1
    e = sign * estimate
    lo, hi = sorted((sign * ci_low, sign * ci_high))
    adverb = {4: "", 3: "probably ", 2: "may "}[certainty]
    if lo <= 0 <= hi or abs(e) < mid:
        verb = {4: "makes", 3: "probably makes", 2: "may make"}[certainty]
        return f"{intervention} {verb} little or no difference to {outcome}."
    good = "improves" if sign > 0 else "reduces"
    bad = "worsens" if sign > 0 else "increases"
    word = good if e > 0 else bad
    if certainty == 2:  # "may improve": the bare infinitive after "may"
        word = {"improves": "improve", "reduces": "reduce", "worsens": "worsen", "increases": "increase"}[word]
    slight = " slightly" if abs(e) < LARGE else ""
    return f"{intervention} {adverb}{word} {outcome}{slight}."


def grade_outcome(rows: pd.DataFrame, pooled, *, outcome: str, beneficial: int = 1, mid: float = 0.2,
                  n_participants: float | None = None, indirectness: tuple[int, str] | None = None,
                  overrides: dict | None = None) -> Grade:
    """Suggested GRADE certainty for one outcome of the current selection.

    Parameters
    ----------
    rows : pandas.DataFrame
        The pooled rows (``Selection.effects``): ``yi``, ``vi``, ``provenance``, ``quality``, ``rob_*`` columns (those
        missing are treated as not high risk), in the order of ``pooled.weights``.
    pooled : PoolResult
        The random-effects result for these rows (weights, CI, prediction interval, I2).
    outcome : str
        The outcome in words, for the statement ("hope").
    beneficial : int
        +1 when more is better, -1 when less is better.
    mid : float
        Minimal important difference (SMD), > 0.
    n_participants : float, optional
        Total participants; defaults to the sum of ``rows["n"]`` where present.
    indirectness : (int, str), optional
        The user's rating (0, 1, 2) and reason; default not serious, "not assessed".
    overrides : dict, optional
        ``{domain: (downgrade, reason)}`` replacing the computed rating of a domain (reason required).

    Returns
    -------
    Grade
    """
    if not mid > 0:
        raise ValueError(f"mid must be > 0; got {mid!r}")
    k = int(pooled.k)
    if len(rows) != k:
        raise ValueError(f"rows has {len(rows)} rows but the pooled result has k = {k}")
    w = np.asarray(pooled.weights, dtype=float)
    if n_participants is None:
        n_participants = float(pd.to_numeric(rows["n"], errors="coerce").sum()) if "n" in rows else math.nan
    sign = 1 if beneficial >= 0 else -1
    lo, hi = sorted((sign * pooled.ci_low, sign * pooled.ci_high))
    pi_lo, pi_hi = sorted((sign * pooled.pi_low, sign * pooled.pi_high))
    ois = optimal_information_size(mid)
    ind = indirectness or (0, "")
    domains = {
        "risk_of_bias": _risk_of_bias(rows, w),
        "inconsistency": _inconsistency(k, pooled.i2, pi_lo, pi_hi, mid),
        "imprecision": _imprecision(lo, hi, n_participants, mid, ois),
        "publication_bias": _publication_bias(rows),
        "indirectness": Domain("indirectness", int(ind[0]),
                               f"{SEVERITY[int(ind[0])].capitalize()}: {ind[1]}" if ind[1] else
                               "Not serious (not assessed from the data: set by the panel)."),
    }
    for name, value in (overrides or {}).items():
        if name not in DOMAINS:
            raise ValueError(f"unknown GRADE domain {name!r}; use one of {DOMAINS}")
        down, reason = value
        if int(down) not in SEVERITY:
            raise ValueError(f"a domain rates down by 0, 1 or 2 levels; got {down!r} for {name}")
        if not str(reason).strip():
            raise ValueError(f"an override of {name} needs a reason")
        base = domains[name]
        domains[name] = Domain(name, int(down), f"{SEVERITY[int(down)].capitalize()} (set by the user: {reason}). "
                                                f"Suggested: {base.reason}", True, base.downgrade)
    certainty = max(1, 4 - sum(d.downgrade for d in domains.values()))
    recon = rows["provenance"].astype(str).eq("reconstructed").to_numpy() if "provenance" in rows else \
        np.zeros(k, dtype=bool)
    share = float(w[recon].sum())
    caveat = ""
    if share > 50:
        caveat = (f"{_pct(share)} of the weight comes from rows reconstructed from the paper's pooled results, not "
                  "from trial reports: this rating describes the paper's numbers, not independently checked trial "
                  "data.")
    return Grade(certainty=certainty, label=LEVELS[certainty], symbols=SYMBOLS[certainty],
                 domains=tuple(domains[d] for d in DOMAINS),
                 statement=statement(certainty, pooled.estimate, pooled.ci_low, pooled.ci_high, outcome,
                                     beneficial=beneficial, mid=mid),
                 caveat=caveat, reconstructed_share=share, ois=ois)


def encode_overrides(overrides: dict) -> str:
    """``{outcome: {domain: (downgrade, reason)}}`` as one URL-safe text: ``outcome.domain.downgrade.reason`` items
    joined by ``~``, the reason percent-encoded (so it can hold any character). Sorted, so a view has one URL."""
    from urllib.parse import quote

    items = []
    for outcome in sorted(overrides):
        for domain in sorted(overrides[outcome]):
            down, reason = overrides[outcome][domain]
            text = quote(str(reason), safe="").replace("~", "%7E")  # quote leaves "~" (unreserved) as is
            items.append(f"{outcome}.{domain}.{int(down)}.{text}")
    return "~".join(items)


def decode_overrides(value: str) -> dict:
    """Inverse of :func:`encode_overrides`; never raises: malformed items, unknown domains, ratings outside 0-2 and
    empty reasons are dropped."""
    from urllib.parse import unquote

    out: dict = {}
    for item in (value or "").split("~"):
        parts = item.split(".", 3)
        if len(parts) != 4:
            continue
        outcome, domain, down, reason = parts
        reason = unquote(reason).strip()
        if domain not in DOMAINS or down not in ("0", "1", "2") or not outcome or not reason:
            continue
        out.setdefault(outcome, {})[domain] = (int(down), reason)
    return out
