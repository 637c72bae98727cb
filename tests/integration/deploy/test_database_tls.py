"""TLS to the metadata database is verified, for Airflow's sync and async engines alike.

The embedded PostgreSQL, behind PostgreSQL's TLS negotiation on loopback with a certificate for
`localhost` from a CA made here (RDS's role), admits only TLS connections. A subprocess configured exactly as the deploy
configures a component (its `AIRFLOW__DATABASE__*` settings, the RDS secret's JSON, the CA bundle)
lets Airflow build both engines, and each runs a query. With the right CA both connect over TLS; with
another CA, or a host name the certificate does not carry, neither does: the server is verified, not
merely encrypted.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy.engine import make_url

from farflow.database_tls import CA_BUNDLE_VARIABLE
from farflow.database_url import SECRET_VARIABLE
from farflow.deploy.environment import AwsEnvironment
from farflow.local.embedded_database import DATABASE, ROLE, EmbeddedPostgres
from farflow.spec import SCHEDULER, Names

KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


@dataclass(frozen=True)
class Authority:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    def write(self, path: Path) -> Path:
        path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        return path


def common_name(name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])


def _builder(
    subject: str, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(common_name(subject))
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )


def authority(name: str) -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        _builder(name, common_name(name), key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(KEY_USAGE, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Authority(key, certificate)


def server_certificate(ca: Authority, host: str) -> tuple[bytes, bytes]:
    """PEM certificate and key for `host`, signed by `ca`."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        _builder(host, ca.certificate.subject, key.public_key())
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


SSL_REQUEST = 80877103
GSS_REQUEST = 80877104


def _exactly(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _pump(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            target.sendall(chunk)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


class TlsFront:
    """PostgreSQL's TLS on loopback, in front of the embedded server's Unix socket (its PostgreSQL is
    built without OpenSSL): answers a client's SSLRequest with 'S', completes the TLS handshake with
    the given certificate, then relays the protocol. A client that does not ask for TLS is dropped."""

    def __init__(self, backend: str, context: ssl.SSLContext) -> None:
        self.backend = backend
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.handshakes = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self.listener.accept()
                threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError, ConnectionError, ssl.SSLError), connection:
            _, code = struct.unpack("!ii", _exactly(connection, 8))
            if code == GSS_REQUEST:
                connection.sendall(b"N")
                _, code = struct.unpack("!ii", _exactly(connection, 8))
            if code != SSL_REQUEST:
                return
            connection.sendall(b"S")
            secured = self.context.wrap_socket(connection, server_side=True)
            self.handshakes += 1
            with secured, socket.socket(socket.AF_UNIX) as backend:
                backend.connect(self.backend)
                relay = threading.Thread(target=_pump, args=(backend, secured), daemon=True)
                relay.start()
                _pump(secured, backend)
                relay.join(timeout=30)

    def close(self) -> None:
        self.listener.close()


@dataclass(frozen=True)
class TlsServer:
    port: int
    ca: Path
    front: TlsFront


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    """The embedded PostgreSQL behind TLS on loopback, with a certificate for `localhost` from a test CA."""
    root = tmp_path_factory.mktemp("tls")
    server = EmbeddedPostgres(root / ".farflow" / "postgres", password=None)  # trust over its socket
    url = make_url(server.start())
    ca = authority("test RDS CA")
    certificate, key = server_certificate(ca, "localhost")
    (root / "server.pem").write_bytes(certificate + key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(root / "server.pem")
    [backend] = [
        path for path in Path(str(url.query["host"])).glob(".s.PGSQL.*") if not path.name.endswith(".lock")
    ]
    front = TlsFront(str(backend), context)
    try:
        yield TlsServer(front.port, ca.write(root / "ca.pem"), front)
    finally:
        front.close()
        server.stop()


# Airflow builds both engines from the deploy's settings; each reports whether its session is over TLS.
PROBE = """
import asyncio
from sqlalchemy import text
from airflow import settings

QUERY = text("SELECT current_database()")

def sync():
    with settings.engine.connect() as connection:
        return connection.execute(QUERY).scalar()

async def run_async():
    async with settings.async_engine.connect() as connection:
        return (await connection.execute(QUERY)).scalar()

for name, probe in (("sync", sync), ("async", lambda: asyncio.run(run_async()))):
    try:
        print(name, "connected to", probe())
    except Exception as error:
        print(name, "refused", type(error).__name__, str(error).splitlines()[0][:200])
"""


def airflow_connects(server: TlsServer, host: str, ca: Path, home: Path) -> dict[str, str]:
    """What each of Airflow's engines did, configured as the deploy configures the scheduler."""
    from tests.unit.deploy.test_environment import VALUES

    deployed = AwsEnvironment(Names(), VALUES)
    settings = {
        key: value.replace("python -m", f"{sys.executable} -m")
        for key, value in deployed.aws_only_settings(SCHEDULER).items()
        if key.startswith("AIRFLOW__DATABASE__")
    }
    assert len(settings) == 3  # the sync URL command, the async URL command, the async connect args
    secret = {"username": ROLE, "password": "unused", "host": host, "port": server.port, "dbname": DATABASE}
    environ = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    environ.update(
        {
            **settings,
            "AIRFLOW_HOME": str(home),
            SECRET_VARIABLE: json.dumps(secret),
            CA_BUNDLE_VARIABLE: str(ca),
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [
        line.split(" ", 1) for line in result.stdout.splitlines() if line.startswith(("sync ", "async "))
    ]
    return dict(lines)


def test_both_engines_connect_over_tls_when_the_certificate_verifies(
    tls_server: TlsServer, tmp_path: Path
) -> None:
    handshakes = tls_server.front.handshakes
    outcome = airflow_connects(tls_server, "localhost", tls_server.ca, tmp_path)
    assert outcome == {"sync": f"connected to {DATABASE}", "async": f"connected to {DATABASE}"}
    assert tls_server.front.handshakes >= handshakes + 2  # only TLS sessions reach the server


def test_neither_engine_accepts_a_certificate_from_another_authority(
    tls_server: TlsServer, tmp_path: Path
) -> None:
    other = authority("someone else").write(tmp_path / "other.pem")
    outcome = airflow_connects(tls_server, "localhost", other, tmp_path)
    assert outcome["sync"].startswith("refused"), outcome
    assert "certificate verify failed" in outcome["sync"]
    assert outcome["async"].startswith("refused"), outcome
    assert "CERTIFICATE_VERIFY_FAILED" in outcome["async"] or "certificate verify failed" in outcome["async"]


def test_neither_engine_accepts_a_certificate_for_another_host(tls_server: TlsServer, tmp_path: Path) -> None:
    outcome = airflow_connects(tls_server, "127.0.0.1", tls_server.ca, tmp_path)
    assert outcome["sync"].startswith("refused"), outcome
    assert 'does not match host name "127.0.0.1"' in outcome["sync"]
    assert outcome["async"].startswith("refused"), outcome
    assert "not valid for '127.0.0.1'" in outcome["async"]
