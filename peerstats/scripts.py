"""Scripts that reproduce a pooled analysis outside the dashboard: in R with metafor, or in Python with peerstats.

A workshop participant who downloads a view's script can re-run the exact model the app fitted, with the data written
into the script (no file to keep next to it), and check every number:

- :func:`metafor_script` writes an R script that fits ``res <- rma(yi, vi, method=, test=, level=)`` (metafor's
  vocabulary, the model :func:`peerstats.pool` mirrors), prints it with its prediction interval and draws
  ``forest(res)``.
- :func:`python_script` writes the same analysis with :func:`peerstats.pool` (``res``), printing the same figures.
- :func:`report_id` is the short fingerprint of (data, view) that the HTML report carries, so two reports with the
  same ID show the same numbers.

Numbers are written with 17 significant digits (``repr`` of a double round-trips exactly in Python, and to within an
ulp through R's parser), so both scripts start from the numbers the app pooled.

References
----------
.. [1] Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw, 36(3), 1-48.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence

import numpy as np

from . import __version__
from .errors import NoStudiesError

__all__ = ["metafor_script", "python_script", "report_id", "R_CONTROL"]

_METHODS = ("FE", "DL", "REML", "PM")
_TESTS = ("z", "knha")
# The iterative estimators are run to full convergence (metafor's defaults stop REML's Fisher scoring at a change of
# 1e-5 and PM's root search at ~1e-4), so the script's figures agree with the app's to many more digits than shown.
R_CONTROL = "list(threshold = 1e-12, maxiter = 10000, tol = 1e-12)"


def _inputs(labels, yi, vi, method: str, test: str, level: float) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Validate as :func:`peerstats.pool` does; labels become strings (missing -> "Study i")."""
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}, not {method!r}")
    if test not in _TESTS:
        raise ValueError(f"test must be one of {', '.join(_TESTS)}, not {test!r}")
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise ValueError(f"level must be a probability between 0 and 1 (e.g. 0.95), not {level!r}")
    y = np.asarray(yi, dtype=float).ravel()
    v = np.asarray(vi, dtype=float).ravel()
    names = [str(x) for x in labels] if labels is not None else []
    if y.shape != v.shape or len(names) != y.size:
        raise ValueError(f"labels, yi and vi must have the same length (got {len(names)}, {y.size}, {v.size})")
    if y.size == 0:
        raise NoStudiesError("no studies to pool: the script would have no data")
    for i, (a, b) in enumerate(zip(y, v)):
        if not math.isfinite(a):
            raise ValueError(f"yi[{i}] is not finite ({a})")
        if not (math.isfinite(b) and b > 0):
            raise ValueError(f"vi[{i}] must be finite and > 0 (got {b})")
    return names, y, v


def _num(x: float) -> str:
    return repr(float(x))


def _r_string(s: str) -> str:
    """An R string literal: double-quoted, with backslash, quote and control characters escaped."""
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _comment(s: str) -> str:
    """Text safe on one comment line (no line breaks that would end the comment)."""
    return " ".join(str(s).split())


def _r_vector(items: Sequence[str], per_line: int = 4) -> str:
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "c(\n    " + ",\n    ".join(lines) + "\n  )"


def metafor_script(labels, yi, vi, method: str = "DL", test: str = "z", level: float = 0.95, *,
                   title: str = "", url: str = "") -> str:
    """An R script that refits the pooled model with metafor and draws its forest plot.

    The script holds the data inline (``dat``: ``label``, ``yi``, ``vi``), fits
    ``res <- rma(yi, vi, data = dat, slab = label, method = method, test = test, level = 100 * level, control = ...)``
    (``method = "FE"`` is metafor's common-effect model), prints ``res`` and ``predict(res)`` (the prediction
    interval), and draws ``forest(res)``: on screen in an interactive session, otherwise into ``forest_plot.pdf``.

    Parameters
    ----------
    labels : sequence of str
        Study labels (``slab``), one per effect.
    yi, vi : array_like
        Effect sizes and their sampling variances (finite, ``vi > 0``), as passed to :func:`peerstats.pool`.
    method : {"FE", "DL", "REML", "PM"}
    test : {"z", "knha"}
    level : float
        Confidence level in (0, 1); metafor takes it in percent.
    title, url : str
        Shown in the script's header comment (e.g. the outcome and the link to the view).

    Returns
    -------
    str
        The R source. It needs only ``metafor`` (``install.packages("metafor")``).

    Raises
    ------
    NoStudiesError
        No effects.
    ValueError
        Lengths differ, a ``yi`` is not finite, a ``vi`` is not finite and positive, or an option is unknown.
    """
    names, y, v = _inputs(labels, yi, vi, method, test, level)
    pct = f"{100 * level:.10g}"
    control = f", control = {R_CONTROL}" if method in ("REML", "PM") else ""
    header = [
        "# Reproduces a pooled analysis of the peerstats dashboard with R's metafor package.",
        f"# {_comment(title)}" if title else None,
        f"# View: {_comment(url)}" if url else None,
        "# yi: standardised mean difference (Hedges' g), peer support minus control; vi: its sampling variance.",
        "# Needs: install.packages(\"metafor\")",
    ]
    body = [
        "library(metafor)",
        "",
        "dat <- data.frame(",
        f"  label = {_r_vector([_r_string(n) for n in names], per_line=3)},",
        f"  yi = {_r_vector([_num(a) for a in y])},",
        f"  vi = {_r_vector([_num(b) for b in v])},",
        "  stringsAsFactors = FALSE",
        ")",
        "",
        f'res <- rma(yi, vi, data = dat, slab = label, method = "{method}", test = "{test}", level = {pct}{control})',
        "print(res)",
        "print(predict(res))  # pred, ci.lb/ci.ub and the prediction interval pi.lb/pi.ub",
        "",
        "# Forest plot: on screen in an interactive session, otherwise written to forest_plot.pdf",
        "if (!interactive()) pdf(\"forest_plot.pdf\", width = 9, height = 2.5 + 0.28 * nrow(dat))",
        "forest(res, header = c(\"Trial\", \"SMD [CI]\"), xlab = \"Standardised mean difference\")",
        "if (!interactive()) invisible(dev.off())",
    ]
    return "\n".join(line for line in header if line is not None) + "\n\n" + "\n".join(body) + "\n"


def python_script(labels, yi, vi, method: str = "DL", test: str = "z", level: float = 0.95, *,
                  title: str = "", url: str = "") -> str:
    """A Python script that refits the pooled model with :func:`peerstats.pool` into ``res`` and prints it.

    Same data and options as :func:`metafor_script`; the script prints the pooled estimate, CI, p-value,
    heterogeneity (tau2, I2, Q) and prediction interval, and the per-study table with weights. The script names the
    peerstats version that wrote it (``pip install "peerstats==<version>"``, or ``pip install`` of the repository at
    that version) and warns when it runs under another; it then runs from any folder (``python script.py``).

    Returns
    -------
    str
        The Python source (data as literals: labels through ``repr``, numbers with 17 significant digits).

    Raises
    ------
    NoStudiesError, ValueError
        As :func:`metafor_script`.
    """
    names, y, v = _inputs(labels, yi, vi, method, test, level)
    rows = "\n".join(f"    ({n!r}, {_num(a)}, {_num(b)})," for n, a, b in zip(names, y, v))
    header = ['"""Reproduces a pooled analysis of the peerstats dashboard with the peerstats package.']
    if title:
        header.append("")
        header.append(_comment(title).replace('"""', "'''").replace("\\", "/"))
    if url:
        header.append(f"View: {_comment(url)}".replace('"""', "'''").replace("\\", "/"))
    header += ["", "yi: standardised mean difference (Hedges' g), peer support minus control; vi: its sampling variance.",
               "",
               f"Written by peerstats {__version__}. To rerun it, install that version, then run this file from any",
               f'folder: pip install "peerstats=={__version__}" (or pip install a clone of the repository at',
               "that version), then python this_file.py", '"""']
    body = f'''
import warnings
from statistics import NormalDist

import peerstats as ps

PEERSTATS_VERSION = {__version__!r}  # the version that wrote this script and computed the app's figures
if ps.__version__ != PEERSTATS_VERSION:
    warnings.warn(f"this script was written by peerstats {{PEERSTATS_VERSION}} and runs under {{ps.__version__}}: "
                  "the figures may differ from the app's", stacklevel=1)

# (label, yi, vi)
data = [
{rows}
]
labels = [row[0] for row in data]
yi = [row[1] for row in data]
vi = [row[2] for row in data]

res = ps.pool(yi, vi, method={method!r}, test={test!r}, level={float(level)!r})

if __name__ == "__main__":
    pct = round(100 * res.level)
    print(f"{{res.method}} model, test {{res.test}}, k = {{res.k}}")
    print(f"estimate = {{res.estimate:.4f}}, se = {{res.se:.4f}}, {{pct}}% CI {{res.ci_low:.4f}} to {{res.ci_high:.4f}}, "
          f"p = {{res.pval:.4g}}")
    print(f"tau2 = {{res.tau2:.4f}}, I2 = {{res.i2:.1f}}%, Q = {{res.q:.2f}} on {{res.q_df}} df (p = {{res.q_pval:.4g}})")
    print(f"prediction interval {{res.pi_low:.4f}} to {{res.pi_high:.4f}}")
    print()
    z = NormalDist().inv_cdf(0.5 + res.level / 2)
    width = max(len(name) for name in labels)
    for name, y, v, w in zip(labels, yi, vi, res.weights):
        print(f"{{name:<{{width}}}}  {{y:7.3f}}  [{{y - z * v ** 0.5:7.3f}}, {{y + z * v ** 0.5:7.3f}}]  weight {{w:5.1f}}%")
'''
    return "\n".join(header) + "\n" + body


def report_id(data: Mapping | Sequence | str | bytes, view: Mapping[str, str]) -> str:
    """A 12-hex-digit fingerprint of the data and the view a report shows.

    ``sha256(canonical JSON of {"data": data, "view": view})``, first 12 hex digits (48 bits). ``data`` is anything
    JSON-serialisable (floats written with ``repr``, so equal numbers give equal IDs) or bytes (hashed first);
    ``view`` is the query-parameter mapping of the view (key order does not matter).

    Returns
    -------
    str
        e.g. ``"3f9a0c1b2d4e"``.
    """
    if isinstance(data, (bytes, bytearray)):
        data = hashlib.sha256(bytes(data)).hexdigest()
    payload = json.dumps({"data": data, "view": {str(k): str(v) for k, v in dict(view).items()}},
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]
