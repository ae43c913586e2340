"""Fixtures for the object-store contract: a real moto S3 server in a subprocess, and both stores."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dagmap.xcom.object_store import LocalDirectoryObjectStore, ObjectStore, S3ObjectStore

S3_CREDENTIALS: dict[str, Any] = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "region_name": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/")  # any HTTP answer means the server is up
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of a moto server running for the whole test session."""
    executable = Path(sys.executable).parent / "moto_server"
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(executable), "-H", "127.0.0.1", "-p", str(port)], stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while not _answers(port):
            if process.poll() is not None:
                pytest.fail(f"moto_server exited with {process.returncode}: {log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"moto_server did not answer within 60 s: {log.read_text()[-2000:]}")
            time.sleep(0.05)  # polling for readiness, bounded by the deadline above
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def s3_bucket(moto_endpoint: str) -> Iterator[str]:
    """A fresh, uniquely named bucket on the moto server."""
    import boto3

    name = f"dagmap-xcom-{uuid.uuid4().hex[:16]}"
    client = boto3.client("s3", endpoint_url=moto_endpoint, **S3_CREDENTIALS)
    client.create_bucket(Bucket=name)
    yield name
    client.close()


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    """Each contract test runs once per object store implementation."""
    if request.param == "local":
        yield LocalDirectoryObjectStore(tmp_path / "xcom")
        return
    bucket = request.getfixturevalue("s3_bucket")
    endpoint = request.getfixturevalue("moto_endpoint")
    s3 = S3ObjectStore(bucket, "some/prefix", endpoint_url=endpoint, **S3_CREDENTIALS)
    yield s3
    s3.close()


@pytest.fixture
def make_s3_store(s3_bucket: str, moto_endpoint: str) -> Iterator[Callable[[str], S3ObjectStore]]:
    """Builds S3 stores on the test's bucket with a given prefix; closes them afterwards."""
    made: list[S3ObjectStore] = []

    def make(prefix: str) -> S3ObjectStore:
        made.append(S3ObjectStore(s3_bucket, prefix, endpoint_url=moto_endpoint, **S3_CREDENTIALS))
        return made[-1]

    yield make
    for s3 in made:
        s3.close()
