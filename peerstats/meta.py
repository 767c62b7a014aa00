"""Meta-analysis, mirroring R's metafor: the public names of the engine in one place.

The engine is split by concern, as metafor's own sources are (one file per family):

- :mod:`peerstats.rma`: the random/fixed-effects model: ``pool`` and ``PoolResult`` (estimators FE, DL, REML, PM;
  z and Knapp-Hartung tests; Q-profile intervals; prediction interval). The model and references are documented there.
- :mod:`peerstats.subgroups`: ``subgroup_test`` (separate tau2, RevMan / CMA) and ``mixed_subgroup_test`` (QM).
- :mod:`peerstats.sequential`: ``leave_one_out`` and ``cumulative``.
- :mod:`peerstats.bias`: ``egger_test``, ``harbord_test``, ``peters_test``, ``binary_bias_test``, ``trim_and_fill``, ``funnel_limits``.

Callers keep importing from ``peerstats.meta`` (or ``peerstats``); this module only re-exports.
"""

from .bias import (
    BINARY_BIAS_TESTS, BinaryBiasResult, EggerResult, TrimFillResult, binary_bias_test, egger_test, funnel_limits,
    harbord_test, peters_test, trim_and_fill,
)
from .rma import METHODS, TESTS, PoolResult, pool
from .sequential import cumulative, leave_one_out
from .subgroups import MixedSubgroupResult, SubgroupResult, mixed_subgroup_test, subgroup_test

__all__ = [
    "METHODS",
    "TESTS",
    "PoolResult",
    "SubgroupResult",
    "MixedSubgroupResult",
    "EggerResult",
    "TrimFillResult",
    "pool",
    "subgroup_test",
    "mixed_subgroup_test",
    "leave_one_out",
    "cumulative",
    "egger_test",
    "harbord_test",
    "peters_test",
    "BinaryBiasResult",
    "binary_bias_test",
    "BINARY_BIAS_TESTS",
    "trim_and_fill",
    "funnel_limits",
]
