"""Every code excerpt of docs/mapping.md is still, word for word, in the corpus file it names (so it is tested)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
EXCERPT = re.compile(r"<!-- file: (?P<file>[^ ]+) -->\n```python\n(?P<code>.*?)```", re.DOTALL)


def test_docs_excerpts_are_in_their_files() -> None:
    text = (ROOT / "docs" / "mapping.md").read_text()
    excerpts = list(EXCERPT.finditer(text))
    assert len(excerpts) >= 10
    for match in excerpts:
        source = (ROOT / match["file"]).read_text()
        assert match["code"] in source, f"docs/mapping.md excerpt no longer in {match['file']}:\n{match['code']}"


def test_every_corpus_file_mentioned_exists() -> None:
    text = (ROOT / "docs" / "mapping.md").read_text()
    for name in set(re.findall(r"tests/dags/[\w]+\.py", text)):
        assert (ROOT / name).is_file(), name
