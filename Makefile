# Two entry points, both from a fresh clone with only Python 3.11:
#   make bench  - create .venv, install, run the default benchmark, print the comparison table
#   make test   - create .venv, install, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: bench test install lint speed example browser-check clean

bench: $(STAMP)
	$(BIN)/forecast-bench run

# 2 workers (pytest-xdist), each test module (and test class) on one worker: module fixtures
# are built once; the suite's subprocess and network tests use about one core each. Then the
# `numerics` tests again under a second numeric profile, numpy's SIMD groups found on this
# machine switched off (benchmarks/dev/numeric_profile.py), standing in for another CPU.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadscope
	@profile="$$(env -u NPY_DISABLE_CPU_FEATURES $(BIN)/python benchmarks/dev/numeric_profile.py)" || exit 1; \
	if [ -z "$$profile" ]; then \
		echo "second numeric profile skipped: numpy found no SIMD group above its baseline"; \
	else \
		echo "numerics tests again with NPY_DISABLE_CPU_FEATURES=\"$$profile\""; \
		NPY_DISABLE_CPU_FEATURES="$$profile" $(BIN)/python -m pytest -n 2 -m numerics -q; \
	fi

# ruff, then mypy on the package as installed (forecast_bench.models, .evaluation, .benchmarks;
# benchmarks/dev/typecheck.py): 10-15 s with a cold cache (.mypy_cache/), under 1 s warm
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python benchmarks/dev/typecheck.py

# The speed benchmarks (ARIMA, LSTM, the default benchmark end to end: jobs, cache, memory),
# 3 runs each, about 45 minutes on 2 CPUs: one combined report, results/speed/<date>.md
speed: $(STAMP)
	$(BIN)/python benchmarks/speed/all.py

# The committed example run: the default benchmark, written to results/example/ (replaced whole)
example: $(STAMP)
	rm -rf results/.example-tmp
	$(BIN)/forecast-bench run --out results/.example-tmp --quiet --no-cache
	rm -rf results/example
	mv results/.example-tmp/*/ results/example
	rmdir results/.example-tmp

# The reports in a real browser: results/example's and a fresh tiny collection run's (6 M3
# monthly series, naive and ses, in a temporary folder, removed after), opened in headless
# Chromium at 1280 and 390 px wide; fails when a page scrolls sideways. Needs Chromium
# (sudo apt-get install chromium); about 30 s.
browser-check: $(STAMP)
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/python -m forecast_bench.benchmarks run --data m3:monthly --sample 6 --models naive,ses \
		--out "$$tmp" --quiet --no-cache > /dev/null && \
	$(BIN)/python -m forecast_bench.benchmarks.dev.browser_check results/example "$$tmp"/*/

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask,examples]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info
