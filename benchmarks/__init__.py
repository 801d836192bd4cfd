"""Province-scale benchmarks (`make bench`): see BENCHMARKS.md."""
