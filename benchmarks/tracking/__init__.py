"""The tracking-at-scale benchmark: polling vs task state change events, 10,000 running tasks."""
