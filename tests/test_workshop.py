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
# page -> the key prefix of its own widgets (to check the page itself was drawn, not the home page)
ANALYSIS_PAGES = {"explore": "explore_", "subgroups": "subgroups_", "sensitivity": "sens_",
                  "small-study-effects": "sse_", "risk-of-bias": "rob_"}


@pytest.mark.apptest
@pytest.mark.parametrize("page", ANALYSIS_PAGES)
def test_every_analysis_page_offers_the_r_and_python_scripts(page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["page"] = page
    at.run()
    assert not at.exception
    keys = [b.key for b in at.get("download_button")]
    assert f"{ANALYSIS_PAGES[page]}report_scripts_r" in keys, keys  # the page's own pair, beside its own report
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("R script") == 1 and labels.count("Python script") == 1, labels  # one pair per page


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
    assert v["peerstats"] == __import__("peerstats").__version__  # the engine that computed the numbers
    page = export.html_report("T", [])
    assert f"pandas {metadata.version('pandas')}" in page


def test_view_report_id_is_the_hash_of_rows_and_view():
    from types import SimpleNamespace

    from dashboard.components import view_report_id
    from dashboard.view import ViewState
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


# ---------------------------------------------------------------------------------------------- presentation mode
def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


@pytest.mark.apptest
def test_presentation_reveals_trials_then_pools_and_steps_through_the_deck():
    from dashboard import text
    from peerstats.data import load_evidence
    from peerstats.meta import pool
    from peerstats.select import Filters, select

    ev = load_evidence()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception
    k = select(ev, Filters(), "personal_recovery").k
    md = [m.value for m in at.markdown]
    assert "# Personal recovery" in md and "**Trial 1 of %d shown**" % k in md
    assert not at.metric  # the pooled result waits until every trial is shown
    assert not [b for b in at.button if b.key == "share_open"]  # no "Share this view" on a slide
    at.button(key="present_next_trial").click().run()
    assert "**Trial 2 of %d shown**" % k in [m.value for m in at.markdown]
    at.button(key="present_all").click().run()
    sel = select(ev, Filters(), "personal_recovery")
    assert _metric(at, "Pooled SMD") == text.fmt(pool(sel.yi, sel.vi).estimate)
    # The deck: the presets in order; "Next view" twice = fair/good quality only, pooled after "Show all".
    at.button(key="present_next_view").click().run()
    at.button(key="present_next_view").click().run()
    assert "## Fair/good quality only · slide 2 of 3" in [m.value for m in at.markdown]
    assert "**Trial 1 of" in " ".join(m.value for m in at.markdown)  # the reveal starts again
    at.button(key="present_all").click().run()
    fg = select(ev, Filters(quality=("good", "fair")), "personal_recovery")
    assert _metric(at, "Pooled SMD") == text.fmt(pool(fg.yi, fg.vi).estimate)
    assert at.query_params["present"] == ["1"] or at.query_params["present"] == "1"  # the mode stays in the URL
    # A saved view joins the deck after the presets.
    at.button(key="present_save").click().run()
    assert "slide 2 of 4" in " ".join(m.value for m in at.markdown)


@pytest.mark.apptest
def test_every_page_has_a_share_dialog_with_the_views_link():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["outcome"] = "hope"
    at.run()
    assert not at.exception
    assert not at.get("code")  # the dialog opens on demand
    at.button(key="share_open").click().run()
    assert not at.exception
    dialog = [b for b in at.get("dialog")]
    assert len(dialog) == 1 and dialog[0].proto.dialog.title == "Share this view"
    assert any("outcome=hope" in c.value for c in at.get("code"))  # st.code: the link with its copy button
    assert "Present this view" in [b.proto.label for b in at.get("link_button")]


def test_qr_code_png_has_the_size_of_its_qr_version():
    """No QR decoder is installed here, so the check is structural and independent of segno's API: a PNG whose side
    is (17 + 4 * version + 2 * 4 quiet modules) * scale pixels, with the version the URL's length needs at level M
    (byte mode; ISO/IEC 18004 Table 7: version 3-M holds
    42 bytes, version 2-M 26)."""
    import struct

    from dashboard.presentation import qr_png

    url = "http://127.0.0.1:8501/?outcome=hope&x=12"  # 40 bytes -> version 3 at level M
    assert len(url) == 40
    png = qr_png(url, scale=2)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert width == height == (17 + 4 * 3 + 8) * 2
    assert qr_png(url + "a" * 10, scale=2) != png


# ------------------------------------------------------------------------------------------------- rough edges
def test_dropped_params_lists_what_a_link_asked_for_that_was_not_kept():
    from dashboard.view import decode, dropped_params

    params = {"outcome": "hope", "quality": "good,bogus", "method": "XYZ", "foo": "1", "present": "1",
              "test": "z", "category": "online"}
    view = decode(params, outcomes=["personal_recovery", "hope"], trial_ids=[])
    assert dropped_params(params, view) == ["quality=bogus", "method=XYZ", "foo=1"]
    assert dropped_params({"outcome": "hope"}, view) == []


def test_dropped_params_leaves_uploads_and_valid_grade_overrides_alone():
    """A shared link to an upload (``data``) or with GRADE overrides (``grade``) is understood: no notice; only the
    override parts that do not decode are reported."""
    from dashboard.view import decode, dropped_params

    good = "hope.indirectness.1.US%20only"  # outcome.domain.downgrade.reason (peerstats.grade.encode_overrides)
    params = {"outcome": "hope", "data": "0123456789abcdef", "grade": good}
    view = decode(params, outcomes=["personal_recovery", "hope"], trial_ids=[])
    assert dropped_params(params, view) == []
    assert dropped_params({"grade": f"{good}~hope.nonsense.9.x"}, view) == ["grade=hope.nonsense.9.x"]


@pytest.mark.apptest
def test_a_link_with_invalid_values_says_so_and_the_url_is_canonical():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({"quality": "good,bogus", "method": "XYZ"})
    at.run()
    assert not at.exception
    warned = " ".join(w.value for w in at.warning)
    assert "quality=bogus" in warned and "method=XYZ" in warned
    assert dict(at.query_params) in ({"quality": ["good"]}, {"quality": "good"})
    at.run()  # said once
    assert "were not understood" not in " ".join(w.value for w in at.warning)


@pytest.mark.apptest
def test_sensitivity_after_card_names_its_own_filters():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["page"] = "sensitivity"
    at.run()
    assert not at.exception
    captions = [c.value for c in at.caption if "DerSimonian" in c.value]
    assert len(captions) >= 2
    assert "all trials" in captions[0] and "quality: Good, Fair" in captions[1], captions


def _k1_view():
    from peerstats.data import OUTCOMES, load_evidence
    from peerstats.select import CATEGORIES, Filters, select

    ev = load_evidence()
    for outcome in OUTCOMES:
        for cat in (None, *CATEGORIES):
            f = Filters(categories=(cat,)) if cat else Filters()
            sel = select(ev, f, outcome)
            if sel.k == 1:
                return outcome, cat, sel
    pytest.skip("no single-trial view in the bundled data")


@pytest.mark.apptest
def test_a_single_trial_is_not_called_pooled_and_has_no_prediction_interval():
    from dashboard import text

    outcome, cat, sel = _k1_view()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({"outcome": outcome, **({"category": cat} if cat else {})})
    at.run()
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert "Pooled SMD" not in labels
    assert labels["SMD (one trial)"] == text.fmt(float(sel.yi[0]))
    assert labels["Prediction interval"] == "n/a"


@pytest.mark.apptest
def test_an_outcome_no_trial_reported_says_so_and_is_marked_in_the_selector():
    from peerstats.data import OUTCOMES, load_evidence

    eff = load_evidence().effects
    missing = [o for o in OUTCOMES if not ((eff["outcome"] == o) & eff["primary"].astype(bool)).any()]
    if not missing:
        pytest.skip("every outcome has a trial in the bundled data")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({"outcome": missing[0]})
    at.run()
    assert not at.exception
    info = " ".join(i.value for i in at.info)
    assert "reported" in info and "whatever the filters" in info and "Widen the filters" not in info
    box = at.selectbox(key="v_outcome")
    assert box.format_func(missing[0]).endswith("(no trial reported it)")


@pytest.mark.apptest
def test_presentation_forest_plot_is_drawn_at_one_and_a_half_times_the_font_size():
    """At 1.5 times the font size where the slide's rows fit a projector (presentation.slide_layout, issue 21): the
    bundled view's 18 trials get rows of ~22 px and fonts of ~13 px; 5 trials get 1.5 times."""
    import json

    from dashboard.presentation import slide_layout
    from peerstats.data import load_evidence
    from peerstats.select import Filters, select

    assert slide_layout(5) == (1.5, 36.0)
    k = select(load_evidence(), Filters(), "personal_recovery").k
    scale, row_px = slide_layout(k)

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert spec["config"]["axis"]["labelFontSize"] == round(14 * scale) < 21  # 18 trials
    assert {p["name"]: p["expr"] for p in spec["params"]}["fit"].endswith(f": {scale:g}")
