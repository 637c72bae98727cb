"""The Airflow UI's user that farflow creates, with the Admin role: on AWS the migration task creates it
with the stack's ADMIN_PASSWORD secret; locally the simple auth manager has it with the project's
password. `farflow cost` and `farflow dags push` log in as it."""

ADMIN_USER = "admin"
