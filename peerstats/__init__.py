"""peerstats: meta-analysis in pure Python (numpy, scipy, pandas) that agrees with R's metafor.

The vocabulary is metafor's (yi, vi, tau2, i2, q, pval, ...); results are frozen dataclasses. The public surface is
:data:`__all__`, grouped as metafor's function index is:

- **Effect sizes**: standardised mean differences (Hedges' g) from means and SDs, t, F or a CI; sign alignment;
  :func:`effect_sizes` (metafor's ``escalc``: MD, SMD, RR, OR, RD, PETO).
- **Models**: :func:`pool` (FE, DL, REML, PM; z or Knapp-Hartung), its :class:`PoolResult`; Mantel-Haenszel and Peto
  (:func:`pool_mh`, :func:`pool_peto`, :class:`BinaryPoolResult`).
- **Subgroups and regression**: subgroup tests (separate tau2 / mixed-effects QM), :func:`meta_regression`.
- **Sequential and influence**: leave-one-out, cumulative, influence diagnostics, Baujat.
- **Small-study effects and selection**: Egger, trim-and-fill, funnel limits, PET-PEESE, step-function selection
  models.
- **Planning**: S-value, power of the next trial, shift to the null, decisive trials, the next-trial designer.
- **Translation and certainty**: NNT, U3, CLES, probability of benefit, GRADE, summary of findings.
- **Evidence**: :mod:`peerstats.evidence` (read, check and select a review's data; imported on first use),
  :func:`import_studies`, the multiverse of :func:`specifications`.
- **Errors**: what the functions raise (:mod:`peerstats.errors`).

Examples
--------
>>> import peerstats as ps
>>> res = ps.pool([0.1, 0.3, 0.5], [0.01, 0.02, 0.04], method="REML")
>>> res.k, res.method
(3, 'REML')
"""

__version__ = "0.9.0"

# effect sizes
from .effects import (EffectSize, align_sign, hedges_j, smd, smd_from_f, smd_from_md_ci, smd_from_smd_ci,
                      smd_from_t)
from .escalc import effect_sizes
# models
from .rma import METHODS, TESTS, PoolResult, pool
from .mh import BinaryPoolResult, pool_mh, pool_peto
# subgroups and regression
from .subgroups import MixedSubgroupResult, SubgroupResult, mixed_subgroup_test, subgroup_test
from .regression import Prediction, RegressionResult, meta_regression
# sequential and influence
from .sequential import cumulative, leave_one_out
from .influence import baujat, influence
# small-study effects and selection
from .bias import EggerResult, TrimFillResult, egger_test, funnel_limits, trim_and_fill
from .selmodel import PetPeeseResult, SelectionModelResult, pet_peese, selection_model
# planning
from .planning import (PowerResult, SValueResult, decisive_trials, power_curve, power_next_trial, s_value,
                       shift_to_null)
from .designer import DesignResult, add_hypothetical_trials
# translation and certainty
from .translate import NNTInterval, cles, nnt, nnt_interval, u3
from .benefit import BenefitResult, prob_benefit
from .grade import Grade, grade_outcome
from .sof import summary_of_findings
# evidence
from .importer import ImportResult, import_studies
from .multiverse import choice_sets, specifications
# errors
from .errors import ConvergenceError, DataValidationError, NoStudiesError, TooFewStudiesError

__all__ = [
    "__version__",
    # effect sizes
    "EffectSize", "smd", "hedges_j", "smd_from_t", "smd_from_f", "smd_from_md_ci", "smd_from_smd_ci", "align_sign",
    "effect_sizes",
    # models
    "pool", "PoolResult", "METHODS", "TESTS", "pool_mh", "pool_peto", "BinaryPoolResult",
    # subgroups and regression
    "subgroup_test", "mixed_subgroup_test", "SubgroupResult", "MixedSubgroupResult",
    "meta_regression", "RegressionResult", "Prediction",
    # sequential and influence
    "leave_one_out", "cumulative", "influence", "baujat",
    # small-study effects and selection
    "egger_test", "EggerResult", "trim_and_fill", "TrimFillResult", "funnel_limits",
    "pet_peese", "PetPeeseResult", "selection_model", "SelectionModelResult",
    # planning
    "s_value", "SValueResult", "power_next_trial", "power_curve", "PowerResult", "shift_to_null", "decisive_trials",
    "add_hypothetical_trials", "DesignResult",
    # translation and certainty
    "nnt", "nnt_interval", "NNTInterval", "u3", "cles", "prob_benefit", "BenefitResult",
    "grade_outcome", "Grade", "summary_of_findings",
    # evidence
    "evidence", "import_studies", "ImportResult", "specifications", "choice_sets",
    # errors
    "ConvergenceError", "DataValidationError", "NoStudiesError", "TooFewStudiesError",
]


def __getattr__(name: str):
    """``peerstats.evidence`` on first use (PEP 562), so ``import peerstats`` does not read the evidence layer's
    modules until asked."""
    if name == "evidence":
        import importlib

        return importlib.import_module(".evidence", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
