# Pooled reference values for RevMan analyses read from the committed fixtures (tests/fixtures/revman, Pairwise70,
# MIT): R reads the same CSV files itself, so tests/test_revman.py checks read_revman's extraction and the pooling
# end to end against metafor.
#
# Run from the repository root:   Rscript validation/revman_reference.R
# Writes validation/revman_reference.json (pinned; the tests never need R).
#
# Cases
# - dichotomous analyses: rma.mh(ai, n1i, ci, n2i, measure = RR / OR / RD) and rma.peto() on every study row of the
#   analysis (metafor's defaults; double-zero tables included as rma.mh includes them).
# - MD analyses: rma(yi, vi) on escalc("MD", m1i, sd1i, n1i, m2i, sd2i, n2i) (identical to RevMan's MD) for
#   FE / DL / REML / PM x z / knha.
# - O-E analyses: rma(yi = (O-E) / V, vi = 1 / V), the same methods.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
options(warn = 1)
CTRL <- list(threshold = 1e-12, maxiter = 10000, tol = 1e-12)

rows_of <- function(file, code) {
  d <- read.csv(file.path("tests/fixtures/revman", file), check.names = FALSE, stringsAsFactors = FALSE)
  gn <- as.integer(strsplit(code, ".", fixed = TRUE)[[1]])
  d[d[["Analysis group"]] == gn[1] & d[["Analysis number"]] == gn[2] & d$Study != "", ]
}

cases <- list()
dich <- list(c("CD013715_pub2.csv", "1.23"), c("CD013715_pub2.csv", "1.18"), c("CD014967_pub2.csv", "2.3"),
             c("CD007809_pub3.csv", "2.5"), c("CD013801_pub2.csv", "1.28"), c("CD015255_pub2.csv", "1.17"),
             c("CD015255_pub2.csv", "1.11"))
for (x in dich) {
  d <- rows_of(x[1], x[2])
  ai <- d[["Experimental cases"]]; n1i <- d[["Experimental N"]]; ci <- d[["Control cases"]]; n2i <- d[["Control N"]]
  for (m in c("RR", "OR", "RD", "PETO")) {
    fit <- if (m == "PETO") rma.peto(ai = ai, n1i = n1i, ci = ci, n2i = n2i) else
      rma.mh(ai = ai, n1i = n1i, ci = ci, n2i = n2i, measure = m)
    cases[[length(cases) + 1]] <- list(
      id = paste0(if (m == "PETO") "peto" else paste0("mh-", m), "-", sub(".csv", "", x[1]), "-", x[2]),
      fn = if (m == "PETO") "pool_peto" else "pool_mh", file = x[1], analysis = x[2], measure = m,
      rows = nrow(d),
      expected = list(k = fit$k, estimate = as.numeric(fit$beta), se = fit$se, ci_low = fit$ci.lb,
                      ci_high = fit$ci.ub, pval = fit$pval, q = fit$QE, q_pval = fit$QEp, i2 = fit$I2,
                      weights = as.numeric(weights(fit))))
  }
}
iv <- list(c("CD013715_pub2.csv", "2.16", "MD"), c("CD008469_pub3.csv", "1.2", "MD"),
           c("CD008469_pub3.csv", "1.1", "OE"), c("CD008469_pub3.csv", "1.6", "OE"))
for (x in iv) {
  d <- rows_of(x[1], x[2])
  if (x[3] == "MD") {
    es <- escalc("MD", m1i = d[["Experimental mean"]], sd1i = d[["Experimental SD"]], n1i = d[["Experimental N"]],
                 m2i = d[["Control mean"]], sd2i = d[["Control SD"]], n2i = d[["Control N"]])
    yi <- as.numeric(es$yi); vi <- as.numeric(es$vi)
  } else {
    yi <- d[["O-E"]] / d[["Variance"]]; vi <- 1 / d[["Variance"]]
  }
  for (method in c("FE", "DL", "REML", "PM")) for (test in c("z", "knha")) {
    fit <- rma(yi, vi, method = method, test = test, control = CTRL)
    cases[[length(cases) + 1]] <- list(
      id = paste("pool", method, test, sub(".csv", "", x[1]), x[2], sep = "-"), fn = "pool", file = x[1],
      analysis = x[2], measure = x[3], method = method, test = test, rows = nrow(d),
      expected = list(k = fit$k, estimate = as.numeric(fit$beta), se = fit$se, ci_low = fit$ci.lb,
                      ci_high = fit$ci.ub, pval = fit$pval, tau2 = fit$tau2, q = fit$QE, q_pval = fit$QEp,
                      i2 = fit$I2))
  }
}
out <- list(generated_by = "validation/revman_reference.R", r_version = R.version.string,
            metafor_version = as.character(packageVersion("metafor")), n_cases = length(cases), cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(15), na = "null"), "validation/revman_reference.json")
cat("wrote", length(cases), "cases\n")
