"""Benchmarks: Sitrep against Hugo on synthetic corpora (`python -m bench`, see bench/README.md)."""
