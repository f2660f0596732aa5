"""Scores: point and interval metrics, their reductions, significance tests."""
