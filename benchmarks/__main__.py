"""`python -m benchmarks` is the `forecast-bench` command."""

import sys

from benchmarks.cli import main

sys.exit(main())
