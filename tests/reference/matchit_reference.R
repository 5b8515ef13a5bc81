# Reference values for tests/analysis/test_matching_matchit.py, from R's MatchIt.
# Run from the repository root:  Rscript tests/reference/matchit_reference.R
# (R 4.2.2, MatchIt 4.5.1, Debian package r-cran-matchit). Writes tests/reference/matchit_*.csv.
suppressPackageStartupMessages(library(MatchIt))
out <- "tests/reference"
set.seed(20091)
n_t <- 40; n_c <- 400
d <- data.frame(
  id = c(sprintf("t%03d", 1:n_t), sprintf("c%03d", 1:n_c)),
  treat = c(rep(1, n_t), rep(0, n_c)),
  age = round(c(rnorm(n_t, 52, 9), rnorm(n_c, 57, 11)), 1),
  duration = round(c(rgamma(n_t, 4, 0.25), rgamma(n_c, 4, 0.2)), 2),
  baseline = round(c(rnorm(n_t, 38, 4), rnorm(n_c, 35, 6))),
  site = c(sample(c("bulbar", "spinal"), n_t, TRUE, c(0.3, 0.7)),
           sample(c("bulbar", "spinal"), n_c, TRUE, c(0.2, 0.8)))
)
write.csv(d, file.path(out, "matchit_data.csv"), row.names = FALSE)

pairs <- function(m, name) {
  mm <- m$match.matrix
  rows <- list()
  for (i in seq_len(nrow(mm))) for (k in seq_len(ncol(mm))) {
    if (!is.na(mm[i, k])) rows[[length(rows) + 1]] <- data.frame(
      treated_id = d$id[as.integer(rownames(mm)[i])], control_id = d$id[as.integer(mm[i, k])],
      round = k)
  }
  write.csv(do.call(rbind, rows), file.path(out, paste0("matchit_pairs_", name, ".csv")),
            row.names = FALSE)
}
balance <- function(m, name) {
  s <- summary(m, standardize = TRUE)
  all <- s$sum.all; matched <- s$sum.matched
  b <- data.frame(covariate = rownames(all),
                  mean_treated_before = all[, "Means Treated"],
                  mean_control_before = all[, "Means Control"],
                  smd_before = all[, "Std. Mean Diff."],
                  var_ratio_before = all[, "Var. Ratio"],
                  mean_treated_after = matched[, "Means Treated"],
                  mean_control_after = matched[, "Means Control"],
                  smd_after = matched[, "Std. Mean Diff."],
                  var_ratio_after = matched[, "Var. Ratio"],
                  ecdf_mean_before = all[, "eCDF Mean"],
                  ecdf_max_before = all[, "eCDF Max"],
                  ecdf_mean_after = matched[, "eCDF Mean"],
                  ecdf_max_after = matched[, "eCDF Max"])
  write.csv(b, file.path(out, paste0("matchit_balance_", name, ".csv")), row.names = FALSE)
}
rownames(d) <- seq_len(nrow(d))

# 1. The propensity score model: the logit (linear predictor) of R's glm.
# Its pairs are not kept as a reference: MatchIt 4.5.1's new fast propensity-score algorithm
# (NEWS: "Nearest neighbor matching now uses a much faster algorithm") returned, on these data
# with exact = ~site and caliper = 0.2, a pair 0.396 logits apart although its own caliper was
# 0.144. Case 5 below matches on the same logit through MatchIt's general algorithm instead.
m1 <- matchit(treat ~ age + duration + baseline, data = d, method = "nearest",
              distance = "glm", link = "linear.logit")
write.csv(data.frame(id = d$id, logit = m1$distance),
          file.path(out, "matchit_logit.csv"), row.names = FALSE)

# 2. Mahalanobis, 1:2 without replacement, data order, no caliper, exact on site.
m2 <- matchit(treat ~ age + duration + baseline, data = d, method = "nearest",
              distance = "mahalanobis", exact = ~site, replace = FALSE, ratio = 2)
pairs(m2, "mahalanobis_ratio2")
balance(m2, "mahalanobis_ratio2")

# 3. Mahalanobis with a 0.2 SD caliper on every covariate, 1:1.
m3 <- matchit(treat ~ age + duration + baseline, data = d, method = "nearest",
              distance = "mahalanobis", exact = ~site, replace = FALSE, ratio = 1,
              caliper = c(age = 0.2, duration = 0.2, baseline = 0.2))
pairs(m3, "mahalanobis_caliper")
balance(m3, "mahalanobis_caliper")

# 4. Mahalanobis 1:1 with replacement, no exact matching.
m4 <- matchit(treat ~ age + duration + baseline, data = d, method = "nearest",
              distance = "mahalanobis", replace = TRUE, ratio = 1)
pairs(m4, "mahalanobis_replace")
balance(m4, "mahalanobis_replace")

# 5. Propensity matching through MatchIt's general nearest-neighbour algorithm: the logit of
# case 1 as the only "Mahalanobis" variable (a monotone rescaling of |logit difference|), the
# treated sorted by decreasing logit so that data order is MatchIt's "largest" order, and a
# 0.2 SD caliper on the logit (SD over all units, MatchIt's std.caliper), exact on site.
d$lp <- m1$distance
o <- c(which(d$treat == 1)[order(d$lp[d$treat == 1], decreasing = TRUE)], which(d$treat == 0))
ds <- d[o, ]
rownames(ds) <- seq_len(nrow(ds))
m5 <- matchit(treat ~ lp, data = ds, method = "nearest", distance = "mahalanobis",
              exact = ~site, caliper = c(lp = 0.2), replace = FALSE, ratio = 1)
mm <- m5$match.matrix
ok <- !is.na(mm[, 1])
write.csv(data.frame(treated_id = ds$id[as.integer(rownames(mm))[ok]],
                     control_id = ds$id[as.integer(mm[ok, 1])], round = 1),
          file.path(out, "matchit_pairs_propensity_general.csv"), row.names = FALSE)
