"""What the api-server's proxy settings do, in the uvicorn and Airflow this project runs: the scheme the
load balancer forwards counts from the public subnets (where its nodes are) only, and then Airflow's
cookie is Secure; the tasks and Edge workers in the private subnets cannot claim it."""

from __future__ import annotations

import asyncio
import ipaddress
import warnings
from typing import Any

import pytest
from starlette.requests import Request
from uvicorn.config import Config

from farflow.deploy.environment import PROXY_HEADERS, AwsEnvironment
from farflow.deploy.subnet_plan import public_blocks, subnet_blocks
from farflow.spec import API_SERVER
from tests.unit.deploy.test_environment import ENVIRONMENT

# The api-server as the deploy renders it, in a VPC of 10.0.0.0/16.
VPC = "10.0.0.0/16"
RENDERED = ENVIRONMENT.for_component(API_SERVER)
FLAG = PROXY_HEADERS in AwsEnvironment.command(API_SERVER)


def scheme_seen(
    monkeypatch: pytest.MonkeyPatch, client: str, *, proxy_headers: bool = FLAG, wsgi: bool = False
) -> str:
    """The scheme of `request.base_url` (what Airflow's cookie code reads), or with `wsgi` of the WSGI
    environ (Flask's `request.scheme`, what FAB's login reads), for an HTTPS request the load balancer
    forwarded, arriving from `client`, with the api-server's rendered FORWARDED_ALLOW_IPS."""
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", RENDERED["FORWARDED_ALLOW_IPS"])
    seen: list[str] = []

    def flask_like(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["wsgi.url_scheme"])
        start_response("204 No Content", [])
        return []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if not wsgi:
            seen.append(Request(scope).base_url.scheme)
            return
        with warnings.catch_warnings():
            # The bridge FAB mounts its Flask app with; starlette deprecates it in favour of a2wsgi.
            warnings.simplefilter("ignore")
            from fastapi.middleware.wsgi import WSGIMiddleware
        await WSGIMiddleware(flask_like)(scope, receive, send)

    config = Config(app, proxy_headers=proxy_headers)
    config.load()
    scope = {
        "type": "http",
        "scheme": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"airflow.example.com"), (b"x-forwarded-proto", b"https")],
        "client": (client, 40000),
        "server": ("10.0.2.9", 8080),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        pass

    asyncio.run(config.loaded_app(scope, receive, send))
    return seen[0]


def test_the_load_balancers_scheme_counts_from_both_public_subnets(monkeypatch: pytest.MonkeyPatch) -> None:
    assert RENDERED["FORWARDED_ALLOW_IPS"] == ",".join(public_blocks(VPC))
    for block in public_blocks(VPC):
        assert scheme_seen(monkeypatch, _address_in(block)) == "https"


def test_a_task_or_edge_worker_in_a_private_subnet_cannot_claim_https(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """They reach the api-server too (Execution API, Edge API): their X-Forwarded-* headers count for
    nothing, so they cannot forge the scheme or the client address."""
    for block in subnet_blocks(VPC)["Private"]:
        assert scheme_seen(monkeypatch, _address_in(block)) == "http"


def _address_in(block: str) -> str:
    return str(ipaddress.ip_network(block)[17])


def test_nobody_outside_the_vpc_can_claim_https(monkeypatch: pytest.MonkeyPatch) -> None:
    assert scheme_seen(monkeypatch, "198.51.100.7") == "http"


def test_fabs_login_sees_the_forwarded_scheme_too(monkeypatch: pytest.MonkeyPatch) -> None:
    assert scheme_seen(monkeypatch, "10.0.1.17", wsgi=True) == "https"
    assert scheme_seen(monkeypatch, "198.51.100.7", wsgi=True) == "http"


def test_without_the_flag_the_header_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    assert scheme_seen(monkeypatch, "10.0.1.17", proxy_headers=False) == "http"


def test_airflow_api_server_takes_the_flag() -> None:
    from airflow.cli.cli_parser import get_parser

    arguments = get_parser().parse_args(list(AwsEnvironment.command(API_SERVER)))
    assert PROXY_HEADERS in AwsEnvironment.command(API_SERVER)
    assert arguments.proxy_headers is True
