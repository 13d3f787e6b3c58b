"""Benchmarks of the provider and the deploy loop; `python -m benchmarks` (`make bench`) runs them all.

Figures go to `benchmarks/results/` (JSON per benchmark, plus `summary.md`) so a change that
makes start-up or deploys slower, or adds API calls, shows up in review as a diff.
"""
