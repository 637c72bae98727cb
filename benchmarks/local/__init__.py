"""The local stack's interactive speed: hops, first task, demo, 100 parallel tasks (benchmarks/local_speed.py)."""
