"""Benchmarks (`make bench`) and resilience checks (`make chaos`) against the local lab."""
