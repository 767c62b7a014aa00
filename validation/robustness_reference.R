# Reference values for the robustness lab (issue 11), computed with R metafor.
#
# Run from the repository root:   Rscript validation/robustness_reference.R
# Writes validation/robustness_reference.json (pinned and committed; the tests never need R). Checked by
# tests/test_robustness_metafor.py. Deterministic (set.seed); every input is rounded to 12 significant digits before
# metafor sees it.
#
# Exact calls:
# - influence(rma(yi, vi, method = m, control = CTRL)): rstudent, dffits, cook.d, cov.r, tau2.del, QE.del, hat, weight
#   (percent), dfbetas (intercept) and is.infl (metafor's "*" flag).
# - regtest(yi, vi = vi, model = "lm", predictor = "sei") and predictor = "vi": est, ci.lb, ci.ub (the limit
#   estimates: PET and PEESE), plus the intercept's t test from the underlying lm (ret.fit = TRUE), which the
#   conditional PET-PEESE choice uses.
# - selmodel(rma(yi, vi, method = "ML", control = CTRL), type = "stepfun", steps = s, control = SELCTRL), alternative
#   "greater" (metafor's default): estimate, se, tau2, delta (first fixed at 1), LRT, LRTp, ll, ll0, the number of
#   p-values per interval. SELCTRL asks optim (BFGS) for reltol 1e-13 so the stored maximum is converged; the standard
#   errors come from metafor's numDeriv Hessian (Richardson, r = 6) on the untransformed parameters. Where metafor
#   stops (an interval without p-values, k too small) the case stores the error message instead; where it warns
#   (a delta at its bound 0 or 100) the warning is stored. maxit = 500: where BFGS has not converged by then (mostly
#   tau2 creeping towards 0 on its log scale, or a delta running off to its bound), the case is refitted with metafor's
#   default control (reltol 1e-8) and marked control = "default"; the tests then only require the engine's maximum to
#   be at least as high (see tests/test_robustness_metafor.py).
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

options(warn = 1)
pdf(NULL)  # baujat() draws; send the plots nowhere instead of Rplots.pdf
set.seed(20261111)
SIG <- 12
CTRL <- list(threshold = 1e-12, maxiter = 10000, tol = 1e-12)
SELCTRL <- list(optimizer = "optim", optmethod = "BFGS", reltol = 1e-13, maxit = 500)

r12 <- function(x) signif(x, SIG)
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
# Datasets
# ---------------------------------------------------------------------------------------------------------------
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
normand <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
                  data = dat.normand1999)
raud <- dat.raudenbush1985
eff <- read.csv("data/effects.csv", stringsAsFactors = FALSE)
pr <- eff[eff$primary %in% c("True", "TRUE", "true") & eff$outcome == "personal_recovery", ]
pr <- pr[order(pr$trial_id), ]
real <- pr[pr$provenance %in% c("reported", "derived"), ]

datasets <- list()
add_data <- function(name, yi, vi, note) datasets[[name]] <<- list(yi = r12(yi), vi = r12(vi), note = note)
add_data("bcg", as.numeric(bcg$yi), as.numeric(bcg$vi), "metadat dat.bcg, log risk ratios via escalc('RR')")
add_data("bcg-negated", -as.numeric(bcg$yi), as.numeric(bcg$vi),
         "dat.bcg with the sign flipped (benefit positive), so one-sided p-values fall in the lowest interval")
add_data("normand", as.numeric(normand$yi), as.numeric(normand$vi), "metadat dat.normand1999, SMD")
add_data("raudenbush", as.numeric(raud$yi), as.numeric(raud$vi), "metadat dat.raudenbush1985")
add_data("bundled-pr", pr$yi, pr$vi,
         "data/ primary personal_recovery rows (every provenance), sorted by trial_id")
add_data("bundled-pr-real", real$yi, real$vi,
         "data/ primary personal_recovery rows with provenance reported or derived, sorted by trial_id")
# Simulated: yi = mu + N(0, tau2) + N(0, vi), vi from a spread of study sizes.
for (k in c(3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60)) for (tau2 in c(0, 0.5)) {
  vi <- exp(runif(k, log(0.01), log(0.2)))
  yi <- 0.3 + rnorm(k, 0, sqrt(tau2)) + rnorm(k, 0, sqrt(vi))
  add_data(sprintf("sim-k%d-tau2%s", k, if (tau2 == 0) "zero" else "large"), yi, vi,
           sprintf("simulated, k = %d, mu = 0.3, true tau2 = %g, vi in [0.01, 0.2]", k, tau2))
}
# Publication-bias-like sets: non-significant small studies mostly removed, so selection models have work to do.
for (k in c(20, 40, 80)) {
  vi <- exp(runif(k, log(0.005), log(0.25)))
  yi <- 0.15 + rnorm(k, 0, sqrt(0.03)) + rnorm(k, 0, sqrt(vi))
  p <- pnorm(yi / sqrt(vi), lower.tail = FALSE)
  keep <- p <= 0.025 | runif(k) < 0.3
  add_data(sprintf("sim-selected-k%d", k), yi[keep], vi[keep],
           sprintf("simulated k = %d before selection (mu = 0.15, tau2 = 0.03); p > .025 kept with probability .3", k))
}

fit_rma <- function(d, method) rma(yi = d$yi, vi = d$vi, method = method, control = CTRL)

# ---------------------------------------------------------------------------------------------------------------
# influence
# ---------------------------------------------------------------------------------------------------------------
infl_specs <- list(
  list("bcg", c("FE", "DL", "REML", "PM")), list("normand", c("FE", "DL", "REML")),
  list("raudenbush", c("FE", "DL", "REML", "PM")), list("bundled-pr", c("FE", "DL", "REML", "PM")),
  list("bundled-pr-real", c("FE", "DL")), list("sim-k3-tau2zero", c("DL", "REML")),
  list("sim-k3-tau2large", c("FE", "DL", "PM")), list("sim-k5-tau2zero", c("DL")), list("sim-k5-tau2large", c("DL")),
  list("sim-k10-tau2zero", c("FE", "DL", "REML")), list("sim-k10-tau2large", c("DL", "REML", "PM")),
  list("sim-k20-tau2large", c("DL")), list("sim-k30-tau2zero", c("DL", "PM")), list("sim-k40-tau2large", c("DL")),
  list("sim-k60-tau2zero", c("DL")), list("sim-k60-tau2large", c("DL", "REML")), list("normand", "PM"),
  list("bundled-pr-real", "REML"), list("sim-k20-tau2large", c("REML", "PM")), list("sim-k8-tau2large", "DL"),
  list("sim-k15-tau2zero", "FE"), list("sim-selected-k40", c("DL", "REML"))
)
for (s in infl_specs) for (method in s[[2]]) {
  d <- datasets[[s[[1]]]]
  message("influence ", s[[1]], " ", method)
  inf <- influence(fit_rma(d, method))
  add_case(list(id = sprintf("influence-%s-%s", method, s[[1]]), fn = "influence", dataset = s[[1]],
                args = list(method = method), inputs = list(yi = d$yi, vi = d$vi),
                expected = list(rstudent = num(inf$inf$rstudent), dffits = num(inf$inf$dffits),
                                cook_d = num(inf$inf$cook.d), cov_r = num(inf$inf$cov.r),
                                tau2_del = num(inf$inf$tau2.del), qe_del = num(inf$inf$QE.del),
                                hat = num(inf$inf$hat), weight = num(inf$inf$weight),
                                dfbetas = num(inf$dfbs$intrcpt), inf = as.logical(inf$is.infl))))
}

# ---------------------------------------------------------------------------------------------------------------
# PET / PEESE (regtest, weighted lm)
# ---------------------------------------------------------------------------------------------------------------
reg <- function(d, predictor, level) {
  rt <- regtest(d$yi, vi = d$vi, model = "lm", predictor = predictor, ret.fit = TRUE, level = level)
  co <- coef(summary(rt$fit))
  list(est = num(rt$est), ci_low = num(rt$ci.lb), ci_high = num(rt$ci.ub), se = num(co[1, 2]),
       tval = num(co[1, 3]), pval = num(co[1, 4]), df = rt$dfs, slope = num(co[2, 1]), slope_pval = num(co[2, 4]))
}
for (name in names(datasets)) for (level in c(95, 90)) {
  if (level == 90 && !(name %in% c("bcg", "bundled-pr", "bundled-pr-real", "sim-k10-tau2large", "sim-k40-tau2zero",
                                   "sim-selected-k80"))) next
  d <- datasets[[name]]
  if (length(d$yi) < 3) next
  pet <- reg(d, "sei", level)
  peese <- reg(d, "vi", level)
  add_case(list(id = sprintf("petpeese-%s%s", name, if (level == 90) "-level90" else ""), fn = "pet_peese",
                dataset = name, args = list(level = level / 100), inputs = list(yi = d$yi, vi = d$vi),
                expected = list(pet = pet$est, pet_ci_low = pet$ci_low, pet_ci_high = pet$ci_high, pet_se = pet$se,
                                pet_statistic = pet$tval, pet_pval = pet$pval, df = pet$df,
                                peese = peese$est, peese_ci_low = peese$ci_low, peese_ci_high = peese$ci_high,
                                peese_se = peese$se, peese_statistic = peese$tval, peese_pval = peese$pval)))
}

# ---------------------------------------------------------------------------------------------------------------
# selmodel (step function, ML)
# ---------------------------------------------------------------------------------------------------------------
sel_steps <- list(`s025` = c(0.025), `s025-50` = c(0.025, 0.5), `s05` = c(0.05))
for (name in names(datasets)) for (sn in names(sel_steps)) {
  if (sn == "s05" && !(name %in% c("bcg-negated", "bundled-pr", "sim-k30-tau2large", "sim-selected-k40"))) next
  d <- datasets[[name]]
  steps <- sel_steps[[sn]]
  warn <- NULL
  used_ctrl <- "tight"
  t0 <- proc.time()[3]
  res <- withCallingHandlers(
    tryCatch({
      fit <- rma(yi = d$yi, vi = d$vi, method = "ML", control = CTRL)
      out <- tryCatch(selmodel(fit, type = "stepfun", steps = steps, control = SELCTRL), error = function(e) e)
      if (inherits(out, "error") && grepl("convergence", conditionMessage(out))) {
        used_ctrl <<- "default"
        out <- selmodel(fit, type = "stepfun", steps = steps)
      }
      if (inherits(out, "error")) stop(out)
      out
    }, error = function(e) e),
    warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
  id <- sprintf("selmodel-%s-%s", sn, name)
  message(sprintf("%s: %.1f s", id, proc.time()[3] - t0))
  base <- list(id = id, fn = "selection_model", dataset = name, args = list(steps = steps),
               inputs = list(yi = d$yi, vi = d$vi), control = used_ctrl)
  if (inherits(res, "error")) {
    add_case(c(base, list(expected = list(error = conditionMessage(res)))))
    next
  }
  add_case(c(base, list(expected = list(
    estimate = num(res$beta[1]), se = num(res$se), ci_low = num(res$ci.lb), ci_high = num(res$ci.ub),
    pval = num(res$pval), tau2 = num(res$tau2), se_tau2 = num(res$se.tau2), delta = num(res$delta),
    se_delta = num(res$se.delta), lrt = num(res$LRT), lrt_df = res$LRTdf, lrt_pval = num(res$LRTp), ll = num(res$ll),
    ll0 = num(res$ll0), k_per_interval = as.integer(res$ptable$k), warnings = if (is.null(warn)) list() else warn))))
}

# ---------------------------------------------------------------------------------------------------------------
# baujat (x: contribution to Q, y: influence) and trimfill(fit, test = "knha") (the refit of the filled data with
# Knapp-Hartung; metafor's plain trimfill(fit) refits with its default test "z")
# ---------------------------------------------------------------------------------------------------------------
for (name in c("bcg", "normand", "bundled-pr", "sim-k10-tau2large", "sim-k30-tau2zero")) for (method in c("FE", "DL", "REML")) {
  d <- datasets[[name]]
  b <- baujat(fit_rma(d, method), progbar = FALSE)
  if (!is.null(dev.list())) invisible(dev.off())
  add_case(list(id = sprintf("baujat-%s-%s", method, name), fn = "baujat", dataset = name,
                args = list(method = method), inputs = list(yi = d$yi, vi = d$vi),
                expected = list(x = num(b$x), y = num(b$y))))
}
for (name in c("bcg", "normand", "bundled-pr", "sim-selected-k40", "sim-selected-k80", "sim-k20-tau2large")) for (method in c("DL", "REML")) {
  d <- datasets[[name]]
  fit <- rma(yi = d$yi, vi = d$vi, method = method, test = "knha", control = CTRL)
  tf <- trimfill(fit, test = "knha", control = CTRL)
  add_case(list(id = sprintf("trimfill-knha-%s-%s", method, name), fn = "trim_and_fill_knha", dataset = name,
                args = list(method = method, test = "knha"), inputs = list(yi = d$yi, vi = d$vi),
                expected = list(k0 = tf$k0, side = tf$side, estimate = num(tf$b[1]), se = num(tf$se),
                                ci_low = num(tf$ci.lb), ci_high = num(tf$ci.ub), pval = num(tf$pval),
                                tau2 = num(tf$tau2), k = tf$k, test = tf$test)))
}

out <- list(
  generated_by = "validation/robustness_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  jsonlite_version = as.character(packageVersion("jsonlite")),
  seed = 20261111, significant_digits = SIG, rma_control = CTRL, selmodel_control = SELCTRL,
  datasets = lapply(datasets, function(d) list(k = length(d$yi), note = d$note)),
  n_cases = length(cases),
  cases = unname(cases)
)
path <- file.path("validation", "robustness_reference.json")
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = FALSE), path)
cat(sprintf("wrote %s: %d cases, %.0f kB\n", path, length(cases), file.size(path) / 1024))
print(table(sapply(cases, function(x) x$fn)))
print(table(sapply(cases, function(x) !is.null(x$expected$error))))
