"""About: what the dashboard computes and how, its conventions and limitations, and the paper to cite."""

from __future__ import annotations

import streamlit as st

from dashboard.context import current

current()  # the shared frame (sidebar, URL state) even when Streamlit runs this file on its own

st.title("About this dashboard")

st.markdown("""
This dashboard lets you explore the evidence of one systematic review and meta-analysis:

> Egmose CH, Heinsvig Poulsen C, Hjorthøj C, Skriver Mundy S, Hellström L, Nørgaard Nielsen M, Korsbek L,
> Serup Rasmussen K, Falgaard Eplov L. **The Effectiveness of Peer Support in Personal and Clinical
> Recovery—Systematic Review and Meta-Analysis.** *Psychiatric Services* 2023 (published online in advance).
> [doi:10.1176/appi.ps.202100138](https://doi.org/10.1176/appi.ps.202100138)

49 randomised controlled trials (12,477 participants) compared peer support for adults with mental illness with
treatment as usual, waitlist or active controls. Please cite the paper, not this dashboard, for its findings.
""")

st.header("Methods")
st.markdown("""
**Effect size.** The standardised mean difference (SMD) as Hedges' *g*, peer support minus control, at the end of
the intervention, with its large-sample variance (metafor `escalc(measure="SMD")`). Signs are aligned so that a
positive SMD means *more* of the construct (more hope, more anxiety); whether that is good depends on the outcome:
the headline says "favours peer support" or "favours control" using each outcome's beneficial direction.
""")
st.latex(r"g = J\,\frac{\bar x_1 - \bar x_2}{s_p},\quad s_p^2 = \frac{(n_1-1)s_1^2 + (n_2-1)s_2^2}{n_1+n_2-2},"
         r"\quad J = \frac{\Gamma(m/2)}{\sqrt{m/2}\,\Gamma((m-1)/2)},\ m = n_1+n_2-2")
st.latex(r"v = \frac{1}{n_1} + \frac{1}{n_2} + \frac{g^2}{2(n_1+n_2)}")
st.markdown("""
**Pooling.** Inverse-variance random-effects meta-analysis. The paper used the DerSimonian-Laird (DL) estimator of
the between-trial variance τ² (Comprehensive Meta-Analysis); the sidebar also offers restricted maximum likelihood
(REML), Paule-Mandel (PM) and a common-effect model, and the Knapp-Hartung adjustment. Every number agrees with R's
metafor package (a committed validation script pins metafor's output).
""")
st.latex(r"w_i = \frac{1}{v_i + \hat\tau^2},\quad \hat\mu = \frac{\sum w_i y_i}{\sum w_i},\quad "
         r"SE(\hat\mu) = \Big(\sum w_i\Big)^{-1/2},\quad \hat\mu \pm z_{0.975}\,SE")
st.latex(r"Q = \sum \frac{(y_i - \hat\mu_{FE})^2}{v_i},\quad "
         r"\hat\tau^2_{DL} = \max\Big(0, \frac{Q - (k-1)}{\sum 1/v_i - \sum v_i^{-2} / \sum 1/v_i}\Big),\quad "
         r"I^2 = 100\% \times \frac{\hat\tau^2}{\hat\tau^2 + \tilde v}")
st.latex(r"\text{95\% prediction interval: } \hat\mu \pm z_{0.975}\sqrt{\hat\tau^2 + SE(\hat\mu)^2}"
         r"\quad(t_{k-1}\text{ with Knapp-Hartung})")
st.markdown("""
with ṽ the "typical" within-trial variance (Higgins & Thompson 2002), as metafor computes I².

**Subgroups.** Each subgroup is pooled with its own τ²; the test for subgroup differences is the Q statistic of the
subgroup estimates (RevMan, Comprehensive Meta-Analysis). A mixed-effects meta-regression with a common τ² (metafor
`rma(mods = ~ factor(group))`) is shown beside it. Subgroup analyses are observational: a difference between
categories may be a difference in quality or control condition, hence the cross-tabulation.

**Sensitivity.** Excluding poor-quality trials (AHRQ standard), other estimators, leave-one-out and cumulative
meta-analysis by publication year (metafor `leave1out`, `cumul`).

**Small-study effects.** Funnel plot with pseudo-95% limits around the pooled estimate, Egger's regression test
(metafor `regtest`, predictor: standard error) and Duval & Tweedie's trim-and-fill (estimator L0). With fewer than
10 trials these have little power.
""")

st.header("Conventions")
st.markdown("""
- **Size** by Cohen's thresholds, as the paper uses them: |SMD| < 0.2 very small, 0.2 small, 0.5 medium, 0.8 large.
- **Heterogeneity** in words by I²: below 25% low, 25-50% moderate, 50-75% substantial, 75% and above considerable.
  The paper calls heterogeneity substantial when the Q-test p < 0.1 and I² > 50%.
- **Significance** at p < 0.05 (two-sided); the headline says when the 95% CI includes no effect.
- Arm 1 is peer support, arm 2 control. Trials with several eligible arms were pooled as the paper did.
- The view (page, filters, outcome, estimator, moderator) is in the address bar: copy the link to share it.
""")

st.header("Limitations")
st.markdown("""
- **Provenance.** The paper's online supplement (its per-trial effect sizes) is not available, and most trial
  papers could not be read here. Effect rows are therefore **reported** (quoted from a source, with the quote),
  **derived** (computed from reported statistics by a named formula) or **reconstructed** (imputed by a documented
  procedure so that the pooled results match what the paper reports). Reconstructed rows are **not trial data**:
  they are drawn hollow with dashed lines, marked in every table, counted in every headline, and can be filtered
  out with *Data provenance* in the sidebar. Results that rest on them reproduce the paper by construction; they
  cannot confirm it. Real rows now exist for 25 of the 49 trials and carry most of the weight of the main result
  (personal recovery); the *Reproduce the paper* page gives, cell by cell, the share and the verdict. Rows whose
  typed numbers look wrong carry a **doubt** (e.g. SDs that look like standard errors); they are marked and can be
  left out with *Exclude doubtful rows*.
- **The paper's caveats.** Most trials had a high risk of bias (35 of 49 are of poor quality); heterogeneity was
  moderate to substantial; few trials of peers in established roles or online; outcomes were measured with many
  different instruments; several of the paper's lists of trials contain inconsistencies (see the data codebook).
- **Filters are exploratory.** Many subgroup and sensitivity analyses on the same 49 trials will produce some
  "significant" differences by chance.
""")

st.header("Credits: data shared by other teams")
st.markdown("""
- **Smit et al. (2022)**, *The effectiveness of peer support for individuals with mental illness: systematic review
  and meta-analysis*, Psychological Medicine (PubMed 36066104): their data set, extracted independently by two
  researchers and shared by the **Metapsy project** (GitHub `metapsy-project/data-peer-support-interventions`;
  Zenodo 10.5281/zenodo.7687898), gives arm-level results for 18 of the paper's trials and their Cochrane RoB 2
  judgements, the second opinion on risk of bias shown on the *Risk of bias* page. Westerhof et al. (2019) comes from
  the Metapsy depression psychotherapy data set (`metapsy-project/data-depression-psyctr`).
- **Dalgaard, Vembye et al.**, the group-based community interventions review (GitHub
  `MikkelVembye/Group-based-interventions`): arm-level results of four trials.
""")

st.header("Software and data")
st.markdown("""
Open source: the `peerstats` Python package (numpy, scipy, pandas) computes every statistic; Streamlit and Altair
draw the dashboard. The evidence base, with a source and a verbatim quote for every reported number, is in `data/`
with its codebook `data/README.md`. Charts download as PNG and SVG, tables as CSV.
""")
