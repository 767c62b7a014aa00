# Reference values for peerstats.escalc.effect_sizes, peerstats.mh.pool_mh and peerstats.mh.pool_peto (issue 19),
# computed with R metafor: escalc() with its defaults (add = 1/2, to = "only0", drop00 = FALSE, vtype = "LS"),
# rma.mh() and rma.peto() with theirs (add = 1/2 to = "only0" drop00 = TRUE for the observed outcomes; no correction
# for the Mantel-Haenszel / Peto sums).
#
# Run from the repository root:   Rscript validation/binary_reference.R
# Writes validation/binary_reference.json (pinned and committed; the tests never need R). Deterministic (set.seed).
#
# Datasets: metadat dat.bcg (13 BCG trials), dat.collins1985a (10 trials, bleeding after sclerotherapy of oesophageal varices: b.xti, nti, b.xci, nci; the complete tables) and random
# 2x2 tables: k from 1 to 40, arm sizes 4 to 400, event risks from 0.5 % to 95 %, so that single zero cells, double
# zeros (no events in either arm) and all-event arms occur; some sets have them forced in. Continuous sets: random
# means, SDs and arm sizes from 2 to 300.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
options(warn = -1)
set.seed(20261204)

num <- function(x) { x <- as.numeric(x); x[is.na(x)] <- NA; x }

random_binary <- function(k, n_lo, n_hi, p_lo, p_hi, force = character(0)) {
  n1i <- sample(n_lo:n_hi, k, replace = TRUE); n2i <- sample(n_lo:n_hi, k, replace = TRUE)
  p2 <- runif(k, p_lo, p_hi); p1 <- pmin(0.99, p2 * exp(rnorm(k, 0, 0.5)))
  ai <- rbinom(k, n1i, p1); ci <- rbinom(k, n2i, p2)
  if ("double0" %in% force && k >= 2) { ai[1] <- 0; ci[1] <- 0 }
  if ("single0" %in% force && k >= 3) { ai[2] <- 0; ci[2] <- max(ci[2], 1) }
  if ("allevents" %in% force && k >= 4) { ai[3] <- n1i[3] }
  if ("bothall" %in% force && k >= 5) { ai[4] <- n1i[4]; ci[4] <- n2i[4] }
  list(ai = ai, n1i = n1i, ci = ci, n2i = n2i)
}

bin_sets <- list()
data(dat.bcg, package = "metadat")
bin_sets[["bcg"]] <- list(ai = dat.bcg$tpos, n1i = dat.bcg$tpos + dat.bcg$tneg, ci = dat.bcg$cpos,
                          n2i = dat.bcg$cpos + dat.bcg$cneg)
data(dat.collins1985a, package = "metadat")
col <- dat.collins1985a[complete.cases(dat.collins1985a[, c("b.xti", "nti", "b.xci", "nci")]), ]
bin_sets[["collins1985a"]] <- with(col, list(ai = b.xti, n1i = nti, ci = b.xci, n2i = nci))
specs <- list(
  list("k1", 1, 20, 200, 0.05, 0.4, character(0)),
  list("k2", 2, 20, 200, 0.05, 0.4, character(0)),
  list("k3-double0", 3, 10, 60, 0.01, 0.1, c("double0", "single0")),
  list("k5-rare", 5, 10, 80, 0.005, 0.05, character(0)),
  list("k6-forced", 6, 8, 50, 0.05, 0.3, c("double0", "single0", "allevents", "bothall")),
  list("k10", 10, 30, 400, 0.1, 0.6, character(0)),
  list("k10-rare", 10, 4, 40, 0.005, 0.08, c("double0")),
  list("k15-common", 15, 20, 300, 0.5, 0.95, character(0)),
  list("k25-mixed", 25, 4, 400, 0.005, 0.9, c("double0", "single0", "allevents")),
  list("k40", 40, 10, 200, 0.02, 0.5, character(0)))
for (s in specs) bin_sets[[paste0("sim-", s[[1]])]] <- random_binary(s[[2]], s[[3]], s[[4]], s[[5]], s[[6]], s[[7]])

cont_sets <- list()
for (k in c(1, 3, 10, 30)) {
  n1i <- sample(2:300, k, replace = TRUE); n2i <- sample(2:300, k, replace = TRUE)
  if (k >= 3) { n1i[1] <- 2; n2i[1] <- 2 }
  cont_sets[[paste0("sim-cont-k", k)]] <- list(m1i = round(rnorm(k, 10, 5), 2), sd1i = round(runif(k, 0.5, 8), 2),
    n1i = n1i, m2i = round(rnorm(k, 9, 5), 2), sd2i = round(runif(k, 0.5, 8), 2), n2i = n2i)
}

cases <- list()
add_case <- function(x) cases[[length(cases) + 1]] <<- x

for (nm in names(bin_sets)) {
  d <- bin_sets[[nm]]
  for (m in c("RR", "OR", "RD", "PETO")) {
    es <- escalc(m, ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i)
    add_case(list(id = paste0("escalc-", m, "-", nm), fn = "effect_sizes", measure = m, dataset = nm, inputs = d,
                  expected = list(yi = num(es$yi), vi = num(es$vi))))
  }
  for (m in c("RR", "OR", "RD")) {
    fit <- try(rma.mh(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i, measure = m), silent = TRUE)
    if (inherits(fit, "try-error") || is.na(fit$beta[1])) {
      add_case(list(id = paste0("mh-", m, "-", nm), fn = "pool_mh", measure = m, dataset = nm, inputs = d,
                    expected = list(error = TRUE)))
      next
    }
    add_case(list(id = paste0("mh-", m, "-", nm), fn = "pool_mh", measure = m, dataset = nm, inputs = d,
      expected = list(k = fit$k, k_yi = fit$k.yi, estimate = as.numeric(fit$beta), se = fit$se, ci_low = fit$ci.lb,
                      ci_high = fit$ci.ub, statistic = fit$zval, pval = fit$pval, tau2 = fit$tau2, i2 = fit$I2,
                      h2 = fit$H2, q = fit$QE, q_pval = fit$QEp, weights = num(weights(fit)))))
  }
  fit <- try(rma.peto(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i), silent = TRUE)
  if (inherits(fit, "try-error")) {
    add_case(list(id = paste0("peto-", nm), fn = "pool_peto", dataset = nm, inputs = d, expected = list(error = TRUE)))
  } else {
    add_case(list(id = paste0("peto-", nm), fn = "pool_peto", dataset = nm, inputs = d,
      expected = list(k = fit$k, k_yi = fit$k.yi, estimate = as.numeric(fit$beta), se = fit$se, ci_low = fit$ci.lb,
                      ci_high = fit$ci.ub, statistic = fit$zval, pval = fit$pval, tau2 = fit$tau2, i2 = fit$I2,
                      h2 = fit$H2, q = fit$QE, q_pval = fit$QEp, weights = num(weights(fit)))))
  }
}
# level 90 %
d <- bin_sets[["bcg"]]
fit <- rma.mh(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i, measure = "RR", level = 90)
add_case(list(id = "mh-RR-bcg-level90", fn = "pool_mh", measure = "RR", dataset = "bcg", level = 0.9, inputs = d,
  expected = list(k = fit$k, k_yi = fit$k.yi, estimate = as.numeric(fit$beta), se = fit$se, ci_low = fit$ci.lb,
                  ci_high = fit$ci.ub, statistic = fit$zval, pval = fit$pval, tau2 = fit$tau2, i2 = fit$I2, h2 = fit$H2,
                  q = fit$QE, q_pval = fit$QEp, weights = num(weights(fit)))))

for (nm in names(cont_sets)) {
  d <- cont_sets[[nm]]
  for (m in c("MD", "SMD")) {
    es <- escalc(m, m1i = d$m1i, sd1i = d$sd1i, n1i = d$n1i, m2i = d$m2i, sd2i = d$sd2i, n2i = d$n2i)
    add_case(list(id = paste0("escalc-", m, "-", nm), fn = "effect_sizes", measure = m, dataset = nm, inputs = d,
                  expected = list(yi = num(es$yi), vi = num(es$vi))))
  }
}

out <- list(generated_by = "validation/binary_reference.R", r_version = R.version.string,
            metafor_version = as.character(packageVersion("metafor")),
            metadat_version = as.character(packageVersion("metadat")), seed = 20261204, significant_digits = 15,
            n_cases = length(cases), cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(15), na = "null", pretty = FALSE),
           "validation/binary_reference.json")
cat("wrote", length(cases), "cases\n")
