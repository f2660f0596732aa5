"""The walk-forward harness: splits, tasks, executors, the task cache."""
