"""Helpers of benchmarks/launch_throughput.py: environment, endpoint, driver, metrics and report."""
