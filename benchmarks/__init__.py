"""Benchmarks: the suite (`benchmarks/run.py`, harness in `benchmarks/harness/`) and the
training-time measurement (`benchmarks/training.py`)."""
