"""Issue 12 (workshop-ready), app side: script downloads on every analysis page, the report's ID and versions."""

from __future__ import annotations

import hashlib
import re
from importlib import metadata
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import export

ROOT = Path(__file__).resolve().parents[1]
ANALYSIS_PAGES = ["pages/explore.py", "pages/subgroups.py", "pages/sensitivity.py", "pages/small_study_effects.py",
                  "pages/risk_of_bias.py"]


@pytest.mark.apptest
@pytest.mark.parametrize("page", ANALYSIS_PAGES, ids=lambda p: Path(p).stem)
def test_every_analysis_page_offers_the_r_and_python_scripts(page):
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "R script" in labels and "Python script" in labels, labels
    names = [b.proto.label for b in at.get("download_button") if b.proto.label in ("R script", "Python script")]
    assert len(names) == 2  # one pair per page, not one per chart


@pytest.mark.apptest
def test_no_script_buttons_when_no_trial_matches():
    at = AppTest.from_file(str(ROOT / "pages/explore.py"), default_timeout=60)
    at.query_params.update({"outcome": "suicidal_ideation", "category": "online"})
    at.run()
    assert not at.exception
    assert "R script" not in [b.proto.label for b in at.get("download_button")]


def test_report_carries_id_and_package_versions():
    page = export.html_report("T", [export.Section("S", text="x")], report_id="abc123def456",
                              versions={"numpy": "9.9", "peer<stats>": "1"})
    assert page.count("abc123def456") == 2  # under the title and in the footer
    assert "numpy 9.9" in page and "peer&lt;stats&gt; 1" in page  # escaped


def test_package_versions_are_the_installed_ones():
    v = export.package_versions()
    assert v["numpy"] == metadata.version("numpy") and v["streamlit"] == metadata.version("streamlit")
    assert re.fullmatch(r"3\.\d+\.\d+", v["python"])
    page = export.html_report("T", [])
    assert f"pandas {metadata.version('pandas')}" in page


def test_view_report_id_is_the_hash_of_rows_and_view():
    from types import SimpleNamespace

    from dashboard.components import view_report_id
    from dashboard.state import ViewState
    from peerstats.data import load_evidence
    from peerstats.select import Filters, select

    ev = load_evidence()
    view = ViewState(page="explore", outcome="hope")
    sel = select(ev, Filters(), "hope")
    ctx = SimpleNamespace(selection=sel, source="bundled", view=view)
    rid = view_report_id(ctx)
    # Independently: the canonical JSON the docstring describes, hashed.
    import json
    rows = [[e, p, float(y), float(v)] for e, p, y, v in zip(sel.effects["effect_id"], sel.effects["provenance"],
                                                              sel.yi, sel.vi)]
    payload = json.dumps({"data": {"source": "bundled", "rows": rows}, "view": {"page": "explore", "outcome": "hope"}},
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert rid == hashlib.sha256(payload.encode()).hexdigest()[:12]
    other = SimpleNamespace(selection=sel, source="upload", view=view)
    assert view_report_id(other) != rid


# ---------------------------------------------------------------------------------------- offline and safe by default
@pytest.mark.parametrize("url, ok", [
    ("https://doi.org/10.1176/appi.ps.202100138", True), ("HTTP://example.org/a?b=1", True),
    ("javascript:alert(1)", False), ("JavaScript:alert(1)", False), ("data:text/html,<script>", False),
    ("//evil.example/x", False), ("https:///nohost", False), ("ftp://example.org", False),
    (" https://example.org ", True), ("https://exa\nmple.org", False), (None, False), (float("nan"), False), ("", False),
])
def test_http_only_links(url, ok):
    import pandas as pd

    from dashboard.safety import http_links, is_http_url

    assert is_http_url(url) is ok
    out = http_links(pd.DataFrame({"source_url": [url], "x": [1]}))
    assert (out["source_url"].iat[0] == url.strip()) if ok else out["source_url"].iat[0] is None
    assert out["x"].iat[0] == 1


def _run_sh_app(tmp_path, env_extra, *args):
    """`bash run.sh app ...` with PYTHON pointing to a stub that prints its arguments instead of starting anything."""
    import os
    import subprocess

    stub = tmp_path / "python"
    stub.write_text('#!/bin/sh\nif [ "$2" = pip ]; then exit 0; fi\necho "$@"\n')
    stub.chmod(0o755)
    env = {**os.environ, "PYTHON": str(stub), **env_extra}
    env.pop("PEERSTATS_ADDRESS", None) if "PEERSTATS_ADDRESS" not in env_extra else None
    return subprocess.run(["bash", str(ROOT / "run.sh"), "app", *args], env=env, capture_output=True, text=True,
                          check=True).stdout.split()


def test_run_sh_app_listens_on_loopback_unless_told(tmp_path):
    argv = _run_sh_app(tmp_path, {})
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    argv = _run_sh_app(tmp_path, {"PEERSTATS_ADDRESS": "0.0.0.0"})
    assert argv[argv.index("--server.address") + 1] == "0.0.0.0"
    argv = _run_sh_app(tmp_path, {}, "--server.address", "10.0.0.5")  # an explicit flag comes last and wins
    assert argv[len(argv) - 1 - argv[::-1].index("--server.address") + 1] == "10.0.0.5"


def test_streamlit_config_is_offline_and_hides_raw_csv_export():
    import tomllib

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["client"]["disableDataExport"] is True


def test_favicon_is_a_bundled_png():
    from dashboard import shell

    data = (ROOT / shell.FAVICON).read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) < 20_000
