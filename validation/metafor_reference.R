# Reference values for peerstats, computed with R metafor.
#
# Run from the repository root:   Rscript validation/metafor_reference.R
# Writes validation/metafor_reference.json (pinned and committed; the tests never need R).
#
# Needs Debian's r-cran-metafor, r-cran-metadat and r-cran-jsonlite. The script is deterministic (set.seed) and
# every input is rounded to 12 significant digits *before* metafor sees it, so the JSON holds exactly the inputs that
# produced the stored outputs. See validation/README.md for the layout of the JSON.
#
# Exact options used (they matter for comparisons):
# - rma(yi, vi, method = <FE|DL|REML|PM>, test = <"z"|"knha">, level = <95|90>, control = CTRL) with
#   CTRL = list(threshold = 1e-12, maxiter = 10000, tol = 1e-12): metafor's defaults (threshold 1e-5 for REML's
#   Fisher scoring, uniroot tol .Machine$double.eps^0.25 ~ 1.2e-4 for PM) stop early; the tight control gives the
#   converged root, so the tests can compare iterative estimators at ~1e-8. metafor stops with an error when REML/PM
#   fail to converge, so every stored REML/PM result is converged.
# - predict(fit) for pi.lb/pi.ub (metafor gives no prediction interval for FE models: stored as null).
# - confint(fit, control = list(tol = 1e-13, tau2.max = ...)): Q-profile CI of tau2 and I2 (type "QP", default);
#   tau2.max is raised above metafor's default max(100, 10 * tau2) when the upper bound would hit it, so the stored
#   bound is the true Q-profile root and not metafor's truncation. Not defined for FE (stored as null).
# - k = 1: metafor itself switches test "knha" to "z" and reports QE = 0, QEp = 1, I2 = 0, H2 = 1 (the peerstats
#   contract reports nan instead; the tests handle that). confint() stops for k = 1 (stored as null).
# - subgroup ("separate tau2"): one rma() per subgroup (same method/test/level), then
#   rma(yi = estimates, sei = ses, method = "FE") over the subgroup estimates: its QE is Q-between.
# - mixed: rma(yi, vi, mods = ~ factor(g), method = m, control = CTRL) (test "z"), R's factor levels (sorted).
# - leave1out(fit), cumul(fit, order = key) (rows sorted by key ascending, stable: R's order()).
# - regtest(yi, vi = vi, model = "lm", predictor = "sei", ret.fit = TRUE): the sei slope of lm(yi ~ sei,
#   weights = 1 / vi) is Egger's bias coefficient; zval is a t statistic with k - 2 df; est/ci.lb/ci.ub is the limit
#   estimate (intercept).
# - trimfill(fit, control = CTRL) (estimator "L0", side chosen by metafor, the filled model is fitted with test "z").
# - escalc(measure = "SMD", m1i, sd1i, n1i, m2i, sd2i, n2i) (vtype "LS"), escalc("SMD", ti, n1i, n2i) for t and F.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

options(warn = 1)  # show warnings as they happen
set.seed(20231124)
SIG <- 12
CTRL <- list(threshold = 1e-12, maxiter = 10000, tol = 1e-12)
METHODS <- c("FE", "DL", "REML", "PM")
TESTS <- c("z", "knha")

r12 <- function(x) signif(x, SIG)
# Numbers to store: 12 significant digits; NA/NaN become null; a lone +/-Inf is stored as the string "Inf"/"-Inf"
# (JSON has no infinity; it occurs where metafor divides by a zero standard error).
num <- function(x) {
  if (is.null(x)) return(NULL)
  x <- unname(r12(as.numeric(x)))
  if (length(x) == 1 && is.infinite(x)) return(if (x > 0) "Inf" else "-Inf")
  x
}
cases <- list()
add_case <- function(case) {
  if (!is.null(cases[[case$id]])) stop("duplicate case id ", case$id)
  cases[[case$id]] <<- case
}

# ---------------------------------------------------------------------------------------------------------------
# Datasets. Every yi/vi is rounded to 12 significant digits before use.
# ---------------------------------------------------------------------------------------------------------------
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
normand <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
                  data = dat.normand1999)
raud <- dat.raudenbush1985

datasets <- list()
datasets[["bcg"]] <- list(yi = r12(as.numeric(bcg$yi)), vi = r12(as.numeric(bcg$vi)),
                          groups = as.character(bcg$alloc), order = as.numeric(bcg$year),
                          note = "metadat dat.bcg, log risk ratios via escalc('RR'); groups = alloc; order = year")
datasets[["normand"]] <- list(yi = r12(as.numeric(normand$yi)), vi = r12(as.numeric(normand$vi)),
                              groups = NULL, order = NULL,
                              note = "metadat dat.normand1999, SMD via escalc('SMD')")
datasets[["raudenbush"]] <- list(yi = r12(as.numeric(raud$yi)), vi = r12(as.numeric(raud$vi)),
                                 groups = as.character(raud$tester), order = as.numeric(raud$weeks),
                                 note = "metadat dat.raudenbush1985 (yi, vi as given); groups = tester; order = weeks")

# Simulated sets: vi from a spread of study sizes, yi = mu + N(0, tau2) + N(0, vi).
simulate <- function(k, tau2, mu = 0.3, vlo = 0.01, vhi = 0.2) {
  vi <- r12(exp(runif(k, log(vlo), log(vhi))))
  yi <- r12(mu + rnorm(k, 0, sqrt(tau2)) + rnorm(k, 0, sqrt(vi)))
  list(yi = yi, vi = vi)
}
# "Q < df": studies much closer together than their variances imply.
simulate_qltdf <- function(k, mu = 0.2) {
  vi <- r12(exp(runif(k, log(0.02), log(0.2))))
  yi <- r12(mu + 0.25 * rnorm(k, 0, sqrt(vi)))
  list(yi = yi, vi = vi)
}
sim_specs <- list(
  list(id = "sim-k1", k = 1, tau2 = 0.05),
  list(id = "sim-k2-tau2zero", k = 2, tau2 = 0),
  list(id = "sim-k2-tau2mod", k = 2, tau2 = 0.1),
  list(id = "sim-k3-tau2mod", k = 3, tau2 = 0.1),
  list(id = "sim-k3-qltdf", k = 3, qltdf = TRUE),
  list(id = "sim-k5-tau2zero", k = 5, tau2 = 0),
  list(id = "sim-k5-tau2big", k = 5, tau2 = 2, vlo = 0.005, vhi = 0.05),
  list(id = "sim-k10-qltdf", k = 10, qltdf = TRUE),
  list(id = "sim-k10-tau2mod", k = 10, tau2 = 0.05),
  list(id = "sim-k10-tau2big", k = 10, tau2 = 3, vlo = 0.005, vhi = 0.05),
  list(id = "sim-k30-tau2mod", k = 30, tau2 = 0.05),
  list(id = "sim-k30-tau2zero", k = 30, tau2 = 0),
  list(id = "sim-k100-tau2zero", k = 100, tau2 = 0),
  list(id = "sim-k100-tau2mod", k = 100, tau2 = 0.08),
  list(id = "sim-k300-tau2mod", k = 300, tau2 = 0.04),
  list(id = "sim-k300-tau2big", k = 300, tau2 = 5, vlo = 0.002, vhi = 0.05)
)
# Identical studies: the Knapp-Hartung factor sum w (y - mu)^2 / (k - 1) is 0, so metafor reports se = 0, a statistic of
# Inf (or NaN for an estimate of 0) and a degenerate CI; tau2 = 0, Q = 0.
datasets[["identical"]] <- list(yi = c(0.5, 0.5, 0.5), vi = c(0.04, 0.09, 0.01), groups = NULL, order = NULL,
                                note = "three identical effects (0.5) with different variances")
datasets[["identical-zero"]] <- list(yi = c(0, 0), vi = c(1, 1), groups = NULL, order = NULL,
                                     note = "two identical effects of 0 with equal variances")
for (s in sim_specs) {
  d <- if (isTRUE(s$qltdf)) simulate_qltdf(s$k) else
    simulate(s$k, s$tau2, vlo = if (is.null(s$vlo)) 0.01 else s$vlo, vhi = if (is.null(s$vhi)) 0.2 else s$vhi)
  name <- sub("^sim-", "sim-", s$id)
  # Groups cycle through a, b, c (first appearance = sorted order); order key: distinct pseudo-years.
  d$groups <- c("a", "b", "c")[(seq_len(s$k) - 1) %% 3 + 1]
  d$order <- sample.int(10 * s$k + 10, s$k)
  d$note <- if (isTRUE(s$qltdf)) sprintf("simulated, k = %d, yi spread well below sqrt(vi) (Q < df)", s$k) else
    sprintf("simulated, k = %d, true tau2 = %g", s$k, s$tau2)
  datasets[[name]] <- d
}

fit_rma <- function(yi, vi, method, test = "z", level = 95) {
  rma(yi = yi, vi = vi, method = method, test = test, level = level, control = CTRL)
}

# Q-profile CI, with tau2.max raised until the upper bound is a true root (not metafor's cap).
qprofile <- function(fit) {
  if (fit$method %in% c("FE", "EE", "CE") || fit$k < 2) return(NULL)
  tmax <- max(100, 10 * fit$tau2)
  repeat {
    ci <- confint(fit, control = list(tol = 1e-13, tau2.max = tmax))
    if (ci$random["tau^2", "ci.ub"] < tmax * (1 - 1e-9)) break
    tmax <- tmax * 10
  }
  list(tau2_ci_low = num(ci$random["tau^2", "ci.lb"]), tau2_ci_high = num(ci$random["tau^2", "ci.ub"]),
       i2_ci_low = num(ci$random["I^2(%)", "ci.lb"]), i2_ci_high = num(ci$random["I^2(%)", "ci.ub"]),
       h2_ci_low = num(ci$random["H^2", "ci.lb"]), h2_ci_high = num(ci$random["H^2", "ci.ub"]),
       tau2_max_used = tmax)
}

pool_out <- function(fit) {
  p <- predict(fit)
  out <- list(k = fit$k, estimate = num(fit$b[1]), se = num(fit$se), ci_low = num(fit$ci.lb),
              ci_high = num(fit$ci.ub), statistic = num(fit$zval), pval = num(fit$pval), tau2 = num(fit$tau2),
              i2 = num(fit$I2), h2 = num(fit$H2), q = num(fit$QE), q_df = fit$k - 1, q_pval = num(fit$QEp),
              df = if (fit$test == "z") NULL else num(fit$ddf),
              pi_low = num(p$pi.lb), pi_high = num(p$pi.ub),
              weights = num(weights(fit)), metafor_test = fit$test)
  qp <- qprofile(fit)
  if (!is.null(qp)) out <- c(out, qp)
  out
}

# ---------------------------------------------------------------------------------------------------------------
# pool: every dataset x method x test (k = 1: metafor allows only test "z").
# ---------------------------------------------------------------------------------------------------------------
for (name in names(datasets)) {
  d <- datasets[[name]]
  for (method in METHODS) for (test in TESTS) {
    if (length(d$yi) == 1 && test == "knha") next
    fit <- fit_rma(d$yi, d$vi, method, test)
    add_case(list(id = sprintf("pool-%s-%s-%s", method, test, name), fn = "pool", dataset = name,
                  args = list(method = method, test = test, level = 0.95),
                  inputs = list(yi = d$yi, vi = d$vi), expected = pool_out(fit)))
  }
}
# A different level.
for (name in c("bcg", "sim-k10-tau2mod")) for (method in c("DL", "REML")) for (test in TESTS) {
  d <- datasets[[name]]
  fit <- fit_rma(d$yi, d$vi, method, test, level = 90)
  add_case(list(id = sprintf("pool-%s-%s-level90-%s", method, test, name), fn = "pool", dataset = name,
                args = list(method = method, test = test, level = 0.90),
                inputs = list(yi = d$yi, vi = d$vi), expected = pool_out(fit)))
}

# ---------------------------------------------------------------------------------------------------------------
# leave1out and cumul
# ---------------------------------------------------------------------------------------------------------------
frame_out <- function(x, index) {
  # leave1out/cumul name the statistic tval under test = "knha", and have no tau2 column for FE models (null).
  stat <- if (is.null(x$zval)) x$tval else x$zval
  list(index = index, estimate = num(x$estimate), se = num(x$se), statistic = num(stat), pval = num(x$pval),
       ci_low = num(x$ci.lb), ci_high = num(x$ci.ub), q = num(x$Q), q_pval = num(x$Qp), tau2 = num(x$tau2),
       i2 = num(x$I2), h2 = num(x$H2))
}
l1o_specs <- list(
  list("bcg", METHODS, TESTS), list("normand", c("DL", "REML"), "z"), list("raudenbush", c("DL", "REML", "PM"), "z"),
  list("sim-k2-tau2mod", c("DL", "REML"), "z"), list("sim-k3-tau2mod", c("FE", "DL", "PM"), c("z", "knha")),
  list("sim-k10-tau2big", c("DL", "REML"), "z"), list("sim-k30-tau2mod", c("DL", "REML", "PM"), "z"),
  list("sim-k10-qltdf", "REML", "knha")
)
for (s in l1o_specs) for (method in s[[2]]) for (test in s[[3]]) {
  d <- datasets[[s[[1]]]]
  fit <- fit_rma(d$yi, d$vi, method, test)
  l1o <- suppressWarnings(leave1out(fit))  # k - 1 = 1 refits warn that knha becomes z
  add_case(list(id = sprintf("leave1out-%s-%s-%s", method, test, s[[1]]), fn = "leave_one_out", dataset = s[[1]],
                args = list(method = method, test = test, level = 0.95), inputs = list(yi = d$yi, vi = d$vi),
                expected = frame_out(l1o, seq_along(d$yi) - 1)))
}
cumul_specs <- list(
  list("bcg", METHODS, TESTS), list("raudenbush", c("DL", "REML"), "z"), list("sim-k3-qltdf", c("DL"), "z"),
  list("sim-k10-tau2mod", c("DL", "REML", "PM"), c("z", "knha")), list("sim-k30-tau2mod", c("DL"), "z")
)
for (s in cumul_specs) for (method in s[[2]]) for (test in s[[3]]) {
  d <- datasets[[s[[1]]]]
  fit <- fit_rma(d$yi, d$vi, method, test)
  cu <- suppressWarnings(cumul(fit, order = d$order))
  idx <- order(d$order) - 1
  add_case(list(id = sprintf("cumul-%s-%s-%s", method, test, s[[1]]), fn = "cumulative", dataset = s[[1]],
                args = list(method = method, test = test, level = 0.95),
                inputs = list(yi = d$yi, vi = d$vi, order = d$order),
                expected = c(frame_out(cu, idx), list(k = seq_along(idx)))))
}

# ---------------------------------------------------------------------------------------------------------------
# regtest (Egger, classical: weighted lm with sei as predictor)
# ---------------------------------------------------------------------------------------------------------------
for (name in c("bcg", "normand", "raudenbush", "sim-k3-tau2mod", "sim-k5-tau2big", "sim-k10-qltdf",
               "sim-k10-tau2mod", "sim-k30-tau2mod", "sim-k100-tau2mod", "sim-k300-tau2big")) {
  d <- datasets[[name]]
  rt <- regtest(d$yi, vi = d$vi, model = "lm", predictor = "sei", ret.fit = TRUE)
  co <- coef(summary(rt$fit))
  add_case(list(id = sprintf("egger-%s", name), fn = "egger_test", dataset = name, args = list(),
                inputs = list(yi = d$yi, vi = d$vi),
                expected = list(intercept = num(co[2, 1]), se = num(co[2, 2]), statistic = num(rt$zval),
                                df = rt$dfs, pval = num(rt$pval), limit_estimate = num(rt$est),
                                limit_ci_low = num(rt$ci.lb), limit_ci_high = num(rt$ci.ub))))
}

# ---------------------------------------------------------------------------------------------------------------
# trimfill (L0; side chosen by metafor)
# ---------------------------------------------------------------------------------------------------------------
tf_specs <- list(
  list("bcg", METHODS), list("normand", c("FE", "DL", "REML")), list("raudenbush", METHODS),
  list("sim-k5-tau2big", c("DL")), list("sim-k10-tau2mod", c("DL", "REML")), list("sim-k30-tau2mod", c("DL", "PM")),
  list("sim-k100-tau2mod", c("DL", "REML"))
)
# A deliberately asymmetric set (small studies with large effects removed/added) so that k0 > 0 for sure.
asym <- local({
  vi <- r12(exp(runif(25, log(0.005), log(0.3))))
  yi <- r12(0.2 + rnorm(25, 0, sqrt(0.02)) + rnorm(25, 0, sqrt(vi)))
  keep <- !(yi < 0.2 & vi > 0.05)
  list(yi = yi[keep], vi = vi[keep])
})
asym$note <- "simulated, small studies with effects below 0.2 removed (publication-bias-like asymmetry)"
datasets[["sim-asym"]] <- asym
# Three studies so asymmetric that L0 trims down to a single study (k0 = k - 1 = 2): the trimmed model is a k = 1 fit
# (tau2 = 0). Found by the hypothesis property tests.
datasets[["tf-k3-extreme"]] <- list(yi = c(0.69969093, 0.4246404, 0.24531505),
                                    vi = c(0.09394926, 0.01731982, 0.00603833),
                                    note = "three studies, trim-and-fill trims to one study (k0 = 2)")
tf_specs <- c(tf_specs, list(list("sim-asym", METHODS), list("tf-k3-extreme", METHODS)))
for (s in tf_specs) for (method in s[[2]]) {
  d <- datasets[[s[[1]]]]
  fit <- fit_rma(d$yi, d$vi, method)
  tf <- trimfill(fit, control = CTRL)
  filled <- which(tf$fill)
  add_case(list(id = sprintf("trimfill-%s-%s", method, s[[1]]), fn = "trim_and_fill", dataset = s[[1]],
                args = list(method = method, estimator = "L0"), inputs = list(yi = d$yi, vi = d$vi),
                expected = list(k0 = tf$k0, side = tf$side, estimate = num(tf$b[1]), se = num(tf$se),
                                ci_low = num(tf$ci.lb), ci_high = num(tf$ci.ub), pval = num(tf$pval),
                                tau2 = num(tf$tau2), i2 = num(tf$I2), k = tf$k,
                                observed_estimate = num(fit$b[1]),
                                filled_yi = num(tf$yi[filled]), filled_vi = num(tf$vi[filled]))))
}

# ---------------------------------------------------------------------------------------------------------------
# Subgroups: separate tau2 per subgroup + fixed-effect Q over the subgroup estimates; and the mixed-effects model.
# ---------------------------------------------------------------------------------------------------------------
sub_specs <- list(
  list("bcg", METHODS, TESTS), list("raudenbush", c("DL", "REML", "PM"), c("z", "knha")),
  list("sim-k10-tau2mod", c("DL", "REML"), "z"), list("sim-k30-tau2mod", c("DL", "PM"), "z"),
  list("sim-k100-tau2mod", "REML", "z")
)
# A set with a singleton subgroup (k = 1 subgroups take part with their own se).
single <- datasets[["sim-k10-tau2big"]]
single$groups <- c("p", "p", "q", "p", "q", "q", "r", "p", "q", "q")
datasets[["sim-k10-singleton"]] <- single
sub_specs <- c(sub_specs, list(list("sim-k10-singleton", c("DL", "REML"), "z")))
for (s in sub_specs) for (method in s[[2]]) for (test in s[[3]]) {
  d <- datasets[[s[[1]]]]
  labels <- unique(d$groups)
  fits <- lapply(labels, function(g) {
    sel <- d$groups == g
    suppressWarnings(fit_rma(d$yi[sel], d$vi[sel], method, test))
  })
  est <- sapply(fits, function(f) f$b[1])
  se <- sapply(fits, function(f) f$se)
  between <- rma(yi = est, sei = se, method = "FE")
  sub <- lapply(fits, function(f) list(k = f$k, estimate = num(f$b[1]), se = num(f$se), ci_low = num(f$ci.lb),
                                       ci_high = num(f$ci.ub), pval = num(f$pval), tau2 = num(f$tau2),
                                       i2 = num(f$I2), q = num(f$QE)))
  names(sub) <- labels
  add_case(list(id = sprintf("subgroup-%s-%s-%s", method, test, s[[1]]), fn = "subgroup_test", dataset = s[[1]],
                args = list(method = method, test = test, level = 0.95),
                inputs = list(yi = d$yi, vi = d$vi, groups = d$groups),
                expected = list(q_between = num(between$QE), df = length(labels) - 1, pval = num(between$QEp),
                                labels = labels, subgroups = sub)))
}
mixed_specs <- list(list("bcg", METHODS), list("raudenbush", c("DL", "REML", "PM")),
                    list("sim-k10-tau2mod", c("DL", "REML")), list("sim-k30-tau2mod", c("FE", "DL", "PM")),
                    list("sim-k100-tau2mod", c("REML")), list("sim-k10-singleton", c("DL")))
for (s in mixed_specs) for (method in s[[2]]) {
  d <- datasets[[s[[1]]]]
  g <- d$groups
  fit <- rma(yi = d$yi, vi = d$vi, mods = ~ factor(g), method = method, control = CTRL)
  add_case(list(id = sprintf("mixed-%s-%s", method, s[[1]]), fn = "mixed_subgroup_test", dataset = s[[1]],
                args = list(method = method), inputs = list(yi = d$yi, vi = d$vi, groups = g),
                expected = list(qm = num(fit$QM), qm_df = fit$QMdf[1], qm_pval = num(fit$QMp), tau2 = num(fit$tau2),
                                qe = num(fit$QE), qe_df = fit$k - fit$p, qe_pval = num(fit$QEp),
                                levels = levels(factor(g)), terms = rownames(fit$b),
                                coef_estimate = num(fit$b), coef_se = num(fit$se), coef_zval = num(fit$zval),
                                coef_pval = num(fit$pval))))
}

# ---------------------------------------------------------------------------------------------------------------
# escalc SMD (Hedges' g, exact J, vtype "LS"), from means/SDs and from t / F(1, df) statistics.
# ---------------------------------------------------------------------------------------------------------------
esc_case <- function(id, m1, sd1, n1, m2, sd2, n2, note) {
  m1 <- r12(m1); sd1 <- r12(sd1); m2 <- r12(m2); sd2 <- r12(sd2)
  e <- escalc(measure = "SMD", m1i = m1, sd1i = sd1, n1i = n1, m2i = m2, sd2i = sd2, n2i = n2)
  add_case(list(id = id, fn = "smd", args = list(), note = note,
                inputs = list(m1 = m1, sd1 = sd1, n1 = n1, m2 = m2, sd2 = sd2, n2 = n2),
                expected = list(yi = num(e$yi), vi = num(e$vi))))
}
nd <- dat.normand1999
esc_case("smd-normand1999", nd$m1i, nd$sd1i, nd$n1i, nd$m2i, nd$sd2i, nd$n2i, "metadat dat.normand1999")
esc_case("smd-small-n", c(1.5, 10, -3, 0.2, 7), c(1, 2.5, 4, 0.3, 1.1), c(2, 2, 3, 4, 2),
         c(0.5, 12, -1, 0.1, 7), c(1.3, 2, 3.5, 0.2, 0.9), c(2, 3, 2, 4, 3), "tiny arms (n = 2, 3, 4): exact J matters")
local({
  n <- 60
  n1 <- sample(2:400, n, replace = TRUE); n2 <- sample(2:400, n, replace = TRUE)
  esc_case("smd-sim-60", rnorm(n, 10, 3), exp(rnorm(n, 1, 0.5)), n1, rnorm(n, 10, 3), exp(rnorm(n, 1, 0.5)), n2,
           "60 random studies, n from 2 to 400")
})
esc_case("smd-zero-difference", c(5, 5), c(2, 3), c(10, 100), c(5, 5), c(2, 1), c(12, 80), "equal means: yi = 0")
esc_case("smd-huge-n", c(0.3, 1), c(1, 1), c(1e5, 5e6), c(0, 0.5), c(1, 2), c(1e5, 5e6), "very large arms: J ~ 1")
t_case <- function(id, t, n1, n2, note, f = NULL, sign = NULL) {
  t <- r12(t)
  e <- escalc(measure = "SMD", ti = t, n1i = n1, n2i = n2)
  inputs <- if (is.null(f)) list(t = t, n1 = n1, n2 = n2) else list(f = r12(f), sign = sign, n1 = n1, n2 = n2)
  add_case(list(id = id, fn = if (is.null(f)) "smd_from_t" else "smd_from_f", args = list(), note = note,
                inputs = inputs, expected = list(yi = num(e$yi), vi = num(e$vi))))
}
t_case("smd-from-t", c(2.1, -0.5, 0, 3.7, -2.2, 1.01), c(10, 20, 15, 3, 40, 200), c(12, 25, 15, 2, 38, 190),
       "escalc('SMD', ti, n1i, n2i): d = t sqrt(1/n1 + 1/n2), then J and vtype LS")
local({
  f <- c(4.41, 0.25, 9, 0.5, 12.3); s <- c(1, -1, 1, -1, -1)
  t_case("smd-from-f", s * sqrt(r12(f)), c(10, 20, 5, 60, 33), c(12, 25, 6, 58, 30),
         "F(1, df) with a sign: t = sign sqrt(F), then as smd_from_t", f = f, sign = s)
})

# ---------------------------------------------------------------------------------------------------------------
# Funnel pseudo-confidence limits: estimate +/- qnorm(0.975) se (hand formula, evaluated in R).
# ---------------------------------------------------------------------------------------------------------------
for (name in c("bcg", "normand", "raudenbush")) {
  d <- datasets[[name]]
  fit <- fit_rma(d$yi, d$vi, "FE")
  se_max <- max(sqrt(d$vi))
  se <- seq(0, se_max, length.out = 50)
  add_case(list(id = sprintf("funnel-%s", name), fn = "funnel_limits", dataset = name,
                args = list(level = 0.95, n = 50), inputs = list(estimate = num(fit$b[1]), se_max = num(se_max)),
                expected = list(se = num(se), ci_low = num(fit$b[1] - qnorm(0.975) * se),
                                ci_high = num(fit$b[1] + qnorm(0.975) * se))))
}

# ---------------------------------------------------------------------------------------------------------------
out <- list(
  generated_by = "validation/metafor_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  metadat_version = as.character(packageVersion("metadat")),
  jsonlite_version = as.character(packageVersion("jsonlite")),
  seed = 20231124, significant_digits = SIG, rma_control = CTRL,
  datasets = lapply(datasets, function(d) list(k = length(d$yi), note = d$note)),
  n_cases = length(cases),
  cases = unname(cases)
)
path <- file.path("validation", "metafor_reference.json")
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = FALSE), path)
cat(sprintf("wrote %s: %d cases, %.0f kB\n", path, length(cases), file.size(path) / 1024))
print(table(sapply(cases, function(x) x$fn)))
