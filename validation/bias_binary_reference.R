# Reference values for peerstats.bias.harbord_test and peerstats.bias.peters_test (issue 19), computed with R metafor.
#
# Run from the repository root:   Rscript validation/bias_binary_reference.R
# Writes validation/bias_binary_reference.json (pinned and committed; the tests never need R). Deterministic (set.seed).
#
# Harbord (Harbord, Egger & Sterne 2006): metafor has no function of that name; the test is Egger's regression on
# Peto's log odds ratios, so it is pinned as regtest(yi = Z/V, vi = 1/V, model = "lm") with the score Z = a - n1 m1/N
# and its hypergeometric variance V = n1 n2 m1 m2 / (N^2 (N - 1)) computed here (tables with V = 0 left out).
# Peters (Peters et al. 2006): regtest(yi, vi = N/(m1 m2), ni = N, model = "lm", predictor = "ninv"), yi the log
# OR or log RR from escalc with its defaults (0.5 added to the cells of a table with a zero cell), weights m1 m2 / N
# (m1 events, m2 non-events), tables with no events or only events left out.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
set.seed(20261204)

sets <- list()
data(dat.bcg, package = "metadat")
sets[["bcg"]] <- list(ai = dat.bcg$tpos, n1i = dat.bcg$tpos + dat.bcg$tneg, ci = dat.bcg$cpos,
                      n2i = dat.bcg$cpos + dat.bcg$cneg)
data(dat.collins1985a, package = "metadat")
col <- dat.collins1985a[complete.cases(dat.collins1985a[, c("b.xti", "nti", "b.xci", "nci")]), ]
sets[["collins1985a"]] <- with(col, list(ai = b.xti, n1i = nti, ci = b.xci, n2i = nci))
data(dat.egger2001, package = "metadat")
sets[["egger2001"]] <- with(dat.egger2001, list(ai = ai, n1i = n1i, ci = ci, n2i = n2i))
rnd <- function(k, n_lo, n_hi, p_lo, p_hi) {
  n1i <- sample(n_lo:n_hi, k, replace = TRUE); n2i <- sample(n_lo:n_hi, k, replace = TRUE)
  p2 <- runif(k, p_lo, p_hi); p1 <- pmin(0.99, p2 * exp(rnorm(k, -0.2, 0.5)))
  list(ai = rbinom(k, n1i, p1), n1i = n1i, ci = rbinom(k, n2i, p2), n2i = n2i)
}
s <- rnd(12, 10, 80, 0.01, 0.15); s$ai[1] <- 0; s$ci[1] <- 0; s$ai[2] <- 0; s$ci[2] <- max(s$ci[2], 1)
sets[["sim-k12-zeros"]] <- s
sets[["sim-k4"]] <- rnd(4, 20, 200, 0.1, 0.5)
sets[["sim-k30"]] <- rnd(30, 10, 500, 0.05, 0.6)

cases <- list()
for (nm in names(sets)) {
  d <- lapply(sets[[nm]], as.numeric)  # doubles: N^2 (N - 1) m1 m2 overflows R integers
  a <- d$ai; b <- d$n1i - d$ai; c <- d$ci; dd <- d$n2i - d$ci
  m1 <- a + c; m2 <- b + dd; n <- a + b + c + dd
  use <- m1 > 0 & m2 > 0
  z <- (a - d$n1i * m1 / n)[use]; v <- (d$n1i * d$n2i * m1 * m2 / (n^2 * (n - 1)))[use]
  h <- regtest(z / v, 1 / v, model = "lm")
  cases[[length(cases) + 1]] <- list(id = paste0("harbord-", nm), fn = "harbord_test", inputs = d,
    expected = list(bias = unname(coef(h$fit)[2]), se = unname(sqrt(diag(vcov(h$fit)))[2]), statistic = h$zval,
                    df = h$dfs, pval = h$pval, limit_estimate = h$est, limit_ci_low = h$ci.lb,
                    limit_ci_high = h$ci.ub, k = sum(use)))
  for (measure in c("OR", "RR")) {
    es <- escalc(measure, ai = a, bi = b, ci = c, di = dd)[use, ]
    p <- regtest(es$yi, vi = (n / (m1 * m2))[use], ni = n[use], model = "lm", predictor = "ninv")
    cases[[length(cases) + 1]] <- list(id = paste0("peters-", measure, "-", nm), fn = "peters_test",
      measure = measure, inputs = d,
      expected = list(bias = unname(coef(p$fit)[2]), se = unname(sqrt(diag(vcov(p$fit)))[2]), statistic = p$zval,
                      df = p$dfs, pval = p$pval, limit_estimate = p$est, limit_ci_low = p$ci.lb,
                      limit_ci_high = p$ci.ub, k = sum(use)))
  }
}
out <- list(generated_by = "validation/bias_binary_reference.R",
            metafor = as.character(packageVersion("metafor")), cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "validation/bias_binary_reference.json")
cat(length(cases), "cases\n")
