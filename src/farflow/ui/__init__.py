"""farflow inside the Airflow UI: each ECS-run task's phases, start latency and cost, per run and per DAG.

An Airflow 3 plugin (plugin.py) served by the api-server: a FastAPI app under /farflow (app.py) and two
external views that the UI embeds as tabs of a DAG run and of a DAG. Its data are the executor's task
events, read back by farflow.cost_report as `farflow cost` reads them.
"""
