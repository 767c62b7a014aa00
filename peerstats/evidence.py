"""The evidence layer in one namespace: read a review's data, check it, choose the trials of a view.

The engine (:func:`peerstats.pool` and its siblings) takes arrays; this layer turns a review's files into those
arrays, in the codebook's vocabulary (``data/README.md``):

- **Read and check** (:mod:`peerstats.data`): :func:`load_evidence` reads ``trials.csv``, ``effects.csv`` and
  ``published.csv`` from a folder (by default the bundled review, :data:`DATA_DIR`) and raises
  :class:`~peerstats.errors.DataValidationError` listing every :class:`Problem`; :func:`read_upload` returns the
  problems instead. The result is an :class:`Evidence`.
- **Bring your own review** (:mod:`peerstats.importer`, :mod:`peerstats.readers`): :func:`import_studies` reads one
  table (CSV, TSV, .xlsx; metafor's ``escalc`` columns or metapsy's) with a column mapping
  (:func:`guess_mapping`) into an :class:`Evidence` plus its :class:`ImportResult` report.
- **Choose** (:mod:`peerstats.select`): :class:`Filters` says which trials a view keeps; :func:`select` applies it to
  one outcome and returns a :class:`Selection` (``yi``, ``vi``, ``k``, the rows); :func:`outcome_table` pools every
  outcome under the same filters.
- **Check against the paper and a second review** (:mod:`peerstats.reproduce`, :mod:`peerstats.second_opinion`).

This is a namespace module: it re-exports, and the modules above stay where they are (importing from them directly
keeps working). Here ``select`` is the function, not the module.

Examples
--------
>>> from peerstats.evidence import Filters, load_evidence, select
>>> sel = select(load_evidence(), Filters(), "hope")
>>> sel.k > 0 and len(sel.yi) == len(sel.vi)
True
"""

from __future__ import annotations

from .data import (DATA_DIR, MAX_UPLOAD_BYTES, OUTCOMES, Evidence, Problem, load_evidence, read_upload,
                   validate_effects, validate_published, validate_trials)
from .importer import TEMPLATE_METAFOR, TEMPLATE_METAPSY, ImportResult, guess_mapping, import_studies
from .readers import Table, read_table, sheet_names
from .reproduce import reproduction_table
from .second_opinion import ROB2_LEVELS, high_risk_either, rob_comparison
from .select import (Filters, Selection, crosstab, exclude_poor, filter_trials, outcome_labels, outcome_table,
                     provenance_by, select, subgroup_inputs, view_rows)
from .vocabulary import CATEGORIES, CONTROLS, FORMATS, LEADERSHIP, PROVENANCE, QUALITY, ROB_DOMAINS, ROB_LEVELS

__all__ = [
    # read and check
    "DATA_DIR", "OUTCOMES", "MAX_UPLOAD_BYTES", "Evidence", "Problem", "load_evidence", "read_upload",
    "validate_trials", "validate_effects", "validate_published",
    # bring your own review
    "ImportResult", "import_studies", "guess_mapping", "TEMPLATE_METAFOR", "TEMPLATE_METAPSY",
    "Table", "read_table", "sheet_names",
    # choose
    "Filters", "Selection", "select", "filter_trials", "view_rows", "exclude_poor", "outcome_labels", "outcome_table",
    "subgroup_inputs", "crosstab", "provenance_by",
    # check against the paper and a second review
    "reproduction_table", "high_risk_either", "rob_comparison", "ROB2_LEVELS",
    # the codebook's vocabulary (value -> label)
    "CATEGORIES", "QUALITY", "CONTROLS", "LEADERSHIP", "FORMATS", "PROVENANCE", "ROB_DOMAINS", "ROB_LEVELS",
]
