"""Metrics and logs: the process-wide instruments every layer may use."""
