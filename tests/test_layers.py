"""The package's layers, read from its source (AST; function-local imports included).

``peerstats`` has three strata; a module may import its own stratum and the ones below it, never one above:

1. **engine** (arrays in, results out): the kernel :mod:`peerstats.core`, the method families and the effect sizes.
2. **evidence** (data frames and the codebook): reading, checking, importing and selecting a review's data.
3. **decisions** (workflow over the evidence): GRADE, summary of findings, the next-trial designer, the probability of
   benefit, the multiverse, the exported scripts.

A new module must be placed in :data:`LAYERS` (the test says so). Also checked: no module imports an underscore
name from another module (the shared kernel is public, in ``core``), and the import graph has no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "peerstats"

ENGINE = {"errors", "core", "effects", "rma", "subgroups", "sequential", "influence", "bias", "selmodel", "regression",
          "translate", "planning", "meta", "escalc", "mh"}
EVIDENCE = {"vocabulary", "data", "readers", "importer", "select", "second_opinion", "reproduce", "evidence",
            "risk_of_bias", "revman"}
DECISIONS = {"grade", "sof", "designer", "benefit", "multiverse", "scripts", "imputation", "iceman"}
LAYERS = {**{m: 0 for m in ENGINE}, **{m: 1 for m in EVIDENCE}, **{m: 2 for m in DECISIONS}}
NAMES = ("engine", "evidence", "decisions")


def _modules() -> list[str]:
    """Every module of the package: its files and its subpackages (a subpackage, e.g. ``grade``, is one module)."""
    files = [p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"]
    packages = [p.parent.name for p in PACKAGE.glob("*/__init__.py")]
    return sorted(files + packages)


def _sources(module: str) -> list[tuple[Path, int]]:
    """(file, relative-import level that reaches the package's top) of a module or of every file of a subpackage."""
    if (PACKAGE / module).is_dir():
        return [(p, 2) for p in sorted((PACKAGE / module).glob("*.py"))]
    return [(PACKAGE / f"{module}.py", 1)]


def _imports(module: str) -> list[tuple[str, list[str], int]]:
    """(imported peerstats module, names imported from it, line) for every import in ``module``'s source (a
    subpackage's imports of its own files are internal and left out)."""
    out = []
    for path, top in _sources(module):
        out += _file_imports(ast.parse(path.read_text(encoding="utf-8")), top)
    return out


def _file_imports(tree, top: int) -> list[tuple[str, list[str], int]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = [a.name for a in node.names]
            if 0 < node.level < top:
                continue  # inside the subpackage
            if node.level == top and node.module:
                target = node.module.split(".")[0]
            elif node.level == 0 and node.module and node.module.startswith("peerstats."):
                target = node.module.split(".")[1]
            elif (node.level == top and node.module is None) or node.module == "peerstats":
                # `from . import x` / `from peerstats import x`: x is a module, or __version__ of the package
                for name in names:
                    if name != "__version__":
                        out.append((name, [], node.lineno))
                continue
            else:
                continue
            out.append((target, names, node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name.split(".")[1], [], node.lineno) for a in node.names if a.name.startswith("peerstats.")]
    return out


def test_every_module_has_a_layer():
    unplaced = [m for m in _modules() if m not in LAYERS]
    assert not unplaced, f"place {unplaced} in ENGINE, EVIDENCE or DECISIONS in tests/test_layers.py"


@pytest.mark.parametrize("module", _modules())
def test_imports_go_down_the_strata(module):
    if module not in LAYERS:
        pytest.skip("not placed yet (test_every_module_has_a_layer fails)")
    upward = [f"{module}.py:{line} imports {target} ({NAMES[LAYERS[target]]})"
              for target, _, line in _imports(module) if LAYERS.get(target, -1) > LAYERS[module]]
    assert not upward, f"{module} is in the {NAMES[LAYERS[module]]} layer: " + "; ".join(upward)


def test_no_private_name_crosses_a_module():
    crossing = [f"{m}.py:{line} imports {n} from {target}" for m in _modules() for target, names, line in _imports(m)
                for n in names if n.startswith("_") and not n.startswith("__")]
    assert crossing == []


def test_import_graph_has_no_cycle():
    graph = {m: {t for t, _, _ in _imports(m) if t != m} for m in _modules()}
    state: dict[str, int] = {}

    def visit(m, path):
        if state.get(m) == 1:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(m):] + [m]))
        if state.get(m) == 2:
            return
        state[m] = 1
        for t in sorted(graph.get(m, ())):
            visit(t, path + [m])
        state[m] = 2

    for m in graph:
        visit(m, [])


def test_too_few_studies_is_caught_by_the_old_except_clauses():
    """The error policy (peerstats.errors): k = 1 to an estimator that needs 2 raises TooFewStudiesError carrying k and
    needed, which old ``except NoStudiesError`` / ``except ValueError`` clauses still catch."""
    from peerstats import NoStudiesError, TooFewStudiesError, baujat, influence, leave_one_out

    for fn, analysis in ((leave_one_out, "leave-one-out"), (influence, "influence diagnostics"),
                         (baujat, "a Baujat plot")):
        with pytest.raises(TooFewStudiesError) as info:
            fn([0.1], [0.01])
        assert (info.value.k, info.value.needed, info.value.analysis) == (1, 2, analysis)
        assert isinstance(info.value, NoStudiesError) and isinstance(info.value, ValueError)
        assert str(info.value) == f"too few studies for {analysis}: it needs at least 2; got k = 1"
    with pytest.raises(NoStudiesError) as info:
        leave_one_out([], [])
    assert not isinstance(info.value, TooFewStudiesError)  # k = 0 stays "no studies"


def test_no_private_name_crosses_a_dashboard_module():
    """The chart kit (dashboard/charts/base.py) is public: no dashboard module imports another's underscore name."""
    root = PACKAGE.parent / "dashboard"
    crossing = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                crossing += [f"{path.relative_to(root.parent)}:{node.lineno} imports {a.name} from {node.module}"
                             for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    assert crossing == []


def test_the_view_module_is_pure():
    """dashboard/view.py (the view, its codec and the one link writer) imports no Streamlit, directly, inside a
    function, or through another module: only the standard library and peerstats (issue 21). A fresh interpreter
    importing it and calling its link writer loads no streamlit module."""
    import subprocess
    import sys

    path = PACKAGE.parent / "dashboard" / "view.py"
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add("." if node.level else node.module.split(".")[0])
    outside = {m for m in imported if m not in sys.stdlib_module_names and m != "peerstats"}
    assert outside == set(), f"dashboard/view.py imports {sorted(outside)}"
    code = ("import sys; from dashboard import view as V; "
            "V.link(V.decode({'page': 'summary', 'grade': 'hope.indirectness.1.x', 'iceman': 'x', 'threshold': 'any'}),"
            " 'http://h/'); print(sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'altair')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=PACKAGE.parent, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
