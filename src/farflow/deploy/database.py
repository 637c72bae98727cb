"""The metadata database: RDS PostgreSQL, encrypted, in isolated subnets, reachable only from Airflow.

Credentials are generated into a Secrets Manager secret and reach containers only as an ECS secret.
Backups, deletion protection, Multi-AZ and the port come from `[database]` in farflow.toml.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from farflow.deploy.config import DatabaseConfig
from farflow.deploy.nag import acknowledge, acknowledge_checkov
from farflow.deploy.secrets import NO_CUSTOMER_KEY

# PostgreSQL 17 (Airflow 3 supports it); minor upgrades are applied automatically in maintenance windows.
ENGINE_VERSION = rds.PostgresEngineVersion.VER_17_9
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
        security_group = ec2.SecurityGroup(
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
