"""Speed and memory benchmarks (`make speed`): medians and ratios, never test assertions."""
