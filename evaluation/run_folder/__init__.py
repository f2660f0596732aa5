"""The run folder's format: file names, atomic writes, the run record."""
