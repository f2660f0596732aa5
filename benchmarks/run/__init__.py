"""One benchmark run: plan, run every model, write the run folder."""
