# Reference values for peerstats.subgroups.pairwise_difference, computed with R metafor.
#
# Run from the repository root:   Rscript validation/pairwise_reference.R
# Writes validation/pairwise_reference.json (pinned and committed; the tests never need R).
#
# For each case: one rma(yi, vi, method, subset = group == g) per subgroup (as peerstats.subgroups.subgroup_test),
# then the difference of the two pooled estimates as metafor's coefficient of a common-effect meta-regression on the
# two estimates: rma(yi = c(est1, est2), sei = c(se1, se2), mods = ~ c(1, 0), method = "FE", level): its slope is
# est1 - est2 with se sqrt(se1^2 + se2^2), z test and Wald interval. The closed form is not used here.
# control = CTRL so REML converges fully (metafor's default stops at 1e-5); inputs rounded to 12 significant digits.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
options(warn = 1)
SIG <- 12
CTRL <- list(threshold = 1e-12, maxiter = 10000, tol = 1e-12)
r12 <- function(x) signif(as.numeric(x), SIG)

bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
eff <- read.csv("data/effects.csv", stringsAsFactors = FALSE)
tri <- read.csv("data/trials.csv", stringsAsFactors = FALSE)
prim <- eff[eff$primary %in% c("True", "TRUE", "true"), ]
prim <- merge(prim, tri[, c("trial_id", "category")], by = "trial_id")
bundled <- function(outcome) {
  d <- prim[prim$outcome == outcome, ]
  d <- d[order(d$trial_id), ]
  list(yi = r12(d$yi), vi = r12(d$vi), g = as.character(d$category),
       note = paste("data/ primary", outcome, "rows (every provenance), sorted by trial_id; groups = category"))
}
datasets <- list(
  bcg = list(yi = r12(bcg$yi), vi = r12(bcg$vi), g = as.character(bcg$alloc),
             note = "metadat dat.bcg, log risk ratios via escalc('RR'); groups = alloc"),
  personal_recovery = bundled("personal_recovery"),
  depression = bundled("depression")
)

cases <- list()
for (name in names(datasets)) {
  d <- datasets[[name]]
  levs <- unique(d$g)
  for (method in c("FE", "DL", "REML")) {
    for (level in c(95, 90)) {
      if (level == 90 && method != "DL") next
      fits <- lapply(levs, function(g) rma(d$yi, d$vi, method = method, subset = d$g == g, control = CTRL))
      names(fits) <- levs
      for (i in seq_along(levs)) for (j in seq_along(levs)) {
        if (i >= j) next
        a <- fits[[levs[i]]]; b <- fits[[levs[j]]]
        est <- c(as.numeric(a$b), as.numeric(b$b)); se <- c(a$se, b$se)
        m <- rma(yi = est, sei = se, mods = ~ c(1, 0), method = "FE", level = level)
        cases[[length(cases) + 1]] <- list(
          id = sprintf("pairwise-%s-%s-%d-%s-vs-%s", name, method, level, levs[i], levs[j]),
          dataset = name, method = method, level = level / 100, group1 = levs[i], group2 = levs[j],
          expected = list(estimate = r12(coef(m)[2]), se = r12(m$se[2]), zval = r12(m$zval[2]),
                          pval = r12(m$pval[2]), ci_low = r12(m$ci.lb[2]), ci_high = r12(m$ci.ub[2]),
                          k1 = a$k, k2 = b$k, est1 = r12(est[1]), est2 = r12(est[2]), se1 = r12(se[1]),
                          se2 = r12(se[2]))
        )
      }
    }
  }
}
out <- list(
  generated_by = "validation/pairwise_reference.R",
  r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
  significant_digits = SIG, rma_control = CTRL,
  datasets = datasets, n_cases = length(cases), cases = cases
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = 1), "validation/pairwise_reference.json")
cat(sprintf("%d cases written\n", length(cases)))
