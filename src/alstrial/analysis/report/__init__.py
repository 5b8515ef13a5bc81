"""The trial report: HTML and PDF rendered from the analysis result objects."""
