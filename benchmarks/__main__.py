"""`python -m forecast_bench.benchmarks` is the `forecast-bench` command."""

import sys

from forecast_bench.benchmarks.cli import main

sys.exit(main())
