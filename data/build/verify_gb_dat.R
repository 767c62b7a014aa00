# Check data/build/sources/effects_from_group_based_review_dataset.csv value by value against the group-based
# review's own data set (GitHub MikkelVembye/Group-based-interventions, Data/gb_dat.rds at commit 07b5f4c).
# Not needed to build or run anything; it documents how the reported rows were verified.
#
#   git -C <clone> show 07b5f4c:Data/gb_dat.rds > /tmp/gb_dat.rds
#   Rscript data/build/verify_gb_dat.R /tmp/gb_dat.rds
#
# Last run 2026-11-24 (R 4.2, Debian): all 21 rows x 8 values identical.
args <- commandArgs(trailingOnly = TRUE)
gb <- readRDS(args[1])
src <- read.csv("data/build/sources/effects_from_group_based_review_dataset.csv", stringsAsFactors = FALSE)
authors <- c(barbic2009 = "Barbic et al.", druss2010 = "Druss et al.", druss2018 = "Druss et al.",
             vangestel2012 = "Gestel-Timmermans et al.")
cols <- c("N_t", "N_c", "m_post_t", "m_post_c", "sd_post_t", "sd_post_c")
bad <- 0
for (i in seq_len(nrow(src))) {
  r <- src[i, ]
  g <- gb[gb$authors == authors[[r$trial_id]] & gb$year == r$year & gb$test_name == r$test_name &
          gb$time_from_baseline_weeks == r$time_from_baseline_weeks, ]
  if (nrow(g) != 1) { cat("row", i, ": found", nrow(g), "matches\n"); bad <- bad + 1; next }
  for (c in cols) if (!isTRUE(all.equal(as.numeric(g[[c]]), as.numeric(r[[c]])))) {
    cat("row", i, c, ": source", r[[c]], "gb_dat", g[[c]], "\n"); bad <- bad + 1
  }
}
cat(if (bad == 0) "all rows identical\n" else paste(bad, "differences\n"))
