"""Benchmarks: one module per hot path, each printing one line of key=value numbers."""
