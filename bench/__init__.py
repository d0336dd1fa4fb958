"""Benchmarks (not tests): run each script with ``python -m bench.<name>``; see README.md."""
