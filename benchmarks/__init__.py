"""Benchmark helpers for perfrules (synthetic data and hand-written baselines).

Nothing here imports perfrules. See benchmarks/README.md.
"""
