"""Every command line in docs/cli.md names a real ``dagmap`` command and only options it has."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import typer

from dagmap.cli.main import app

DOC = Path(__file__).resolve().parents[3] / "docs" / "cli.md"


def _command_lines() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("dagmap ")]


def test_every_documented_command_line_parses() -> None:
    root = typer.main.get_command(app)
    lines = _command_lines()
    assert len(lines) > 30
    documented: set[str] = set()
    for line in lines:
        words = shlex.split(line)[1:]
        command: Any = root
        path = []
        while hasattr(command, "commands") and words and words[0] in command.commands:
            path.append(words[0])
            command = command.commands[words.pop(0)]
        assert not hasattr(command, "commands"), f"{line!r}: no such command"
        documented.add(" ".join(path))
        names = {name for param in command.params for name in (*param.opts, *param.secondary_opts)}
        for word in words:
            if word.startswith("-"):
                assert word.split("=")[0] in names, f"{line!r}: {' '.join(path)} has no option {word}"
        context = command.make_context(" ".join(path), shlex.split(line)[1 + len(path) :], resilient_parsing=False)
        assert context is not None
    for name in ("trigger", "backfill", "pause", "unpause", "state", "list-runs"):
        assert f"dags {name}" in documented
    for name in ("clear", "states-for-dag-run", "list", "state"):
        assert f"tasks {name}" in documented
    for name in ("set", "get", "list", "delete"):
        assert f"pools {name}" in documented
