"""Benchmarks (not tests): ``python -m benchmarks`` times the routing engine."""
