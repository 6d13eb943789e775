"""The runtime: the one place that owns numbers, missing values, rounding and time progress."""
