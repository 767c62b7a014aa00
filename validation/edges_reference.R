# Reference values for the numerical edges of issue 20, computed with R metafor.
#
# Run from the repository root:   Rscript validation/edges_reference.R
# Writes validation/edges_reference.json (pinned and committed; the tests never need R). Checked by
# tests/test_numerical_edges.py. Deterministic (set.seed).
#
# Inputs are stored EXACTLY: as strings of 17 significant digits ("%.17g"), which read back to the same doubles in
# Python. (The edges live in the last digits: a relative spread of 2e-10 in vi would not survive rounding to 12 digits.)
# Outputs are numbers with 15 significant digits (jsonlite's maximum).
#
# Edges and exact calls:
# 1. Nearly equal sampling variances, vi = 0.04 (1 + s u_i), u_i ~ U(0, 1), s from 1e-5 down to 2e-10 and 0, with the
#    effects rising ("pos") or falling ("neg") with u:
#    - regtest(yi, vi = vi, model = "lm", predictor = "sei") (Egger's test and PET) and predictor = "vi" (PEESE);
#    - trimfill(rma(yi, vi, method = m, control = CTRL)) for FE, DL, REML, with the side chosen by metafor, and with
#      side = "left" given where metafor cannot choose it.
#    Where metafor stops (regtest: "Model matrix no longer of full rank"; trimfill: its side regression drops
#    sqrt(vi) as redundant, then fails on the missing slope) the case stores the error message. trimfill runs with
#    control = CTRL_EV (see below), which reaches its side regression. Both decisions come
#    from lm()'s QR with tol = 1e-7: a predictor whose norm, after the intercept is projected out, falls below
#    1e-7 of its own norm is dropped. Every case records that ratio (`lm_relative_residual`); the spreads are chosen
#    well away from the threshold (ratio >= 2e-7 or <= 5e-8).
# 2. Meta-regression on ill-conditioned designs: raw year + year^2, a moderator on a large offset (1e5 + U(0, 1)), and
#    two moderators that are nearly collinear (x2 = x1 + e N(0, 1), e = 1e-4 and 1e-6: metafor keeps both; e = 1e-9:
#    metafor drops x2 with the warning "Redundant predictors dropped from the model.", stored as the case's error).
#    metafor on the raw design, rma(yi, vi, mods = M, method, test, control = CTRL_EV), is itself inaccurate here:
#    it forms P = W - W X (X'WX)^-1 X'W, which cancels (QE and QM off by up to 5e-4 relative, tau2 by 4e-4 on
#    x2 = x1 + 1e-6 N(0, 1); against exact rational arithmetic), and its REML does not converge on three of the
#    designs. So `expected` is metafor's fit of the same model on an orthogonal basis of the design's column space
#    (details at the code); `expected_raw_design` keeps metafor's raw-design numbers (or `raw_design_error`).
# 3. selmodel(rma(yi, vi, method = "ML", control = CTRL), type = "stepfun", steps, control = SELCTRL) on one data set
#    with publication bias at its own scale and rescaled: yi * c, vi * c^2 for c = 1e-3, 1e-5, 1e-7 (tau2 down to
#    ~1e-15; the p-values, deltas and LRT do not change), and yi, vi both multiplied by 1e-6 (different p-values).
#    metafor's selmodel is not scale-free: on these data it stops early (log-likelihoods up to 180 below the ML
#    random-effects model's, LRT = 0, "Error when trying to invert Hessian"), stored as `expected_direct`. The
#    likelihood is scale-equivariant (y = a y', v = a^2 v': same p-values, deltas and LRT; mu and its se times a,
#    tau2 times a^2, log-likelihoods minus k log a), so `expected` is metafor's fit of y / sqrt(fv), v / fv mapped
#    back.
# 4. dummy_columns: rma(yi, vi, mods = ~ factor(g)) with numeric group codes (10, 9, 2.5, 100: R's factor() sorts
#    them numerically, so 2.5 is the reference level), the coefficient names giving the level order.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

options(warn = 1)
SEED <- 20261204
set.seed(SEED)
CTRL <- list(threshold = 1e-12, maxiter = 10000, tol = 1e-12)
# rma() also stops ("Model matrix not of full rank") when an eigenvalue of the UNWEIGHTED crossprod(X) is <= evtol =
# 1e-7: an absolute test that depends on the units of the moderators, so it rejects raw year + year^2, a moderator on
# an offset of 1e5 and even trimfill's side regression on sqrt(vi) when sqrt(vi) varies by less than ~1e-3. The
# engine does not copy that scale-dependent check (it keeps lm()'s relative rank rule, which metafor applies first);
# the reference switches it off with evtol = -Inf so that metafor computes its (QR-based) answer. Each such case also
# records what metafor says with its default evtol (`default_evtol_error`).
CTRL_EV <- c(CTRL, list(evtol = -Inf))
SELCTRL <- list(optimizer = "optim", optmethod = "BFGS", reltol = 1e-13, maxit = 1000)

exact <- function(x) sprintf("%.17g", as.numeric(x))  # inputs: strings that read back to the same doubles
num <- function(x) {
  if (is.null(x)) return(NULL)
  x <- unname(as.numeric(x))
  if (length(x) == 1 && is.infinite(x)) return(if (x > 0) "Inf" else "-Inf")
  x
}
cases <- list()
add_case <- function(case) {
  if (!is.null(cases[[case$id]])) stop("duplicate case id ", case$id)
  cases[[case$id]] <<- case
}
# run expr; return list(value, error, warnings)
capture <- function(expr) {
  warn <- character(0)
  value <- withCallingHandlers(tryCatch(expr, error = function(e) e),
                               warning = function(w) { warn <<- c(warn, conditionMessage(w))
                                                       invokeRestart("muffleWarning") })
  if (inherits(value, "error")) return(list(value = NULL, error = conditionMessage(value), warnings = warn))
  list(value = value, error = NULL, warnings = warn)
}
# lm()'s rank decision for the last column of X: its norm after projecting out the other columns, relative to its norm
lm_ratio <- function(X) {
  x <- X[, ncol(X)]
  r <- qr.resid(qr(X[, -ncol(X), drop = FALSE]), x)
  sqrt(sum(r^2)) / sqrt(sum(x^2))
}

# ---------------------------------------------------------------------------------------------------------------
# 1. nearly equal variances: Egger / PET / PEESE, trim-and-fill
# ---------------------------------------------------------------------------------------------------------------
k <- 10
u <- runif(k)
z <- rnorm(k)
spreads <- c(`1e-5` = 1e-5, `5e-6` = 5e-6, `2e-6` = 2e-6, `3e-7` = 3e-7, `1e-7` = 1e-7, `1e-8` = 1e-8,
             `1e-9` = 1e-9, `2e-10` = 2e-10, `0` = 0)
for (dir in c("pos", "neg")) for (sname in names(spreads)) {
  s <- spreads[[sname]]
  vi <- 0.04 * (1 + s * u)
  yi <- 0.3 + 0.2 * z + (if (dir == "pos") 0.15 else -0.15) * u
  ratio <- lm_ratio(cbind(1, sqrt(vi)))
  if (ratio > 5e-8 && ratio < 2e-7) stop("spread ", sname, " is too close to lm's rank threshold: ", ratio)
  dname <- sprintf("vi-spread%s-%s", sname, dir)
  inputs <- list(yi = exact(yi), vi = exact(vi))
  info <- list(spread = s, lm_relative_residual = ratio)
  # regtest: Egger (the sei slope), PET (the sei model's intercept) and PEESE
  for (pred in c("sei", "vi")) {
    r <- capture(regtest(yi, vi = vi, model = "lm", predictor = pred, ret.fit = TRUE))
    id <- sprintf("regtest-%s-%s", pred, dname)
    base <- c(list(id = id, fn = "regtest", dataset = dname, args = list(predictor = pred, level = 0.95),
                   inputs = inputs), info)
    if (!is.null(r$error)) {
      add_case(c(base, list(expected = list(error = r$error))))
      next
    }
    co <- coef(summary(r$value$fit))
    add_case(c(base, list(expected = list(
      slope = num(co[2, 1]), slope_se = num(co[2, 2]), slope_t = num(co[2, 3]), slope_pval = num(co[2, 4]),
      df = r$value$dfs, limit_estimate = num(r$value$est), limit_ci_low = num(r$value$ci.lb),
      limit_ci_high = num(r$value$ci.ub), intercept_se = num(co[1, 2]), intercept_t = num(co[1, 3]),
      intercept_pval = num(co[1, 4])))))
  }
  for (method in c("FE", "DL", "REML")) {
    fit <- rma(yi, vi, method = method, control = CTRL)
    for (side in c("auto", "left")) {
      if (side == "left" && ratio > 1e-7) next  # a given side only where metafor cannot choose one
      r <- capture(if (side == "auto") trimfill(fit, control = CTRL_EV) else trimfill(fit, side = "left",
                                                                                      control = CTRL_EV))
      r0 <- capture(if (side == "auto") trimfill(fit, control = CTRL) else trimfill(fit, side = "left",
                                                                                    control = CTRL))
      info$default_evtol_error <- r0$error
      id <- sprintf("trimfill-%s-%s-%s", method, side, dname)
      base <- c(list(id = id, fn = "trim_and_fill", dataset = dname, args = list(method = method, side = side),
                     inputs = inputs), info)
      if (!is.null(r$error)) {
        add_case(c(base, list(expected = list(error = r$error))))
        next
      }
      tf <- r$value
      filled <- tf$fill == 1
      add_case(c(base, list(expected = list(
        k0 = tf$k0, side = tf$side, estimate = num(tf$b[1]), se = num(tf$se), ci_low = num(tf$ci.lb),
        ci_high = num(tf$ci.ub), pval = num(tf$pval), tau2 = num(tf$tau2), k = tf$k,
        filled_yi = num(tf$yi[filled]), filled_vi = num(tf$vi[filled])))))
    }
  }
}

# ---------------------------------------------------------------------------------------------------------------
# 2. meta-regression on ill-conditioned designs
# ---------------------------------------------------------------------------------------------------------------
k <- 20
vi <- exp(runif(k, log(0.01), log(0.2)))
year <- sample(1975:2020, k, replace = TRUE)
x1 <- rnorm(k)
e <- rnorm(k)
off <- runif(k)
noise <- rnorm(k, 0, sqrt(0.05)) + rnorm(k, 0, sqrt(vi))
designs <- list(
  `year-quadratic` = list(mods = cbind(year = year, year2 = year^2),
                          yi = 0.5 - 0.01 * (year - 2000) + 5e-4 * (year - 2000)^2 + noise,
                          note = "raw year and year^2 (1975-2020): columns ~2e3 and ~4e6, condition number ~1e13"),
  `offset` = list(mods = cbind(x = 1e5 + off), yi = 0.2 + 0.3 * off + noise,
                  note = "one moderator 1e5 + U(0, 1): its spread is 3e-6 of its size"),
  `near-collinear-1e-4` = list(mods = cbind(x1 = x1, x2 = x1 + 1e-4 * e), yi = 0.2 + 0.2 * x1 + noise,
                               note = "x2 = x1 + 1e-4 N(0, 1)"),
  `near-collinear-1e-6` = list(mods = cbind(x1 = x1, x2 = x1 + 1e-6 * e), yi = 0.2 + 0.2 * x1 + noise,
                               note = "x2 = x1 + 1e-6 N(0, 1)"),
  `collinear-1e-9` = list(mods = cbind(x1 = x1, x2 = x1 + 1e-9 * e), yi = 0.2 + 0.2 * x1 + noise,
                          note = "x2 = x1 + 1e-9 N(0, 1): lm()'s QR drops x2, so metafor does")
)
for (dname in names(designs)) for (method in c("FE", "DL", "REML", "PM")) for (test in c("z", "knha")) {
  d <- designs[[dname]]
  M <- d$mods
  r <- capture(rma(d$yi, vi, mods = M, method = method, test = test, control = CTRL_EV))
  r0 <- capture(rma(d$yi, vi, mods = M, method = method, test = test, control = CTRL))
  id <- sprintf("reg-%s-%s-%s", method, test, dname)
  base <- list(id = id, fn = "meta_regression", dataset = dname, note = d$note,
               args = list(method = method, test = test, level = 0.95),
               inputs = list(yi = exact(d$yi), vi = exact(vi), mods = lapply(seq_len(k), function(i) exact(M[i, ]))),
               lm_relative_residual = lm_ratio(cbind(1, M)), default_evtol_error = r0$error)
  if (length(r$warnings) && any(grepl("Redundant", r$warnings))) {
    add_case(c(base, list(expected = list(error = r$warnings[grepl("Redundant", r$warnings)][1]))))
    next
  }
  raw <- if (is.null(r$error)) r$value else NULL
  # The same model on an orthogonal basis of the design's column space: X = [1, M] = Q R (unweighted QR), and
  # Xo = [1, Q[, -1]] = Q D with D = diag(sqrt(k) sign(R[1, 1]), 1, ...): metafor's P = W - W X (X'WX)^-1 X'W then
  # has no cancellation. tau2, QE, QM, I2, H2, R2 and the fitted values are properties of the column space; the
  # coefficients map back as beta = R^-1 D beta_o, vb = R^-1 D vb_o D R^-T.
  X <- cbind(1, M)
  qrx <- qr(X)
  Q <- qr.Q(qrx)
  R <- qr.R(qrx)
  if (any(qrx$pivot != seq_len(ncol(X)))) stop("pivoting in ", id)
  D <- diag(c(sqrt(k) * sign(Q[1, 1]), rep(1, ncol(M))))
  fit <- rma(d$yi, vi, mods = Q[, -1, drop = FALSE], method = method, test = test, control = CTRL_EV)
  A <- backsolve(R, D)
  beta <- as.numeric(A %*% fit$beta)
  vb <- A %*% fit$vb %*% t(A)
  se <- sqrt(diag(vb))
  crit <- if (test == "knha") qt(0.975, df = k - ncol(X)) else qnorm(0.975)
  add_case(c(base, list(raw_design_error = r$error, expected = list(
    k = fit$k, p = fit$p, coef = num(beta), se = num(se), statistic = num(beta / se),
    ci_low = num(beta - crit * se), ci_high = num(beta + crit * se), vb = num(vb), qm = num(fit$QM),
    qm_pval = num(fit$QMp), qe = num(fit$QE), qe_pval = num(fit$QEp), tau2 = num(fit$tau2), i2 = num(fit$I2),
    h2 = num(fit$H2), r2 = num(if (is.null(fit$R2)) NA else fit$R2)),
    expected_raw_design = if (is.null(raw)) NULL else list(
      coef = num(raw$beta), se = num(raw$se), qm = num(raw$QM), qe = num(raw$QE), tau2 = num(raw$tau2)))))
}

# ---------------------------------------------------------------------------------------------------------------
# 3. selection model on small numeric scales
# ---------------------------------------------------------------------------------------------------------------
k <- 60
vi <- exp(runif(k, log(0.005), log(0.25)))
yi <- 0.2 + rnorm(k, 0, sqrt(0.04)) + rnorm(k, 0, sqrt(vi))
p <- pnorm(yi / sqrt(vi), lower.tail = FALSE)
keep <- p < 0.025 | runif(k) < 0.4
yi0 <- yi[keep]
vi0 <- vi[keep]
scalings <- list(`scale1` = c(1, 1), `scale1e-3` = c(1e-3, 1e-6), `scale1e-5` = c(1e-5, 1e-10),
                 `scale1e-7` = c(1e-7, 1e-14), `both1e-6` = c(1e-6, 1e-6))
sel_steps <- list(`s025` = c(0.025), `s025-50` = c(0.025, 0.5))
selfit <- function(yi, vi, steps) capture({
  fit <- rma(yi, vi, method = "ML", control = CTRL)
  selmodel(fit, type = "stepfun", steps = steps, control = SELCTRL)
})
selout <- function(res, fy, fv, k) list(  # mapped to the data's scale: y = fy y', v = fv v'
  estimate = num(res$beta[1] * fy), se = num(res$se * fy), ci_low = num(res$ci.lb * fy),
  ci_high = num(res$ci.ub * fy), pval = num(res$pval), tau2 = num(res$tau2 * fv), se_tau2 = num(res$se.tau2 * fv),
  delta = num(res$delta), se_delta = num(res$se.delta), lrt = num(res$LRT), lrt_df = res$LRTdf,
  lrt_pval = num(res$LRTp), ll = num(res$ll - k * log(fy)), ll0 = num(res$ll0 - k * log(fy)),
  k_per_interval = as.integer(res$ptable$k))
for (sc in names(scalings)) for (sn in names(sel_steps)) {
  f <- scalings[[sc]]
  yi <- yi0 * f[1]
  vi <- vi0 * f[2]
  steps <- sel_steps[[sn]]
  # the unit scale: y' = y / sqrt(fv), v' = v / fv (the p-values y / sqrt(v) are unchanged)
  fy <- sqrt(f[2])
  unit <- selfit(yi / fy, vi / f[2], steps)
  direct <- selfit(yi, vi, steps)
  id <- sprintf("selmodel-%s-%s", sn, sc)
  base <- list(id = id, fn = "selection_model", dataset = sc,
               note = sprintf("a selected simulated set (k = %d) with yi * %g, vi * %g", length(yi0), f[1], f[2]),
               args = list(steps = steps, y_factor = f[1], v_factor = f[2]),
               inputs = list(yi = exact(yi), vi = exact(vi)), unit_scale_warnings = as.list(unit$warnings),
               direct_warnings = as.list(direct$warnings), direct_error = direct$error)
  if (!is.null(unit$error)) stop(id, ": ", unit$error)
  add_case(c(base, list(expected = selout(unit$value, fy, f[2], length(yi)),
                        expected_direct = if (is.null(direct$error)) selout(direct$value, 1, 1, length(yi)))))
}

# ---------------------------------------------------------------------------------------------------------------
# 4. dummy coding of numeric group codes (R's factor() sorts numbers numerically)
# ---------------------------------------------------------------------------------------------------------------
g <- c(10, 9, 2.5, 100, 10, 9, 2.5, 100, 10, 9, 2.5, 100)
k <- length(g)
vi <- exp(runif(k, log(0.01), log(0.1)))
yi <- 0.1 * log(g) + rnorm(k, 0, sqrt(vi))
for (method in c("FE", "REML")) {
  fit <- rma(yi, vi, mods = ~ factor(g), method = method, control = CTRL)
  add_case(list(id = sprintf("factor-%s-numeric-levels", method), fn = "dummy_columns", dataset = "numeric-groups",
                args = list(method = method), inputs = list(yi = exact(yi), vi = exact(vi), groups = g),
                expected = list(levels = levels(factor(g)), terms = rownames(fit$beta), coef = num(fit$beta),
                                se = num(fit$se), qm = num(fit$QM), tau2 = num(fit$tau2))))
}

out <- list(
  generated_by = "validation/edges_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  jsonlite_version = as.character(packageVersion("jsonlite")),
  seed = SEED, rma_control = CTRL, evtol_for_regression_and_trimfill = "-Inf", selmodel_control = SELCTRL,
  n_cases = length(cases),
  cases = unname(cases)
)
path <- file.path("validation", "edges_reference.json")
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = FALSE), path)
cat(sprintf("wrote %s: %d cases, %.0f kB\n", path, length(cases), file.size(path) / 1024))
print(table(sapply(cases, function(x) x$fn)))
