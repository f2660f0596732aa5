"""Walk-forward splits, the evaluation harness, metrics and tables."""
