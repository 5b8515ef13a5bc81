# Reference fits for alstrial.analysis.mixed from lme4 (REML), independent of statsmodels.
# Input: mixed/*.csv (made by make_reference_data.py). Output: mixed_lme4.json.
# Run from the repository root: Rscript tests/reference/mixed_lme4.R
suppressMessages({library(lme4); library(jsonlite)})
here <- "tests/reference"
fit_one <- function(d, formula) {
  m <- lmer(formula, data = d, REML = TRUE,
            control = lmerControl(optimizer = "bobyqa", check.conv.singular = "ignore"))
  co <- summary(m)$coefficients
  vc <- VarCorr(m)$subject_id
  z <- co[, "Estimate"] / co[, "Std. Error"]
  list(
    fixed = setNames(lapply(rownames(co), function(r) list(
      estimate = unname(co[r, "Estimate"]), se = unname(co[r, "Std. Error"]),
      p_normal = unname(2 * pnorm(-abs(z[r]))))), rownames(co)),
    reml_log_likelihood = as.numeric(logLik(m)),
    singular = isSingular(m),
    cov_re = unname(matrix(as.numeric(vc), 2, 2)),
    residual_variance = sigma(m)^2,
    n_subjects = length(unique(d$subject_id)),
    n_visits = nrow(d)
  )
}
out <- list()
for (path in sort(Sys.glob(file.path(here, "mixed", "*.csv")))) {
  d <- read.csv(path)
  d$total <- d$alsfrs_r_total
  d$t_post <- pmax(d$t, 0)
  d$treated <- as.numeric(d$arm == "treated")
  name <- sub("\\.csv$", "", basename(path))
  out[[name]] <- list(
    treated = fit_one(d[d$treated == 1, ], total ~ t + t_post + (1 + t | subject_id)),
    two_arm = fit_one(d, total ~ t + t_post + treated + treated:t + treated:t_post +
                        (1 + t | subject_id))
  )
}
out[["_versions"]] <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "mixed_lme4.json"))
