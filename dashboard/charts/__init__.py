"""Pure Altair chart builders of the dashboard.

Every builder takes tidy pandas frames (and, where natural, a ``peerstats`` result object) and returns a top-level
Altair chart. Nothing here imports streamlit, reads files or computes a statistic beyond what a picture needs
(a study's 95% CI from ``yi`` and ``vi``, its standard error, percentages of risk-of-bias judgements).

Conventions shared by all builders

* Colours are the Okabe-Ito colour-blind-safe palette, and every colour cue has a text or shape twin: reconstructed
  rows are hollow, dashed and labelled "reconstructed (not trial data)"; risk-of-bias cells carry "+", "?" or "-".
* Fonts are sized for a projector (13-16 px at scale 1).
* Frames are not modified; a builder copies what it needs.
* Rows are drawn in the order of the frame given: the caller sorts.

The peerstats result objects are used by duck typing (attributes ``estimate``, ``ci_low``, ``ci_high``, ``pi_low``,
``pi_high``, ``weights``, ``k``, ``i2``, ``tau2``, ``method``), so a builder does not import ``peerstats``.

The package holds one file per family of charts (``forest``, ``funnel``, ``sequential``, ``rob``, ``table``) and their
shared pieces (``base``); every public name is re-exported here, so callers write ``from dashboard import charts``.
"""

from peerstats.vocabulary import ROB_DOMAINS

from .base import (
    PALETTE,
    RECONSTRUCTED_LABEL,
    TRIAL_DATA_LABEL,
    HConcatChart,
    LayerChart,
    line_chart,
)
from .forest import forest, subgroup_forest
from .funnel import funnel
from .regression import bubble
from .rob import rob_summary, rob_traffic_light
from .sequential import cumulative_plot, leave_one_out_plot
from .table import table_image

__all__ = [
    "HConcatChart",
    "LayerChart",
    "PALETTE",
    "ROB_DOMAINS",
    "RECONSTRUCTED_LABEL",
    "TRIAL_DATA_LABEL",
    "forest",
    "subgroup_forest",
    "funnel",
    "leave_one_out_plot",
    "cumulative_plot",
    "rob_traffic_light",
    "rob_summary",
    "bubble",
    "table_image",
    "line_chart",
]

# Robustness lab (issue 11)
from .robustness import (CHOICE_COLUMNS, CONTOUR_LEVELS, SPEC_PICK, baujat_plot, contour_funnel,  # noqa: E402
                         specification_curve, specification_data, specification_points, specification_summary)

__all__ += ["CHOICE_COLUMNS", "CONTOUR_LEVELS", "SPEC_PICK", "baujat_plot", "contour_funnel", "specification_curve",
            "specification_data", "specification_points", "specification_summary"]
