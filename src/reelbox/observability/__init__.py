"""Metrics, logs and traces of a running Reelbox (docs/operations.md)."""
