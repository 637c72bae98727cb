"""`farflow dags push`: the project's dags/ into the stack's DAG bundle, then what Airflow made of it."""
