"""`farflow deploy`: a CDK app that stands up Airflow 3 on Fargate from a project's `farflow.toml`."""

from farflow.deploy.node import use_bundled_node

# Before any module of this package imports aws_cdk: synth then needs Python alone.
use_bundled_node()
