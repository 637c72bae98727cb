"""The async engine's TLS: a context that requires an RDS-signed certificate naming the host."""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi
import pytest

from farflow import database_tls
from farflow.database_tls import (
    ASYNC_CONNECT_ARGS_PATH,
    CA_BUNDLE,
    CA_BUNDLE_URL,
    CA_BUNDLE_VARIABLE,
    MissingCaBundleError,
    async_connect_args,
    ca_bundle_path,
)


def test_the_context_verifies_the_certificate_and_the_host_name() -> None:
    context = async_connect_args(certifi.where())["ssl"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.get_ca_certs()  # the bundle's authorities, and only what it holds


def test_a_missing_bundle_is_one_clear_error_naming_the_dockerfile_line(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere.pem")
    with pytest.raises(MissingCaBundleError) as caught:
        async_connect_args(missing)
    message = str(caught.value)
    assert "\n" not in message
    assert f"ADD --chmod=0644 {CA_BUNDLE_URL} {missing}" in message


def test_airflow_imports_the_arguments_by_path_and_they_are_built_then(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Importing the module needs no bundle (tests, the CLI); reading the attribute does."""
    from airflow._shared.module_loading import import_string

    monkeypatch.setenv(CA_BUNDLE_VARIABLE, certifi.where())
    arguments = import_string(ASYNC_CONNECT_ARGS_PATH)
    assert set(arguments) == {"ssl"}
    monkeypatch.setenv(CA_BUNDLE_VARIABLE, "/nonexistent/bundle.pem")
    with pytest.raises(MissingCaBundleError):
        import_string(ASYNC_CONNECT_ARGS_PATH)
    with pytest.raises(AttributeError):
        database_tls.NOT_THERE  # noqa: B018


def test_the_bundle_is_the_images_unless_the_environment_names_another() -> None:
    assert ca_bundle_path({}) == CA_BUNDLE
    assert ca_bundle_path({CA_BUNDLE_VARIABLE: "/x.pem"}) == "/x.pem"
