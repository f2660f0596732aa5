"""Developer checks run from a checkout (not shipped in the wheel)."""
