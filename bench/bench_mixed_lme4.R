# lme4's time for bench_mixed.py: the two-arm piecewise model on the CSV it wrote.
# Usage: Rscript bench/bench_mixed_lme4.R DATA.csv REPEATS
# Prints one JSON line: lmer's elapsed and CPU seconds of each repeat (measured inside R, after
# R has started and read the data), the REML log-likelihood, fixed effects and isSingular.
suppressMessages({library(lme4); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
repeats <- as.integer(args[2])
d$t_post <- pmax(d$t, 0)
d$treated <- as.numeric(d$arm == "treated")
elapsed <- numeric(repeats)
cpu <- numeric(repeats)
for (i in seq_len(repeats)) {
  timing <- system.time(
    m <- lmer(total ~ t + t_post + treated + treated:t + treated:t_post + (1 + t | subject_id),
              data = d, REML = TRUE)
  )
  elapsed[i] <- timing[["elapsed"]]
  cpu[i] <- timing[["user.self"]] + timing[["sys.self"]]
}
cat(toJSON(list(
  elapsed = elapsed, cpu = cpu,
  reml_log_likelihood = as.numeric(logLik(m)),
  fixed = as.list(fixef(m)),
  singular = isSingular(m),
  lme4 = as.character(packageVersion("lme4"))
), auto_unbox = TRUE, digits = NA), "\n")
