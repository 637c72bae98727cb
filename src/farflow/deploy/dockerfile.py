"""The project's Airflow Dockerfile: checked before synth writes anything, without the CDK libraries.

Every Airflow process and task on AWS runs the image it builds, so a synth without it would stage half a
cloud assembly and then fail; `farflow synth` and the CDK app check it first and say how to get one.
"""

from __future__ import annotations

from pathlib import Path

from farflow.database_tls import CA_BUNDLE, CA_BUNDLE_URL

# The Airflow image's Dockerfile at the project's root (`farflow init` writes it; see the template).
AIRFLOW_DOCKERFILE = "Dockerfile"


class MissingDockerfileError(FileNotFoundError):
    """The project has no Airflow Dockerfile; the message says how to get one."""


class OutdatedDockerfileError(MissingDockerfileError):
    """The Airflow Dockerfile lacks what the deployed containers need; the message names the line."""


def dockerfile_problem(text: str) -> str | None:
    """None when the Airflow Dockerfile gives the image what the deploy relies on; else the fix.

    The database is reached with verify-full against the RDS CA bundle at `CA_BUNDLE`: an image
    without it would start no Airflow process on AWS, so the deploy refuses it here, by name.
    """
    if CA_BUNDLE in text:
        return None
    return (
        f"it does not put the RDS CA bundle at {CA_BUNDLE}, which Airflow needs to verify the database's "
        f"certificate. Add this line (as a new `farflow init` project has it): "
        f"ADD --chmod=0644 {CA_BUNDLE_URL} {CA_BUNDLE}"
    )


def check_dockerfile(project: Path) -> None:
    """Raise MissingDockerfileError (or OutdatedDockerfileError) naming the file and the fix."""
    path = project / AIRFLOW_DOCKERFILE
    if not path.is_file():
        raise MissingDockerfileError(
            f"{path} is missing: it builds the Airflow image that every Airflow process and task runs on "
            f"AWS. `farflow init {project} --config-only` adds it (with .dockerignore and requirements.txt) "
            "and keeps your other files."
        )
    if problem := dockerfile_problem(path.read_text(encoding="utf-8", errors="replace")):
        raise OutdatedDockerfileError(f"{path}: {problem}")
