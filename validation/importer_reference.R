# Reference values for the importer (issue 9: bring your own review), computed with R metafor from the committed
# example file data/examples/metapsy_peer_support.csv (Metapsy peer-support data set, semicolon-separated, decimal
# commas, "NA" for missing values).
#
# Run from the repository root:   Rscript validation/importer_reference.R
# Writes validation/importer_reference.json (pinned and committed; the tests never need R).
#
# Cases:
# - escalc: escalc(measure = "SMD", m1i = mean_arm1, sd1i = sd_arm1, n1i = n_arm1, m2i = mean_arm2, sd2i = sd_arm2,
#   n2i = n_arm2) (vtype "LS") on every row with all six arm values: what import_studies computes from arm data.
# - pool: per outcome_category, the first row of each study in file order (the importer's primary row), pooled with
#   rma(yi = .g, sei = .g_se, method = <FE|DL|REML|PM>, control = CTRL) (test "z"): what the app pools for the
#   "Try an example" data (dashboard.byor.EXAMPLE_MAPPING).
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
options(warn = 1)
CTRL <- list(threshold = 1e-12, maxiter = 10000, tol = 1e-12)
dat <- read.csv("data/examples/metapsy_peer_support.csv", sep = ";", dec = ",", na.strings = "NA",
                check.names = FALSE, encoding = "UTF-8", stringsAsFactors = FALSE)
dat$row <- seq_len(nrow(dat))

arms <- c("mean_arm1", "sd_arm1", "n_arm1", "mean_arm2", "sd_arm2", "n_arm2")
full <- dat[complete.cases(dat[, arms]), ]
es <- escalc(measure = "SMD", m1i = full$mean_arm1, sd1i = full$sd_arm1, n1i = full$n_arm1,
             m2i = full$mean_arm2, sd2i = full$sd_arm2, n2i = full$n_arm2)
cases <- list(list(id = "escalc-SMD-metapsy-arm-rows", fn = "escalc", rows = full$row,
                   expected = list(yi = as.numeric(es$yi), vi = as.numeric(es$vi))))

for (oc in unique(dat$outcome_category)) {
  sub <- dat[dat$outcome_category == oc, ]
  sub <- sub[!duplicated(sub$study), ]
  for (m in c("FE", "DL", "REML", "PM")) {
    fit <- rma(yi = sub$.g, sei = sub$.g_se, method = m, control = CTRL)
    cases[[length(cases) + 1]] <- list(
      id = paste0("pool-", m, "-metapsy-", gsub(" ", "_", tolower(oc))), fn = "pool", method = m,
      outcome = oc, rows = sub$row,
      expected = list(k = fit$k, estimate = as.numeric(fit$b), se = fit$se, ci_low = fit$ci.lb, ci_high = fit$ci.ub,
                      pval = fit$pval, tau2 = fit$tau2, i2 = fit$I2, q = fit$QE, q_pval = fit$QEp))
  }
}
out <- list(generated_by = "validation/importer_reference.R", r_version = R.version.string,
            metafor_version = as.character(packageVersion("metafor")), n_cases = length(cases), cases = cases)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "validation/importer_reference.json")
cat("wrote", length(cases), "cases\n")
