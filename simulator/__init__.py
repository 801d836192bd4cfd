"""Portal simulator: the provincial one-stop API and the national portal's integration
surface, served over HTTP from one deterministic synthetic world (sources.md C)."""
