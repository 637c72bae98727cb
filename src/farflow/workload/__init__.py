"""A task's workload out of the RunTask request: the store's object layout and the container's entry point.

`reference` (standard library only) is what the executor and the deploy share: the store URL, each
object's key, the container command. `entry` is `python -m farflow.workload`, run in the Airflow image.
"""
