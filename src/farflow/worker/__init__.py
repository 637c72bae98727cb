"""The Edge worker's container entry: `python -m farflow.worker` runs `airflow edge worker` so that a
stopping ECS task drains its jobs instead of killing them, and a busy worker is kept out of scale-in.

Only what runs inside the worker container lives here (no Airflow import: the entry stays small next to
the worker it runs); the deploy renders its command and stop timeout from `farflow.spec`.
"""
