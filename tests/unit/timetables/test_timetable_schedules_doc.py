"""Every Python block of docs/schedules.md runs, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "schedules.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_schedules_doc_examples_run() -> None:
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) >= 10
    namespace: dict[str, object] = {"__name__": "docs_schedules"}
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"{DOC.name} block {number}", "exec"), namespace)
