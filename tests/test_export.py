"""Exports: PNG/SVG rendered offline by vl-convert, CSV bytes, and the self-contained HTML report."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from dashboard import charts, export
from peerstats import meta

HOSTILE = '<script>alert("x")</script> & Co'


def _small_forest():
    yi, vi = np.array([0.2, 0.5, -0.1]), np.array([0.04, 0.05, 0.03])
    studies = pd.DataFrame({"label": ["A 2001", HOSTILE, "C 2010"], "yi": yi, "vi": vi,
                            "provenance": ["reported", "reconstructed", "derived"]})
    return charts.forest(studies, meta.pool(yi, vi), "Hope")


@pytest.fixture(scope="module")
def forest():
    return _small_forest()


def test_png_is_a_real_png_with_the_requested_scale(forest):
    png1 = export.chart_png(forest, scale=1)
    png2 = export.chart_png(forest, scale=2)
    for png in (png1, png2):
        assert png[:8] == export.PNG_MAGIC
        assert png[12:16] == b"IHDR"
    w1, h1 = struct.unpack(">II", png1[16:24])
    w2, h2 = struct.unpack(">II", png2[16:24])
    assert w1 > 600 and h1 > 150  # the forest table + plot, not an empty canvas
    assert abs(w2 - 2 * w1) <= 2 and abs(h2 - 2 * h1) <= 2


def test_svg_is_well_formed_and_escapes_text(forest):
    svg = export.chart_svg(forest)
    root = ET.fromstring(svg)  # raises on malformed XML, e.g. an unescaped "<script>" in a trial name
    assert root.tag.endswith("svg")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg  # the hostile label is there, as text
    assert "SMD (Hedges' g)" in svg or "SMD (Hedges&apos; g)" in svg or "SMD (Hedges&#39; g)" in svg


def test_png_accepts_a_spec_dict_and_json(forest):
    spec = forest.to_dict()
    assert export.chart_png(spec, scale=1)[:8] == export.PNG_MAGIC
    assert export.chart_png(forest.to_json(), scale=1)[:8] == export.PNG_MAGIC


def test_every_builder_renders(forest):
    yi, vi = np.array([0.2, 0.5, -0.1, 0.3]), np.array([0.04, 0.05, 0.03, 0.02])
    p = meta.pool(yi, vi)
    rob = pd.DataFrame({"label": ["A", "B"], **{c: ["low", "high"] for c in charts.ROB_DOMAINS}})
    built = [
        charts.subgroup_forest(meta.subgroup_test(yi, vi, ["a", "a", "b", "b"]).table(), p),
        charts.funnel(pd.DataFrame({"yi": yi, "vi": vi}), p.estimate, meta.funnel_limits(p.estimate, 0.25)),
        charts.leave_one_out_plot(meta.leave_one_out(yi, vi).assign(label=list("ABCD"))),
        charts.cumulative_plot(meta.cumulative(yi, vi, order=[1, 2, 3, 4]).assign(label=list("ABCD"))),
        charts.rob_traffic_light(rob),
        charts.rob_summary(rob),
    ]
    for ch in built:
        assert export.chart_png(ch, scale=1)[:8] == export.PNG_MAGIC


def test_csv_round_trips_and_defuses_formulas():
    df = pd.DataFrame({"trial": ["=HYPERLINK(\"http://x\")", "@cmd", "Plain, with comma", "-0.5"],
                       "yi": [0.1, -0.2, np.nan, 0.4]})
    raw = export.frame_csv(df)
    assert isinstance(raw, bytes)
    back = pd.read_csv(io.BytesIO(raw))
    assert list(back.columns) == ["trial", "yi"]
    assert back["trial"].tolist() == ["'=HYPERLINK(\"http://x\")", "'@cmd", "Plain, with comma", "-0.5"]
    np.testing.assert_allclose(back["yi"], df["yi"])  # numbers untouched, including negatives and NaN
    plain = pd.read_csv(io.BytesIO(export.frame_csv(df, protect_formulas=False)))
    assert plain["trial"].iloc[0] == df["trial"].iloc[0]


def test_html_report_is_self_contained_and_escapes_hostile_text(forest):
    table = pd.DataFrame({"Trial": [HOSTILE, "B"], "SMD": [0.123456, -0.5], "Note": [None, "ok"], "n": [40.0, 12.0],
                          "p": [0.0004, 0.2]})
    page = export.html_report(
        f"Report {HOSTILE}",
        [export.Section("Forest plot", text=["Pooled SMD 0.2", HOSTILE], chart=forest),
         {"heading": "Trials", "table": table},
         export.Section("As PNG", chart=forest, chart_format="png")],
        url="http://localhost:8501/?outcome=hope&quality=fair,good",
        headline="Across 3 trials peer support made a small difference.",
        generated=dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc),
    )
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()  # nothing executable, hostile names included
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co") >= 3  # title, text, table
    assert "<td>40</td>" in page and "<td>0.0004</td>" in page and "<td>0.20</td>" in page
    assert "2026-11-24 12:00 UTC" in page
    assert 'href="http://localhost:8501/?outcome=hope&amp;quality=fair,good"' in page
    assert "reconstructed" in page and "Provenance" in page
    assert "<td>0.123</td>" in page and "<td>\u22120.50</td>" in page and "<td>\u2013</td>" in page
    # charts embedded as data URIs: no external resource of any kind
    assert not re.search(r'(src|href)="(?!data:|http://localhost:8501/)', page)
    svg_uri = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page).group(1)
    ET.fromstring(base64.b64decode(svg_uri))
    png_uri = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(png_uri)[:8] == export.PNG_MAGIC


def test_html_report_does_not_link_javascript_urls():
    page = export.html_report("t", [], url="javascript:alert(1)")
    assert "href=" not in page and "javascript:alert(1)" in page  # shown as text, not a link
    with pytest.raises(ValueError, match="chart_format"):
        export.html_report("t", [export.Section("x", chart=_small_forest(), chart_format="gif")])


# ---------------------------------------------------------------------------------------- streamlit download buttons
def _buttons_app():
    import altair as alt
    import pandas as pd

    from dashboard import downloads

    chart = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_point().encode(x="x:Q")
    downloads.download_buttons(chart, "my chart/1", key="c")
    downloads.download_csv(pd.DataFrame({"a": [1]}), "table", key="t")


def test_download_buttons_render_nothing_until_clicked(monkeypatch):
    """The rerun path must not pay for vl-convert: buttons get callables, rendered only on click."""
    from streamlit.testing.v1 import AppTest

    from dashboard import downloads

    calls = []
    monkeypatch.setattr(export, "chart_png", lambda *a, **k: calls.append("png") or export.PNG_MAGIC)
    monkeypatch.setattr(export, "chart_svg", lambda *a, **k: calls.append("svg") or "<svg/>")
    downloads._png_from_spec.cache_clear()
    downloads._svg_from_spec.cache_clear()
    at = AppTest.from_function(_buttons_app)
    at.run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["PNG", "SVG", "Download CSV"]
    assert calls == []  # nothing rendered during the run
    chart = _small_forest()
    assert downloads.png_bytes(chart) == export.PNG_MAGIC
    assert downloads.png_bytes(chart) == export.PNG_MAGIC
    assert downloads.svg_bytes(chart) == b"<svg/>"
    assert calls == ["png", "svg"]  # memoised by the chart's spec: the second PNG click renders nothing
    assert downloads._safe_name("my chart/1") == "my_chart_1"


def test_report_headline_carries_the_imputation_range():
    """The HTML report's headline (components.headline_paragraphs) gives the range over how the imputed values are
    assigned when the view pools reconstructed rows, and nothing of the kind when it does not (issue 17)."""
    from dashboard import components as ui
    from dashboard import text
    from dashboard.context import Context, safe_pool
    from dashboard.view import ViewState
    from peerstats.data import OUTCOMES, load_evidence
    from peerstats.imputation import for_view
    from peerstats.select import Filters, select

    ev = load_evidence()
    for filters, expect in ((Filters(quality=("good", "fair")), True),
                            (Filters(provenance=("reported", "derived")), False)):
        sel = select(ev, filters, "personal_recovery")
        pooled, _ = safe_pool(sel, "DL", "z")
        ctx = Context(evidence=ev, view=ViewState(filters=filters), outcomes=OUTCOMES, selection=sel, pooled=pooled,
                      pool_error=None)
        paragraphs = ui.headline_paragraphs(ctx)
        page = export.html_report("t", [], headline=paragraphs)
        if expect:
            rng = for_view(ev, filters, "personal_recovery")
            assert len(paragraphs) == 2
            assert (f"SMD {text.fmt(pooled.estimate)} ({text.fmt_ci(pooled.ci_low, pooled.ci_high)}); imputed rows: "
                    f"the estimate ranges {text.fmt(rng.estimate_low)} to {text.fmt(rng.estimate_high)}") in page
        else:
            assert len(paragraphs) == 1 and "imputed rows" not in page
