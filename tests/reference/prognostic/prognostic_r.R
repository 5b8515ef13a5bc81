# The cross-fitted prognostic model of alstrial.analysis.prognostic, written from its definition
# with R's lm: coefficients on the whole training set, out-of-fold predictions with the folds of
# training.csv, and their calibration (intercept and slope of lm(observed ~ predicted), R^2).
# Run from the repository root: Rscript tests/reference/prognostic/prognostic_r.R
suppressPackageStartupMessages({library(jsonlite); library(nlme); library(emmeans)})
here <- "tests/reference/prognostic"
d <- read.csv(file.path(here, "training.csv"), stringsAsFactors = FALSE)
f <- outcome ~ age_years + disease_duration_months + baseline_alsfrs_r + delta_fs +
  lead_in_slope + bulbar_onset + male
full <- lm(f, data = d)
predicted <- numeric(nrow(d))
for (k in sort(unique(d$fold))) {
  held <- d$fold == k
  predicted[held] <- predict(lm(f, data = d[!held, ]), newdata = d[held, ])
}
cal <- coef(lm(d$outcome ~ predicted))
r2 <- 1 - sum((d$outcome - predicted)^2) / sum((d$outcome - mean(d$outcome))^2)
# ANCOVA of the randomised reference trial "balanced" adjusted for the prognostic score
# (PROCOVA): change at the last visit (M6) ~ arm + baseline + prognostic_score, complete cases
folder <- "tests/reference/randomised/balanced"
subjects <- read.csv(file.path(folder, "subjects.csv"), stringsAsFactors = FALSE)
visits <- read.csv(file.path(folder, "visits.csv"), stringsAsFactors = FALSE)
scores <- read.csv(file.path(here, "scores_balanced.csv"), stringsAsFactors = FALSE)
bl <- visits[visits$visit == "BL", c("subject_id", "alsfrs_r_total")]
names(bl)[2] <- "baseline"
m6 <- visits[visits$visit == "M6", c("subject_id", "alsfrs_r_total")]
a <- merge(merge(merge(m6, bl), subjects[, c("subject_id", "arm")]), scores)
a$change <- a$alsfrs_r_total - a$baseline
a$arm <- factor(a$arm, levels = c("control", "treated"))
an <- summary(lm(change ~ arm + baseline + prognostic_score, data = a))
row <- an$coefficients["armtreated", ]
unadjusted <- summary(lm(change ~ arm + baseline, data = a))$coefficients["armtreated", ]

# MMRM of the same trial with the prognostic score (PROCOVA): nlme gls, unstructured correlation
# and variances (corSymm + varIdent), REML; change ~ visit * arm + visit * baseline +
# visit * prognostic_score; emmeans' treated minus control at the last visit (covariates at their
# means over rows), Satterthwaite df
v <- merge(visits, subjects[, c("subject_id", "arm", "index_day")])
v <- v[order(v$subject_id, v$day), ]
pre <- v[v$day <= v$index_day, ]
base <- tapply(pre$alsfrs_r_total, pre$subject_id, function(x) x[length(x)])
post <- v[v$day > v$index_day & !is.na(v$visit) & v$visit != "", ]
post$baseline <- as.numeric(base[post$subject_id])
post$change <- post$alsfrs_r_total - post$baseline
post <- merge(post, scores)
timing <- tapply(post$day - post$index_day, post$visit, median)
levels_by_time <- names(sort(timing))
post$visit <- factor(post$visit, levels = levels_by_time)
post$vnum <- as.integer(post$visit)
post$arm <- factor(post$arm, levels = c("control", "treated"))
post$subject_id <- factor(post$subject_id)
fit <- gls(change ~ visit * arm + visit * baseline + visit * prognostic_score, data = post,
           correlation = corSymm(form = ~ vnum | subject_id),
           weights = varIdent(form = ~ 1 | visit), method = "REML",
           control = glsControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-10,
                                msTol = 1e-12, natural = FALSE))
emm <- emmeans(fit, ~ arm | visit, mode = "satterthwaite", data = post)
diff <- summary(contrast(emm, list(treated_minus_control = c(-1, 1))), infer = TRUE)
last <- levels_by_time[length(levels_by_time)]
at_last <- diff[diff$visit == last, ]

out <- list(
  n = nrow(d),
  coefficients = as.list(coef(full)),
  predicted = predicted,
  calibration_intercept = unname(cal[1]),
  calibration_slope = unname(cal[2]),
  r_squared = r2,
  ancova_procova = list(estimate = row[["Estimate"]], se = row[["Std. Error"]],
                        df = an$df[2], p = row[["Pr(>|t|)"]], n = nrow(a)),
  ancova_unadjusted_se = unadjusted[["Std. Error"]],
  mmrm_procova = list(visit = last, estimate = at_last$estimate, se = at_last$SE,
                      df = at_last$df, p = at_last$p.value, n_rows = nrow(post),
                      log_likelihood = as.numeric(logLik(fit))),
  `_R_version` = R.version.string
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "prognostic_r.json"))
