"""Measurement: timing, statistics, the correctness gate and isolation of each candidate."""
