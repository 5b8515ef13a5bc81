# Reference values for the randomised-trial analyses (tests/analysis/test_randomised_against_r.py).
# Run from the repository root: Rscript tests/reference/randomised_r.R
# Reads tests/reference/randomised/CASE/{subjects,visits}.csv, writes randomised_r.json.
# MMRM: nlme::gls with corSymm + varIdent (REML), emmeans (mode "satterthwaite") for the LS means;
# Kenward-Roger computed by hand from the same fit as SAS documents it (Kenward & Roger 1997),
# see kr_df below. ANCOVA: lm. Survival: survival's survfit, survdiff, coxph (Efron); RMST by
# hand from the Kaplan-Meier curve (area under the step function up to tau, SE by the
# Greenwood-type formula of survRM2/Klein & Moeschberger).
suppressPackageStartupMessages({
  library(nlme); library(emmeans); library(survival); library(jsonlite)
})

# Kenward-Roger for one contrast, with dense matrices (independent of the Python engine): the
# covariance parameters are the entries of Sigma (SAS's linear parametrisation, so R_hj = 0), W is
# the inverse observed REML information (numDeriv's Hessian), and the df comes from the general
# moment-matching formulas of Kenward & Roger (1997) with c = 1.
kr_reference <- function(X, y, subject, vnum, sigma, l) {
  V <- nrow(sigma)
  pairs <- which(lower.tri(sigma, diag = TRUE), arr.ind = TRUE)
  pairs <- pairs[order(pairs[, 1], pairs[, 2]), , drop = FALSE]
  build <- function(s) {
    S <- matrix(0, V, V); S[pairs] <- s; S[pairs[, 2:1]] <- s; S
  }
  blocks <- split(seq_along(y), subject)
  omega_of <- function(S) {
    O <- matrix(0, length(y), length(y))
    for (b in blocks) O[b, b] <- S[vnum[b], vnum[b], drop = FALSE]
    O
  }
  reml <- function(s) {
    O <- omega_of(build(s)); Oi <- solve(O); A <- t(X) %*% Oi %*% X
    beta <- solve(A, t(X) %*% Oi %*% y); r <- y - X %*% beta
    -0.5 * (determinant(O)$modulus + determinant(A)$modulus + t(r) %*% Oi %*% r)[1]
  }
  s_hat <- sigma[pairs]
  W <- solve(-numDeriv::hessian(reml, s_hat))
  O <- omega_of(sigma); Oi <- solve(O); Phi <- solve(t(X) %*% Oi %*% X)
  unit <- lapply(seq_len(nrow(pairs)), function(h) {
    e <- numeric(nrow(pairs)); e[h] <- 1; omega_of(build(e))
  })
  P <- lapply(unit, function(Oh) -t(X) %*% Oi %*% Oh %*% Oi %*% X)
  k <- length(unit); correction <- 0 * Phi
  for (h in seq_len(k)) for (j in seq_len(k)) {
    Q <- t(X) %*% Oi %*% unit[[h]] %*% Oi %*% unit[[j]] %*% Oi %*% X
    correction <- correction + W[h, j] * (Q - P[[h]] %*% Phi %*% P[[j]])
  }
  PhiA <- Phi + 2 * Phi %*% correction %*% Phi
  C <- matrix(l, nrow = 1); cc <- 1
  M <- t(C) %*% solve(C %*% Phi %*% t(C)) %*% C
  A1 <- 0; A2 <- 0
  for (h in seq_len(k)) for (j in seq_len(k)) {
    Th <- M %*% Phi %*% P[[h]] %*% Phi; Tj <- M %*% Phi %*% P[[j]] %*% Phi
    A1 <- A1 + W[h, j] * sum(diag(Th)) * sum(diag(Tj))
    A2 <- A2 + W[h, j] * sum(diag(Th %*% Tj))
  }
  B <- (A1 + 6 * A2) / (2 * cc); g <- ((cc + 1) * A1 - (cc + 4) * A2) / ((cc + 2) * A2)
  den <- 3 * cc + 2 * (1 - g); c1 <- g / den; c2 <- (cc - g) / den; c3 <- (cc + 2 - g) / den
  E <- 1 / (1 - A2 / cc)
  Vs <- (2 / cc) * (1 + c1 * B) / ((1 - c2 * B)^2 * (1 - c3 * B))
  rho <- Vs / (2 * E^2); m <- 4 + (cc + 2) / (cc * rho - 1)
  list(se = sqrt((C %*% PhiA %*% t(C))[1]), df = m, se_unadjusted = sqrt((C %*% Phi %*% t(C))[1]))
}

case_values <- function(folder) {
  s <- read.csv(file.path(folder, "subjects.csv"), stringsAsFactors = FALSE)
  v <- read.csv(file.path(folder, "visits.csv"), stringsAsFactors = FALSE)
  v <- merge(v, s, by = "subject_id")
  v <- v[order(v$subject_id, v$day), ]
  # baseline: the last visit at or before index_day
  pre <- v[v$day <= v$index_day, ]
  base <- tapply(pre$alsfrs_r_total, pre$subject_id, function(x) x[length(x)])
  series_end <- pmin(v$tracheostomy_day, v$permanent_ventilation_day, na.rm = TRUE)
  post <- v[v$day > v$index_day & !is.na(v$visit) & v$visit != "" &
            (is.na(series_end) | v$day <= series_end) & v$subject_id %in% names(base), ]
  post$baseline <- as.numeric(base[post$subject_id])
  post$change <- post$alsfrs_r_total - post$baseline
  timing <- tapply(post$day - post$index_day, post$visit, median)
  levels_by_time <- names(sort(timing))
  post$visit <- factor(post$visit, levels = levels_by_time)
  post$vnum <- as.integer(post$visit)
  post$arm <- factor(post$arm, levels = c("control", "treated"))
  post$subject_id <- factor(post$subject_id)

  fit <- gls(change ~ visit * arm + baseline * visit, data = post,
             correlation = corSymm(form = ~ vnum | subject_id),
             weights = varIdent(form = ~ 1 | visit), method = "REML",
             control = glsControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-10,
                                  msTol = 1e-12, natural = FALSE))
  last <- levels_by_time[length(levels_by_time)]
  emm <- emmeans(fit, ~ arm | visit, mode = "satterthwaite", data = post)
  diff <- summary(contrast(emm, list(treated_minus_control = c(-1, 1))), infer = TRUE)
  d <- diff[diff$visit == last, ]
  lsm <- summary(emm)
  # the covariance of the visits: sigma^2 * varIdent weights * correlation
  sds <- coef(fit$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)
  sds <- fit$sigma * sds[levels_by_time]
  cor <- corMatrix(fit$modelStruct$corStruct)[[1]]
  full_ids <- names(which(table(post$subject_id) == length(levels_by_time)))
  cor <- corMatrix(fit$modelStruct$corStruct)[[full_ids[1]]]
  sigma <- outer(sds, sds) * cor

  X <- model.matrix(fit, data = post)
  l <- as.numeric(colnames(X) %in% c("armtreated", paste0("visit", last, ":armtreated")))
  kr <- kr_reference(X, post$change, as.character(post$subject_id), post$vnum, sigma, l)

  # ANCOVA at the last scheduled visit, complete cases, stratum as a factor when given
  at_last <- post[post$visit == last, ]
  if ("stratum" %in% names(s)) {
    at_last$stratum <- factor(at_last$stratum)
    an <- lm(change ~ arm + baseline + stratum, data = at_last)
  } else {
    an <- lm(change ~ arm + baseline, data = at_last)
  }
  an_row <- summary(an)$coefficients["armtreated", ]

  # survival: time from randomisation to the first of death, tracheostomy, ventilation
  event_day <- pmin(s$death_day, s$tracheostomy_day, s$permanent_ventilation_day, na.rm = TRUE)
  last_visit <- tapply(v$day, v$subject_id, max)[s$subject_id]
  censor_day <- ifelse(is.na(s$last_contact_day), last_visit, s$last_contact_day)
  status <- as.integer(!is.na(event_day))
  censor_day <- pmax(censor_day, s$index_day)  # last seen at baseline: censored at randomisation
  time <- ifelse(status == 1, event_day, censor_day) - s$index_day
  arm <- factor(s$arm, levels = c("control", "treated"))
  lr <- survdiff(Surv(time, status) ~ arm)
  cox <- coxph(Surv(time, status) ~ arm, ties = "efron")
  cs <- summary(cox)
  tau <- min(tapply(time, arm, max))
  rmst_arm <- function(a) {
    f <- survfit(Surv(time[arm == a], status[arm == a]) ~ 1)
    keep <- f$time <= tau
    t <- c(0, f$time[keep]); surv <- c(1, f$surv[keep])
    widths <- diff(c(t, tau))
    area <- sum(surv * widths)
    # variance: sum over event times t_i <= tau of A_i^2 d_i / (n_i (n_i - d_i)), with A_i the
    # area under the curve from t_i to tau
    ev <- f$time[keep]; d <- f$n.event[keep]; n <- f$n.risk[keep]
    areas <- rev(cumsum(rev(surv[-1] * widths[-1])))
    var <- sum(ifelse(d > 0 & n > d, areas^2 * d / (n * (n - d)), 0))
    c(area = area, se = sqrt(var))
  }
  rt <- rmst_arm("treated"); rc <- rmst_arm("control")
  rmst_se <- sqrt(rt[["se"]]^2 + rc[["se"]]^2)
  km <- survfit(Surv(time, status) ~ arm)
  list(
    mmrm = list(
      visits = levels_by_time, visit = last, estimate = d$estimate, se = d$SE, df = d$df,
      p = d$p.value, ci_low = d$lower.CL, ci_high = d$upper.CL,
      log_likelihood = as.numeric(logLik(fit)),
      # nlme's REML log-likelihood leaves out 1/2 log|X'X|, so it depends on how the fixed
      # effects are coded; with it, any coding gives the same value
      log_likelihood_coding_free = as.numeric(logLik(fit)) +
        0.5 * as.numeric(determinant(crossprod(model.matrix(fit, data = post)))$modulus),
      covariance = unname(sigma),
      ls_means = data.frame(visit = as.character(lsm$visit), arm = as.character(lsm$arm),
                            ls_mean = lsm$emmean, se = lsm$SE, df = lsm$df),
      n_rows = nrow(post),
      kenward_roger = kr
    ),
    ancova = list(estimate = an_row[["Estimate"]], se = an_row[["Std. Error"]],
                  df = an$df.residual, p = an_row[["Pr(>|t|)"]], n = nrow(at_last)),
    survival = list(
      events = list(treated = sum(status[arm == "treated"]),
                    control = sum(status[arm == "control"])),
      log_rank_p = pchisq(lr$chisq, 1, lower.tail = FALSE),
      cox = list(hazard_ratio = cs$conf.int[1, "exp(coef)"], ci_low = cs$conf.int[1, "lower .95"],
                 ci_high = cs$conf.int[1, "upper .95"], p = cs$coefficients[1, "Pr(>|z|)"]),
      rmst = list(tau_days = tau, treated = rt[["area"]], control = rc[["area"]],
                  difference = rt[["area"]] - rc[["area"]], se = rmst_se,
                  p = 2 * pnorm(-abs(rt[["area"]] - rc[["area"]]) / rmst_se)),
      km = data.frame(arm = rep(c("control", "treated"), km$strata), time = km$time,
                      n_risk = km$n.risk, n_event = km$n.event, survival = km$surv)
    )
  )
}

root <- "tests/reference/randomised"
cases <- c("balanced", "dropout", "small")
out <- lapply(cases, function(cs) case_values(file.path(root, cs)))
names(out) <- cases
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/randomised_r.json")
