"""Efficacy analysis: pure functions on pandas DataFrames returning small result objects."""
