"""The secrets Airflow's processes share, generated in Secrets Manager, and how each reaches a container.

Every secret reaches a container only as an ECS secret (the execution role reads it at start), and each
component gets exactly `component.secrets`. The database arrives as the RDS secret's JSON in
FARFLOW_DATABASE_SECRET, from which `farflow.database_url` composes Airflow's URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CustomResource, Duration
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, IDependable

from farflow.database_url import SECRET_VARIABLE
from farflow.deploy.functions import handler_function, provider
from farflow.deploy.nag import acknowledge, acknowledge_checkov
from farflow.spec import Component, Secret
from farflow.spec.ui_user import ADMIN_USER

NO_ROTATION = (
    "Airflow reads this secret once, when a process starts; rotating it would break running processes "
    "and (Fernet key) make stored connections unreadable. Replace it by hand and redeploy."
)
NO_CUSTOMER_KEY = (
    "Encrypted with Secrets Manager's AWS managed key; reading it takes secretsmanager:GetSecretValue on "
    "this secret, which this stack grants only to the roles that need it. A customer managed key would "
    "add a key policy to keep in step with those grants, and $1 a month."
)
_DESCRIPTIONS = {
    Secret.FERNET_KEY: "Airflow [core] fernet_key: encrypts connections and variables in the database",
    Secret.JWT_SECRET: "Airflow [api_auth] jwt_secret: signs the tokens tasks and Edge workers use",
    Secret.API_SECRET_KEY: "Airflow [api] secret_key: signs log-serving requests",
    Secret.ADMIN_PASSWORD: f"Password of the Airflow UI's '{ADMIN_USER}' user (created by the migration)",
}


def secret_variable(secret: Secret) -> str:
    """The environment variable a secret arrives in on AWS."""
    return SECRET_VARIABLE if secret is Secret.DATABASE_URL else secret.env_var


@dataclass(frozen=True)
class AirflowSecretsProps:
    database_secret: secretsmanager.ISecret
    # Where the Fernet key function logs.
    function_logs: logs.ILogGroup


class AirflowSecrets(Construct):
    """Generated secrets for the Fernet key, JWT secret, API secret key and admin password."""

    def __init__(self, scope: Construct, construct_id: str, props: AirflowSecretsProps) -> None:
        super().__init__(scope, construct_id)
        generated = {secret: self._generated(secret) for secret in _DESCRIPTIONS}
        self.by_secret: dict[Secret, secretsmanager.ISecret] = {
            **generated,
            Secret.DATABASE_URL: props.database_secret,
        }
        self.admin_password = generated[Secret.ADMIN_PASSWORD]
        fernet = generated[Secret.FERNET_KEY]
        self.ready: IDependable = _FernetKey(self, "FernetKeyWriter", fernet, props.function_logs).resource

    def _generated(self, secret: Secret) -> secretsmanager.Secret:
        generated = secretsmanager.Secret(
            self,
            secret.name.title().replace("_", ""),
            description=_DESCRIPTIONS[secret],
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64 if secret is not Secret.ADMIN_PASSWORD else 32, exclude_punctuation=True
            ),
        )
        acknowledge(generated, "SMG4", NO_ROTATION)
        acknowledge_checkov(generated, "CKV_AWS_149", NO_CUSTOMER_KEY)
        return generated

    def for_component(self, component: Component) -> dict[str, ecs.Secret]:
        """Exactly the component's secrets, as ECS secrets under the variables they arrive in."""
        return {
            secret_variable(secret): ecs.Secret.from_secrets_manager(self.by_secret[secret])
            for secret in sorted(component.secrets, key=lambda secret: secret.name)
        }


class _FernetKey(Construct):
    """Custom resource that writes a real Fernet key into the secret (Secrets Manager cannot generate one)."""

    def __init__(
        self, scope: Construct, construct_id: str, secret: secretsmanager.ISecret, log_group: logs.ILogGroup
    ) -> None:
        super().__init__(scope, construct_id)
        function = handler_function(self, "Function", "fernet_key.on_event", log_group, Duration.seconds(30))
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
                resources=[secret.secret_arn],
            )
        )
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider(self, "Provider", log_group, function).service_token,
            resource_type="Custom::FarflowFernetKey",
            properties={"SecretId": secret.secret_arn},
        )
