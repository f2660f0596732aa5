"""What a run shows: tables, plots, the headline, summary.md and report.html."""
