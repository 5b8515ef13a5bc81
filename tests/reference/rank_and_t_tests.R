# Reference p-values for alstrial.analysis.tests from R's stats package (R >= 4.2).
# Input: rank_cases.json (made by make_reference_data.py). Output: rank_and_t_tests_r.json.
# Run from the repository root: Rscript tests/reference/rank_and_t_tests.R
library(jsonlite)
here <- "tests/reference"
cases <- fromJSON(file.path(here, "rank_cases.json"), simplifyVector = FALSE)
out <- list()
for (case in cases) {
  x <- unlist(case$x)
  if (case$kind == "signed_rank") {
    w <- suppressWarnings(wilcox.test(x, mu = 0, alternative = "two.sided", correct = TRUE,
                                      conf.int = TRUE))
    t <- t.test(x, mu = 0)
  } else {
    y <- unlist(case$y)
    w <- suppressWarnings(wilcox.test(x, y, alternative = "two.sided", correct = TRUE,
                                      conf.int = TRUE))
    t <- t.test(x, y, var.equal = FALSE)
  }
  out[[case$name]] <- list(
    wilcox_statistic = unname(w$statistic), wilcox_p = w$p.value, wilcox_method = w$method,
    wilcox_estimate = unname(w$estimate), wilcox_ci = unname(as.numeric(w$conf.int)),
    t_statistic = unname(t$statistic), t_p = t$p.value, t_ci = unname(as.numeric(t$conf.int))
  )
}
out[["_R_version"]] <- R.version.string
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "rank_and_t_tests_r.json"))
