"""peerstats installs as a library: ``pip install <clone>`` into a fresh virtual environment, then use it from a folder
that is not the repository.

The environment is created with ``--system-site-packages`` so numpy, scipy and pandas come from the machine (no
download); peerstats itself is installed into the venv with ``--no-deps`` (a real build of the wheel from
pyproject.toml, by setuptools; the only network it may use is the package index, for setuptools when the machine's
is older than the build needs). The install is the venv's own: the tests check that ``peerstats`` is imported from
the venv's site-packages, not from the repository.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from peerstats import __version__, pool
from peerstats.scripts import python_script

ROOT = Path(__file__).resolve().parents[1]
POOL_LINE = "import peerstats as ps; print(ps.pool([0.1, 0.3], [0.01, 0.02]))"


def _setuptools_builds_wheels() -> bool:
    """setuptools >= 70.1 builds wheels by itself; older ones need the ``wheel`` package too."""
    try:
        major, minor = (int(x) for x in importlib.metadata.version("setuptools").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (70, 1)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with peerstats installed from a copy of the clone; yields (python, a folder outside the repo)."""
    base = tmp_path_factory.mktemp("install")
    clone = base / "clone"
    ignore = shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", "build", "dist", "artifacts")
    # What `pip install <clone>` reads: pyproject.toml, the README (the long description), the package and data/.
    clone.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, clone / name)
    shutil.copytree(ROOT / "peerstats", clone / "peerstats", ignore=ignore)
    shutil.copytree(ROOT / "data", clone / "data", ignore=ignore)
    env_dir = base / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False, symlinks=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # The machine's pip installs into the venv (pip --python), which spares ensurepip's copy of pip.
    cmd = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--disable-pip-version-check",
           "--no-deps", str(clone)]
    if _setuptools_builds_wheels():
        cmd.insert(-1, "--no-build-isolation")  # build with the machine's setuptools: no network at all
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=base)
    assert run.returncode == 0, run.stdout + run.stderr
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    yield python, elsewhere


def _run(python, cwd, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PEERSTATS_DATA_DIR")}
    return subprocess.run([str(python), *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def test_fresh_venv_install_pools_from_another_folder(installed):
    python, elsewhere = installed
    probe = "; print('@@', ps.__file__, ps.__version__, ps.pool([0.1, 0.3], [0.01, 0.02]).estimate)"
    run = _run(python, elsewhere, "-c", POOL_LINE + probe)
    assert run.returncode == 0, run.stderr
    printed, marker = run.stdout.split("@@", 1)
    assert printed.startswith("PoolResult(")
    where, version, estimate = marker.split()
    assert Path(where).resolve().is_relative_to(python.parents[1].resolve()), where  # the venv's copy, not the repo's
    assert version == __version__
    # The default model (DerSimonian-Laird) by hand:
    w = [1 / 0.01, 1 / 0.02]
    fe = (w[0] * 0.1 + w[1] * 0.3) / sum(w)
    q = w[0] * (0.1 - fe) ** 2 + w[1] * (0.3 - fe) ** 2
    tau2 = max(0.0, (q - 1) / (sum(w) - sum(x * x for x in w) / sum(w)))
    ws = [1 / (0.01 + tau2), 1 / (0.02 + tau2)]
    assert float(estimate) == pytest.approx((ws[0] * 0.1 + ws[1] * 0.3) / sum(ws), rel=1e-12)


def test_installed_package_carries_the_bundled_review(installed):
    python, elsewhere = installed
    probe = ("from peerstats.data import DATA_DIR, load_evidence; ev = load_evidence(); "
             "print(DATA_DIR.name, DATA_DIR.parent.name, len(ev.trials), len(ev.effects))")
    run = _run(python, elsewhere, "-c", probe)
    assert run.returncode == 0, run.stderr
    name, parent, n_trials, n_effects = run.stdout.split()
    assert (name, parent) == ("bundled_data", "peerstats")
    import pandas as pd

    assert int(n_trials) == len(pd.read_csv(ROOT / "data" / "trials.csv"))
    assert int(n_effects) == len(pd.read_csv(ROOT / "data" / "effects.csv"))


def test_exported_python_script_runs_as_its_docstring_says(installed):
    """The downloaded script pins the version that wrote it and runs from any folder once that version is installed:
    ``python analysis.py``, no PYTHONPATH, no repository."""
    python, elsewhere = installed
    yi, vi = [0.12, 0.55, -0.05, 0.31], [0.02, 0.05, 0.03, 0.04]
    script = python_script(["A", "B", "C", "D"], yi, vi, method="REML", test="knha")
    assert f'pip install "peerstats=={__version__}"' in script
    (elsewhere / "analysis.py").write_text(script, encoding="utf-8")
    run = _run(python, elsewhere, "-W", "error", "analysis.py")  # -W error: no version-mismatch warning
    assert run.returncode == 0, run.stderr
    res = pool(yi, vi, method="REML", test="knha")
    assert f"estimate = {res.estimate:.4f}" in run.stdout
    assert "REML model, test knha, k = 4" in run.stdout


def test_script_warns_under_another_version(tmp_path):
    """Run with the repository's peerstats but a different pinned version: the script says so instead of silently
    giving figures the app may not have shown."""
    script = python_script(["A", "B"], [0.1, 0.3], [0.01, 0.02]).replace(
        f"PEERSTATS_VERSION = {__version__!r}", "PEERSTATS_VERSION = '0.0.1'")
    (tmp_path / "analysis.py").write_text(script, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "analysis.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env=env)
    assert run.returncode == 0, run.stderr
    assert "written by peerstats 0.0.1 and runs under " + __version__ in run.stderr
