# The efficacy analysis written from scratch in R from the definitions of
# docs/interfaces.md, 'Analysis data' and docs/domain.md, 'Time, slopes and progression',
# independent of alstrial's Python code. Input: efficacy/subjects.csv, efficacy/visits.csv. Output:
# efficacy_r.json. Run from the repository root: Rscript tests/reference/efficacy_r.R
suppressMessages({library(lme4); library(jsonlite)})
here <- "tests/reference"
days_per_month <- 365.25 / 12
follow_up_days <- 90
subjects <- read.csv(file.path(here, "efficacy", "subjects.csv"), stringsAsFactors = FALSE)
visits <- read.csv(file.path(here, "efficacy", "visits.csv"), stringsAsFactors = FALSE)
visits <- visits[order(visits$subject_id, visits$day), ]

ols <- function(days, totals) {
  if (length(days) < 2) return(NA_real_)
  unname(coef(lm(totals ~ I(days / days_per_month)))[2])
}

rows <- list()
window <- list()
for (i in seq_len(nrow(subjects))) {
  s <- subjects[i, ]
  v <- visits[visits$subject_id == s$subject_id, ]
  # the series ends at tracheostomy (visits after it are left out); deaths precede no visit
  if (!is.na(s$tracheostomy_day)) v <- v[v$day <= s$tracheostomy_day, ]
  v <- v[v$day <= s$index_day + follow_up_days, ]
  lead <- v[v$day <= s$index_day, ]
  post <- v[v$day > s$index_day, ]
  base <- if (nrow(lead)) tail(lead, 1) else NULL
  follow <- rbind(base, post)
  rows[[i]] <- list(
    subject_id = s$subject_id, arm = s$arm,
    n_lead_in = nrow(lead), n_follow_up = nrow(follow),
    lead_in_slope = ols(lead$day, lead$alsfrs_r_total),
    follow_up_slope = if (nrow(post)) ols(follow$day, follow$alsfrs_r_total) else NA_real_,
    change = if (nrow(post) && !is.null(base)) tail(post$alsfrs_r_total, 1) - base$alsfrs_r_total
             else NA_real_
  )
  v$t <- (v$day - s$index_day) / days_per_month
  v$arm <- s$arm
  window[[i]] <- v
}
table <- do.call(rbind, lapply(rows, as.data.frame))
window <- do.call(rbind, window)

arm_summary <- function(arm) {
  a <- table[table$arm == arm, ]
  both <- a[!is.na(a$lead_in_slope) & !is.na(a$follow_up_slope), ]
  list(
    n = nrow(a),
    mean_lead_in_slope = mean(a$lead_in_slope, na.rm = TRUE),
    mean_follow_up_slope = mean(a$follow_up_slope, na.rm = TRUE),
    mean_change = mean(a$change, na.rm = TRUE),
    paired_t_p = t.test(both$follow_up_slope, both$lead_in_slope, paired = TRUE)$p.value,
    # rank tests on values rounded to 9 decimals, alstrial's documented rule against
    # floating-point noise in computed slopes
    wilcoxon_p = suppressWarnings(wilcox.test(round(both$follow_up_slope - both$lead_in_slope,
                                                    9)))$p.value
  )
}
between <- function(outcome) {
  x <- na.omit(table[table$arm == "treated", outcome])
  y <- na.omit(table[table$arm == "control", outcome])
  w <- t.test(x, y, var.equal = FALSE)
  list(
    difference = mean(x) - mean(y),
    difference_ci = unname(as.numeric(w$conf.int)),
    welch_t_p = w$p.value,
    mann_whitney_p = suppressWarnings(wilcox.test(round(x, 9), round(y, 9)))$p.value
  )
}
treated_visits <- window[window$arm == "treated", ]
treated_visits$t_post <- pmax(treated_visits$t, 0)
m <- lmer(alsfrs_r_total ~ t + t_post + (1 + t | subject_id), data = treated_visits, REML = TRUE)
co <- summary(m)$coefficients
out <- list(
  subjects = table,
  arms = list(treated = arm_summary("treated"), control = arm_summary("control")),
  between_arms = list(change = between("change"), follow_up_slope = between("follow_up_slope")),
  mixed_model = list(treated = list(
    slope_change = unname(co["t_post", "Estimate"]),
    slope_change_se = unname(co["t_post", "Std. Error"]),
    slope_change_p = unname(2 * pnorm(-abs(co["t_post", "Estimate"] / co["t_post", "Std. Error"]))),
    singular = isSingular(m)
  )),
  `_versions` = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null",
                  dataframe = "rows"),
           file.path(here, "efficacy_r.json"))
