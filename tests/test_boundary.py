"""The library's boundary: ``peerstats`` needs only numpy, scipy and pandas, and never reaches up into the app.

Two checks that do not trust each other: a fresh interpreter imports ``peerstats`` (and then every one of its
modules) and lists what landed in ``sys.modules``; and the source of every ``peerstats`` module is read (AST,
function-local imports included) for an import of the app or its libraries.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "peerstats"
#: top-level modules the library must never import: the app and the app's own libraries
APP_MODULES = {"streamlit", "altair", "dashboard", "pages", "app", "vl_convert", "segno", "playwright"}


def _loaded_after(code: str) -> list[str]:
    probe = (f"import sys, json\n{code}\n"
             f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(APP_MODULES)!r})))")
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_import_peerstats_loads_no_app_module():
    assert _loaded_after("import peerstats") == []


def test_every_peerstats_module_imports_without_the_app():
    code = ("import importlib, pkgutil, peerstats\n"
            "for m in pkgutil.walk_packages(peerstats.__path__, 'peerstats.'):\n"
            "    importlib.import_module(m.name)")
    assert _loaded_after(code) == []


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_peerstats_source_imports_the_app():
    offenders = {p.relative_to(ROOT).as_posix(): sorted(_imports(p) & APP_MODULES)
                 for p in sorted(PACKAGE.rglob("*.py")) if _imports(p) & APP_MODULES}
    assert offenders == {}


def test_runtime_dependencies_are_numpy_scipy_pandas():
    """Third-party imports of the package are exactly the declared runtime dependencies (plus openpyxl, lazily, for
    .xlsx: the ``xlsx`` extra)."""
    stdlib = set(sys.stdlib_module_names)
    third_party = set().union(*(_imports(p) for p in PACKAGE.rglob("*.py"))) - stdlib - {"peerstats"}
    assert third_party <= {"numpy", "scipy", "pandas", "openpyxl"}, third_party

