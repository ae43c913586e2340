"""Real servers for the provider hooks: a moto S3 server (a subprocess per session) and a PostgreSQL schema.

Connections are given to the hooks the way users give them: ``DAGMAP_CONN_<ID>`` environment variables.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from dagmap.connections import Connection, EnvironmentSecretsBackend, set_secrets_backends
from dagmap.connections.masking import get_masker

POSTGRES_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of a moto server that lives for the test session."""
    executable = Path(sys.executable).parent / "moto_server"
    port = _free_port()
    log_path = tmp_path_factory.mktemp("moto") / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(executable), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(url + "/moto-api/"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto_server did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(autouse=True)
def _environment_secrets_only() -> Iterator[None]:
    """Lookups read only the environment (no metadata database needed) and start with no masks."""
    set_secrets_backends([EnvironmentSecretsBackend()])
    yield
    set_secrets_backends(None)
    get_masker().clear()


DefineConnection = Callable[[Connection], str]


@pytest.fixture
def define_connection(monkeypatch: pytest.MonkeyPatch) -> DefineConnection:
    """Expose a connection as ``DAGMAP_CONN_<ID>`` (URI form) for this test; returns its id."""

    def define(connection: Connection) -> str:
        assert connection.conn_id
        monkeypatch.setenv(f"DAGMAP_CONN_{connection.conn_id.upper()}", connection.get_uri())
        return connection.conn_id

    return define


@pytest.fixture
def aws_conn_id(define_connection: DefineConnection, moto_endpoint: str) -> str:
    conn_id = f"aws_{uuid.uuid4().hex[:8]}"
    return define_connection(
        Connection(
            conn_id,
            "aws",
            login="testing-key-id",
            password="testing-secret-key",
            extra={"endpoint_url": moto_endpoint, "region_name": "us-east-1"},
        ),
    )


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A schema of its own in database ``test``, dropped with everything in it after the session."""
    schema = f"dagmap_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
