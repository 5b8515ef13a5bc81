# How R's wilcox.test(conf.int = TRUE) treats zero differences in its Hodges-Lehmann estimate
# (the pseudo-median): the zeros are dropped before the estimate, as before the test.
# Output: hodges_lehmann_zeros_r.json. Run from the repository root:
#   Rscript tests/reference/hodges_lehmann_zeros.R
library(jsonlite)
here <- "tests/reference"
cases <- list(
  # a ties case: 4 of 12 paired differences are exactly zero
  zeros_ties = c(0, 0, 0, 0, 1, 1, 2, 2, 3, 3, -1, 4),
  # non-zero differences without ties: R still leaves the exact test because of the zeros
  zeros_no_ties = c(0, 0, 0.5, 1.5, -0.7, 2.2, 3.1, -1.3, 0.9, 2.8)
)
out <- list()
for (name in names(cases)) {
  x <- cases[[name]]
  w <- suppressWarnings(wilcox.test(x, mu = 0, conf.int = TRUE, correct = TRUE))
  w_nonzero <- suppressWarnings(wilcox.test(x[x != 0], mu = 0, conf.int = TRUE, correct = TRUE,
                                            exact = FALSE))
  walsh <- outer(x, x, "+") / 2
  out[[name]] <- list(
    x = x,
    estimate = unname(w$estimate),
    estimate_nonzero_only = unname(w_nonzero$estimate),
    p = w$p.value,
    statistic_v = unname(w$statistic),
    method = w$method,
    walsh_median_with_zeros = median(walsh[upper.tri(walsh, diag = TRUE)])
  )
}
out[["_R_version"]] <- R.version.string
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "hodges_lehmann_zeros_r.json"))
