"""farflow's benchmarks. Run them as scripts (`python benchmarks/<name>.py`), not as tests."""
