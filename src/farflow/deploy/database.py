"""The metadata database: RDS PostgreSQL, encrypted, in isolated subnets, reachable only from Airflow.

Credentials are generated into a Secrets Manager secret and reach containers only as an ECS secret.
Backups, deletion protection, Multi-AZ and the port come from `[database]` in farflow.toml.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from farflow.deploy.config import DatabaseConfig
from farflow.deploy.nag import acknowledge, acknowledge_checkov
from farflow.deploy.secrets import NO_CUSTOMER_KEY

# PostgreSQL 17, the major version only (Airflow 3.3 supports 14 to 18). RDS retires minor versions: a
# template that names one (17.9) fails to create a new stack once it is gone, and names a version the
# running instance has left behind after an automatic minor upgrade. With "17" RDS creates the
# instance on its current default minor, and `auto_minor_version_upgrade` keeps it current in the
# maintenance window ("Upgrading a DB instance engine version", RDS User Guide); a major upgrade is a
# deliberate change of this constant. "If a major version is specified but a minor version is not,
# Amazon RDS defaults to a recent release of the major version you have specified" (RDS User Guide,
# "Supported PostgreSQL versions"); cfn-lint's W3691 data lists the bare "17" as deprecated because
# 17.1 is, so the instance tells cfn-lint to skip that one check (`LINT_SKIPS`).
ENGINE_VERSION = rds.PostgresEngineVersion.VER_17
LINT_SKIPS = ["W3691"]
DEFAULT_PORT = 5432


@dataclass(frozen=True)
class DatabaseProps:
    config: DatabaseConfig
    vpc: ec2.IVpc
    subnets: ec2.SubnetSelection
    # The one security group the database admits, on its port.
    clients: ec2.ISecurityGroup


class Database(Construct):
    """RDS PostgreSQL for Airflow's metadata; `secret` holds its generated credentials as JSON."""

    def __init__(self, scope: Construct, construct_id: str, props: DatabaseProps) -> None:
        super().__init__(scope, construct_id)
        config = props.config
        # Its ingress rules are its children: depend on it to depend on the rule admitting the clients.
        self.security_group = security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=props.vpc,
            description="Airflow metadata database",
            allow_all_outbound=False,
        )
        self.instance = rds.DatabaseInstance(
            self,
            "Instance",
            engine=rds.DatabaseInstanceEngine.postgres(version=ENGINE_VERSION),
            instance_type=ec2.InstanceType(config.instance_class),
            vpc=props.vpc,
            vpc_subnets=props.subnets,
            security_groups=[security_group],
            port=config.port,
            database_name=config.name,
            credentials=rds.Credentials.from_generated_secret(config.username),
            allocated_storage=config.allocated_storage_gb,
            storage_type=rds.StorageType.GP3,
            storage_encrypted=True,
            publicly_accessible=False,
            multi_az=config.multi_az,
            deletion_protection=config.deletion_protection,
            backup_retention=Duration.days(config.backup_retention_days),
            removal_policy=RemovalPolicy.SNAPSHOT,
            auto_minor_version_upgrade=True,
            cloudwatch_logs_exports=["postgresql"],
        )
        cfn_instance = cast(rds.CfnDBInstance, self.instance.node.default_child)
        cfn_instance.add_metadata("cfn-lint", {"config": {"ignore_checks": LINT_SKIPS}})
        self.instance.connections.allow_from(
            props.clients, ec2.Port.tcp(config.port), "Airflow processes that hold the credentials"
        )
        secret = self.instance.secret
        if secret is None:  # from_generated_secret always makes one; this narrows the type
            raise RuntimeError("RDS created no credentials secret")
        self.secret: secretsmanager.ISecret = secret
        acknowledge(
            self.instance.node.find_child("Secret"),
            "SMG4",
            "Airflow reads the database credentials when a process starts; a rotation would break the "
            "running ones until they restart. Rotate by hand with a redeploy.",
        )
        acknowledge_checkov(self.instance.node.find_child("Secret"), "CKV_AWS_149", NO_CUSTOMER_KEY)
        acknowledge_checkov(
            self.instance,
            "CKV_AWS_161",
            "Airflow connects with the generated password from Secrets Manager; IAM database "
            "authentication needs a new token every 15 minutes, which Airflow's SQLAlchemy engine does "
            "not fetch.",
        )
        acknowledge_checkov(
            self.instance,
            "CKV_AWS_118",
            "RDS's CloudWatch metrics (CPU, memory, storage, connections, every minute) and the exported "
            "PostgreSQL log cover a metadata database; Enhanced Monitoring would add a role for RDS and a "
            "log group outside the stack.",
        )
        self._acknowledge_choices(config)

    def _acknowledge_choices(self, config: DatabaseConfig) -> None:
        """Findings that follow from a farflow.toml choice, acknowledged only when that choice is made."""
        if not config.multi_az:
            single_az = "[database] multi_az = false in farflow.toml (one AZ costs half)."
            acknowledge(self.instance, "RDS3", single_az)
            acknowledge_checkov(self.instance, "CKV_AWS_157", single_az)
        if not config.deletion_protection:
            acknowledge(self.instance, "RDS10", "[database] deletion_protection = false in farflow.toml.")
        if config.port == DEFAULT_PORT:
            acknowledge(
                self.instance,
                "RDS11",
                "The default port is the [database] port in farflow.toml; only the Airflow components' "
                "security group may connect, so a different port adds no protection.",
            )
