"""Every Python block of docs/providers.md runs, in order, against the moto server and DuckDB."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from dagmap.connections import Connection
from dagmap.providers.amazon.hooks.s3 import S3Hook

DOC = Path(__file__).resolve().parents[3] / "docs" / "providers.md"


def test_providers_doc_examples_run(
    moto_endpoint: str,
    define_connection: Callable[[Connection], str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    define_connection(
        Connection("aws_default", "aws", login="doc-key", password="doc-secret", extra={"endpoint_url": moto_endpoint})
    )
    monkeypatch.setenv("DAGMAP_CONN_LOCAL_DUCK", "set by the document")  # restored after the test
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) >= 5
    namespace: dict[str, object] = {"__name__": "docs_providers"}
    try:
        for number, block in enumerate(blocks, start=1):
            exec(compile(block, f"{DOC.name} block {number}", "exec"), namespace)
    finally:
        S3Hook().delete_bucket("reports", force_delete=True)
