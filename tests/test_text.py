"""dashboard.text: the plain-language headline sentence."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

from dashboard.text import (
    count, direction, doubtful_by, estimate_with_imputation, fmt, fmt_ci, fmt_p, fmt_participants, headline_sentence,
    heterogeneity_words, imputation_detail, imputation_phrase, magnitude, participants_note, provenance_mix,
)

NAN = float("nan")


def result(k=10, estimate=0.20, ci_low=0.11, ci_high=0.29, pval=0.00002, i2=47.0, q_pval=0.02):
    return SimpleNamespace(k=k, estimate=estimate, ci_low=ci_low, ci_high=ci_high, pval=pval, i2=i2, q_pval=q_pval,
                           level=0.95)


@pytest.mark.parametrize("smd, word", [
    (0.0, "very small"), (0.12, "very small"), (0.199, "very small"), (0.2, "small"), (-0.21, "small"),
    (0.499, "small"), (0.5, "medium"), (-0.79, "medium"), (0.8, "large"), (-1.3, "large"),
])
def test_cohen_thresholds(smd, word):
    assert magnitude(smd) == word


def test_direction_uses_the_beneficial_direction():
    assert direction(0.20, +1) == "favours peer support"      # more hope is better
    assert direction(-0.21, -1) == "favours peer support"     # less anxiety is better
    assert direction(0.15, -1) == "favours control"           # more anxiety under peer support
    assert direction(-0.1, +1) == "favours control"
    assert direction(0.0, +1) == "shows no difference"


@pytest.mark.parametrize("i2, word", [(0, "low"), (24.9, "low"), (25, "moderate"), (47, "moderate"),
                                       (50, "substantial"), (68, "substantial"), (75, "considerable")])
def test_heterogeneity_bands(i2, word):
    assert heterogeneity_words(i2, 0.03).startswith(word + " heterogeneity")


def test_heterogeneity_details_and_single_trial():
    assert heterogeneity_words(68, 0.03) == "substantial heterogeneity (I² = 68%, Q-test p = 0.030)"
    assert heterogeneity_words(0, 0.0004) == "low heterogeneity (I² = 0%, Q-test p < 0.001)"
    assert "one trial" in heterogeneity_words(NAN)


def test_provenance_mix_in_words():
    assert provenance_mix({"reported": 3, "derived": 1, "reconstructed": 6}) == (
        "10 trials: 3 reported, 1 derived, 6 reconstructed")
    assert provenance_mix({"reported": 1, "derived": 0, "reconstructed": 0}) == "1 trial: 1 reported"
    assert provenance_mix({"reported": 0, "derived": 0, "reconstructed": 0}) == "0 trials"


def test_number_formats():
    assert fmt(-0.214) == "\u22120.21" and fmt(0.2) == "0.20" and fmt(NAN) == "n/a" and fmt(None) == "n/a"
    assert fmt(-0.001) == "0.00"   # no "-0.00"
    assert fmt_ci(-0.40, -0.02) == "\u22120.40 to \u22120.02"
    assert fmt_ci(NAN, 0.3) == "n/a"
    assert fmt_p(0.0004) == "< 0.001" and fmt_p(0.015) == "0.015" and fmt_p(NAN) == "n/a"


def test_headline_for_the_papers_personal_recovery_result():
    counts = {"reported": 3, "derived": 1, "reconstructed": 6}
    s = headline_sentence(result(), "Personal recovery", +1, counts)
    assert s == ("10 trials: 3 reported, 1 derived, 6 reconstructed. Peer support had a small effect on personal "
                 "recovery that favours peer support (SMD 0.20, 95% CI 0.11 to 0.29, p < 0.001), with moderate "
                 "heterogeneity (I² = 47%, Q-test p = 0.020).")


def test_headline_anxiety_lower_is_better_and_nonsignificant_caveat():
    counts = {"reported": 4, "derived": 0, "reconstructed": 0}
    s = headline_sentence(result(k=4, estimate=-0.21, ci_low=-0.40, ci_high=-0.02, pval=0.03, i2=68, q_pval=0.03),
                          "Anxiety", -1, counts)
    assert "small effect on anxiety that favours peer support" in s
    assert "includes no effect" not in s
    ns = headline_sentence(result(k=2, estimate=0.27, ci_low=-0.02, ci_high=0.56, pval=0.07, i2=72, q_pval=0.07),
                           "Personal recovery", +1, {"reported": 2})
    assert "the 95% CI includes no effect" in ns and "substantial heterogeneity" in ns
    # issue 10: a CI that includes no effect never gets size or direction words claiming an effect
    assert "favours" not in ns and "effect on" not in ns
    assert "no clear difference in personal recovery between peer support and control" in ns


@pytest.mark.parametrize("estimate, ci_low, ci_high", [
    (0.14, -0.04, 0.32),      # the example: poor-quality trials excluded
    (-0.30, -0.70, 0.10), (0.0, -0.2, 0.2), (0.9, -0.01, 1.8),
])
@pytest.mark.parametrize("k", [1, 5])
def test_headline_never_claims_an_effect_whose_ci_includes_no_effect(estimate, ci_low, ci_high, k):
    s = headline_sentence(result(k=k, estimate=estimate, ci_low=ci_low, ci_high=ci_high, pval=0.2), "Hope", +1,
                          {"reported": k})
    for claim in ("favours", "small effect", "medium effect", "large effect", "very small effect"):
        assert claim not in s
    assert "includes no effect" in s


def test_headline_k0_and_k1_say_so_in_words():
    s0 = headline_sentence(None, "Hope", +1, {})
    assert s0.startswith("No trials match the current filters for hope")
    one = result(k=1, estimate=0.3, ci_low=-0.09, ci_high=0.69, pval=0.13, i2=NAN, q_pval=NAN)
    s1 = headline_sentence(one, "Hope", +1, {"reported": 1})
    assert s1.startswith("1 trial: 1 reported. Only one trial, so nothing is pooled")
    assert "cannot show heterogeneity" in s1
    assert math.isnan(one.i2)


def test_labels_inside_sentences_keep_acronyms():
    from dashboard.text import lower_first

    assert lower_first("Hope") == "hope"
    assert lower_first("BASIS-24 score") == "BASIS-24 score"
    assert lower_first("AHRQ quality") == "AHRQ quality"
    s = headline_sentence(result(k=3), "BASIS-24 score", -1, {"reported": 3})
    assert "effect on BASIS-24 score" in s


def test_markdown_escape_makes_labels_inert():
    from dashboard.text import md_escape

    # every markdown punctuation mark is backslash-escaped (CommonMark renders "\\." as ".")
    assert md_escape("Cook et al., 2012 (WRAP)") == "Cook et al\\., 2012 \\(WRAP\\)"
    assert md_escape("[x](javascript:alert(1))") == "\\[x\\]\\(javascript\\:alert\\(1\\)\\)"
    assert md_escape("![img](http://e.vil/a.png)").startswith("\\!\\[img\\]")


def test_count_puts_the_noun_in_the_right_number():
    assert count(1, "trial") == "1 trial"
    assert count(0, "trial") == "0 trials"
    assert count(6, "imputed trial") == "6 imputed trials"


# ---- issue 17: doubtful rows under their own provenance, unknown N, the imputation range, a hedge ---------------
def test_doubtful_rows_are_counted_under_their_provenance():
    counts = {"reported": 7, "derived": 1, "reconstructed": 7, "doubtful": 3, "doubtful_by": {"reported": 3}}
    assert provenance_mix(counts) == "15 trials: 7 reported (3 of them doubtful), 1 derived, 7 reconstructed"
    frame = pd.DataFrame({"provenance": ["reported", "reported", "derived", "reconstructed"],
                          "doubt": ["SDs look like SEs", "", None, "  "]})
    assert doubtful_by(frame) == {"reported": 1}
    assert doubtful_by(frame.drop(columns="doubt")) == {}


def test_unknown_participants_are_not_zero():
    assert fmt_participants([33.0, 86.0]) == "119"
    assert fmt_participants([NAN, NAN]) == "unknown"
    assert fmt_participants([100.0, NAN]) == "at least 100"
    assert participants_note([100.0, NAN]).startswith("The number of participants is unknown for 1 of 2 rows")
    assert participants_note([1.0, 2.0]) == ""


def rng(low=0.18, high=0.31, n=5040, exhaustive=True, n_distinct=5040):
    return SimpleNamespace(estimate_low=low, estimate_high=high, n_assignments=n, exhaustive=exhaustive,
                           varies=n_distinct > 1, estimate=0.21, ci_low_low=0.05, ci_low_high=0.1, ci_high_low=0.3,
                           ci_high_high=0.4, level=0.95, n_failed=0, n_reconstructed=7,
                           cells=(("hospital_added:personal_recovery", 7, 7),))


def test_imputation_phrase_in_words():
    res = result(estimate=0.21, ci_low=0.08, ci_high=0.34)
    assert estimate_with_imputation(res, rng()) == (
        "0.21 (0.08 to 0.34); imputed rows: the estimate ranges 0.18 to 0.31 over how they are assigned "
        "(all 5,040 assignments)")
    assert imputation_phrase(rng(n=1000, exhaustive=False)).endswith("(1,000 random assignments, fixed seed)")
    assert imputation_phrase(None) == "" and estimate_with_imputation(res, None) == "0.21 (0.08 to 0.34)"
    assert imputation_phrase(rng(n_distinct=1)) == ""  # nothing to re-assign: nothing said
    detail = imputation_detail(rng())
    assert "Peers added to hospital services" in detail and "7 of its 7 reconstructed trials in view" in detail
    assert "0.18 to 0.31" in detail
    assert imputation_detail(None).startswith("No reconstructed row is pooled in this view")


def test_one_place_for_a_certainty_hedge():
    plain = headline_sentence(result(), "Personal recovery", 1, {"reported": 10})
    hedged = headline_sentence(result(), "Personal recovery", 1, {"reported": 10}, hedge="probably")
    assert "Peer support had a small effect" in plain
    assert hedged == plain.replace("Peer support had", "Peer support probably had")
    unclear = headline_sentence(result(ci_low=-0.05), "Hope", 1, {"reported": 10}, hedge="probably")
    # no effect is claimed, so there is nothing to hedge
    assert "The trials show no clear difference in hope" in unclear and "probably" not in unclear
