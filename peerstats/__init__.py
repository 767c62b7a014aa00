"""peerstats: pure-function meta-analysis for the peer-support evidence dashboard.

Imports only numpy, scipy and pandas. The vocabulary is metafor's (yi, vi, tau2, i2, q, pval, ...).
"""

from .effects import (EffectSize, align_sign, hedges_j, smd, smd_from_f, smd_from_md_ci, smd_from_smd_ci,
                      smd_from_t)
from .errors import ConvergenceError, DataValidationError, NoStudiesError
from .data import ImportResult, import_studies  # peerstats.importer, via data (which it imports)
from .meta import (METHODS, TESTS, EggerResult, MixedSubgroupResult, PoolResult, SubgroupResult, TrimFillResult,
                   cumulative, egger_test, funnel_limits, leave_one_out, mixed_subgroup_test, pool, subgroup_test,
                   trim_and_fill)
from .regression import Prediction, RegressionResult, meta_regression

__all__ = [
    "EffectSize", "align_sign", "hedges_j", "smd", "smd_from_f", "smd_from_md_ci", "smd_from_smd_ci", "smd_from_t",
    "ConvergenceError", "DataValidationError", "NoStudiesError",
    "METHODS", "TESTS", "EggerResult", "MixedSubgroupResult", "PoolResult", "SubgroupResult", "TrimFillResult",
    "cumulative", "egger_test", "funnel_limits", "leave_one_out", "mixed_subgroup_test", "pool", "subgroup_test",
    "trim_and_fill",
    "Prediction", "RegressionResult", "meta_regression",
    "ImportResult", "import_studies",
]

# Robustness lab (issue 11)
from .influence import baujat, influence  # noqa: E402
from .multiverse import choice_sets, specifications  # noqa: E402
from .planning import (DesignResult, PowerResult, SValueResult, add_hypothetical_trials,  # noqa: E402
                       decisive_trials, power_curve, power_next_trial, s_value, shift_to_null)
from .selection import PetPeeseResult, SelectionModelResult, pet_peese, selection_model  # noqa: E402

__all__ += ["baujat", "influence", "choice_sets", "specifications", "DesignResult", "add_hypothetical_trials",
            "PowerResult", "SValueResult", "power_curve",
            "power_next_trial", "s_value", "decisive_trials", "shift_to_null", "PetPeeseResult", "SelectionModelResult", "pet_peese", "selection_model"]

# Binary and continuous effect measures, Mantel-Haenszel and Peto pooling, RevMan data files (issue 19)
from .escalc import effect_sizes  # noqa: E402

__all__ += ["effect_sizes"]
from .mh import BinaryPoolResult, pool_mh, pool_peto  # noqa: E402

__all__ += ["BinaryPoolResult", "pool_mh", "pool_peto"]
