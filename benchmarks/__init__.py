"""Data loading, run configs, the runner and the `forecast-bench` command line."""
