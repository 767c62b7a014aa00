# Reference values for peerstats.meta_regression, computed with R metafor.
#
# Run from the repository root:   Rscript validation/regression_reference.R
# Writes validation/regression_reference.json (pinned and committed; the tests never need R).
#
# Exact options (they matter for comparisons):
# - rma(yi, vi, mods = M, method = <FE|DL|REML|PM>, test = <"z"|"knha">, level = <95|90>, control = CTRL) with
#   CTRL = list(threshold = 1e-12, maxiter = 10000, tol = 1e-12) so REML's Fisher scoring and PM's root converge
#   fully (metafor's defaults stop at 1e-5 / ~1.2e-4). M is the numeric k x (p - 1) moderator matrix without the
#   intercept; a categorical moderator is coded by model.matrix(~ factor(g))[, -1] (R's sorted levels, treatment
#   contrasts), exactly what mods = ~ factor(g) builds.
# - R2 is metafor's default (r2def "1": (tau2_0 - tau2) / tau2_0 in percent, 0 when tau2_0 = 0; FE: adjusted R2 of
#   the weighted lm); I2/H2 are the residual ones.
# - predict(fit, newmods = N) at three settings per case: the column means of M, its first row and its last row.
# - Inputs are rounded to 12 significant digits before metafor sees them, so the JSON holds exactly the inputs that
#   produced the outputs.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
options(warn = 1)
set.seed(20261201)
SIG <- 12
CTRL <- list(threshold = 1e-12, maxiter = 10000, tol = 1e-12)
r12 <- function(x) signif(x, SIG)
num <- function(x) {
  if (is.null(x)) return(NULL)
  x <- unname(r12(as.numeric(x)))
  x[is.nan(x)] <- NA
  x
}

# ---------------------------------------------------------------------------------------------------------------
# Datasets: yi, vi and named moderator columns (numeric, or character for categorical).
# ---------------------------------------------------------------------------------------------------------------
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
raud <- dat.raudenbush1985

eff <- read.csv("data/effects.csv", stringsAsFactors = FALSE)
tri <- read.csv("data/trials.csv", stringsAsFactors = FALSE)
pr <- eff[eff$primary %in% c("True", "TRUE", "true") & eff$outcome == "personal_recovery", ]
pr <- merge(pr, tri[, c("trial_id", "year", "category", "n_randomized")], by = "trial_id")
pr <- pr[order(pr$trial_id), ]
pr$n <- ifelse(is.na(pr$n_peer) | is.na(pr$n_control), pr$n_randomized, pr$n_peer + pr$n_control)
pr <- pr[!is.na(pr$n), ]

# tau2 = 0 edge cases: a linear trend in x with residual scatter far below sqrt(vi), so Q_E < k - p and the residual
# tau2 is truncated at 0 ("sim-trend-qeltdf"); and effects with no heterogeneity at all, so the intercept-only tau2 is
# 0 as well and R2 is 0 by definition ("sim-flat-qltdf").
k1 <- 12
x1 <- r12(runif(k1, 0, 10))
v1 <- r12(exp(runif(k1, log(0.02), log(0.2))))
y1 <- r12(0.1 + 0.08 * x1 + 0.2 * rnorm(k1, 0, sqrt(v1)))
y2 <- r12(0.3 + 0.2 * rnorm(k1, 0, sqrt(v1)))
# a larger simulated set with two continuous moderators and a three-level factor, true tau2 = 0.05
k3 <- 40
x3a <- r12(rnorm(k3, 0, 1))
x3b <- r12(runif(k3, 20, 400))
g3 <- sample(c("a", "b", "c"), k3, replace = TRUE)
v3 <- r12(exp(runif(k3, log(0.01), log(0.15))))
y3 <- r12(0.2 + 0.15 * x3a - 0.0005 * x3b + 0.1 * (g3 == "b") + rnorm(k3, 0, sqrt(0.05)) + rnorm(k3, 0, sqrt(v3)))

datasets <- list(
  bcg = list(yi = r12(as.numeric(bcg$yi)), vi = r12(as.numeric(bcg$vi)),
             cols = list(ablat = as.numeric(bcg$ablat), year = as.numeric(bcg$year), alloc = as.character(bcg$alloc)),
             note = "metadat dat.bcg, log risk ratios via escalc('RR'); moderators ablat, year, alloc"),
  raudenbush = list(yi = r12(as.numeric(raud$yi)), vi = r12(as.numeric(raud$vi)),
                    cols = list(weeks = as.numeric(raud$weeks), tester = as.character(raud$tester)),
                    note = "metadat dat.raudenbush1985; moderators weeks, tester"),
  bundled = list(yi = r12(pr$yi), vi = r12(pr$vi),
                 cols = list(year = as.numeric(pr$year), n = as.numeric(pr$n), category = as.character(pr$category)),
                 note = paste("data/ primary personal_recovery rows (every provenance), sorted by trial_id;",
                              "n = n_peer + n_control, else the trial's n_randomized")),
  `sim-trend-qeltdf` = list(yi = y1, vi = v1, cols = list(x = x1),
                            note = "simulated k = 12, yi = 0.1 + 0.08 x + 0.2 N(0, vi): residual Q_E < df, tau2 = 0"),
  `sim-flat-qltdf` = list(yi = y2, vi = v1, cols = list(x = x1),
                          note = "simulated k = 12, yi = 0.3 + 0.2 N(0, vi): tau2 = 0 with and without x, R2 = 0"),
  `sim-k40` = list(yi = y3, vi = v3, cols = list(xa = x3a, xb = x3b, g = g3),
                   note = "simulated k = 40, two continuous moderators and a 3-level factor, true tau2 = 0.05")
)

# moderator specifications per dataset (column names joined by "+")
specs <- list(
  bcg = c("ablat", "year", "ablat+year", "alloc", "ablat+alloc"),
  raudenbush = c("weeks", "tester"),
  bundled = c("year", "n", "category", "year+n"),
  `sim-trend-qeltdf` = c("x"),
  `sim-flat-qltdf` = c("x"),
  `sim-k40` = c("xa", "xa+xb+g")
)

design <- function(d, spec) {
  parts <- strsplit(spec, "+", fixed = TRUE)[[1]]
  cols <- list()
  for (nm in parts) {
    v <- d$cols[[nm]]
    if (is.character(v)) {
      mm <- model.matrix(~ factor(v))[, -1, drop = FALSE]
      lv <- sort(unique(v))
      colnames(mm) <- paste0(nm, lv[-1])
      for (j in seq_len(ncol(mm))) cols[[colnames(mm)[j]]] <- unname(mm[, j])
    } else {
      cols[[nm]] <- r12(v)
    }
  }
  M <- do.call(cbind, cols)
  colnames(M) <- names(cols)
  M
}

cases <- list()
add_case <- function(case) {
  if (!is.null(cases[[case$id]])) stop("duplicate case id ", case$id)
  cases[[case$id]] <<- case
}

run_case <- function(dname, spec, method, test, level) {
  d <- datasets[[dname]]
  M <- design(d, spec)
  fit <- rma(yi = d$yi, vi = d$vi, mods = M, method = method, test = test, level = level, control = CTRL)
  N <- rbind(colMeans(M), M[1, ], M[nrow(M), ])
  pr <- predict(fit, newmods = N, level = level)
  id <- sprintf("reg-%s-%s-%s-%s%s", method, test, dname, gsub("+", "-", spec, fixed = TRUE),
                if (level != 95) sprintf("-level%d", level) else "")
  add_case(list(
    id = id, dataset = dname, mods_spec = spec, terms = c("intrcpt", colnames(M)),
    args = list(method = method, test = test, level = level / 100),
    inputs = list(yi = d$yi, vi = d$vi, mods = unname(M), newmods = unname(N)),
    expected = list(
      k = fit$k, p = fit$p, coef = num(fit$beta), se = num(fit$se), statistic = num(fit$zval), pval = num(fit$pval),
      ci_low = num(fit$ci.lb), ci_high = num(fit$ci.ub), qm = num(fit$QM), qm_df = fit$m, qm_pval = num(fit$QMp),
      qe = num(fit$QE), qe_df = fit$k - fit$p, qe_pval = num(fit$QEp), tau2 = num(fit$tau2), i2 = num(fit$I2),
      h2 = num(fit$H2), r2 = num(fit$R2),
      pred = num(pr$pred), pred_se = num(pr$se), pred_ci_low = num(pr$ci.lb), pred_ci_high = num(pr$ci.ub),
      pred_pi_low = num(if (is.null(pr$pi.lb)) pr$ci.lb else pr$pi.lb),
      pred_pi_high = num(if (is.null(pr$pi.ub)) pr$ci.ub else pr$pi.ub)
    )
  ))
}

for (dname in names(specs)) {
  for (spec in specs[[dname]]) {
    for (method in c("FE", "DL", "REML", "PM")) {
      for (test in c("z", "knha")) run_case(dname, spec, method, test, 95)
    }
  }
}
for (method in c("DL", "REML")) for (test in c("z", "knha")) run_case("bcg", "ablat", method, test, 90)

out <- list(
  generated_by = "validation/regression_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  metadat_version = as.character(packageVersion("metadat")),
  seed = 20261201, significant_digits = SIG, rma_control = CTRL,
  datasets = lapply(datasets, function(d) list(k = length(d$yi), note = d$note)),
  n_cases = length(cases),
  cases = unname(cases)
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = 1), "validation/regression_reference.json")
cat("wrote", length(cases), "cases\n")
