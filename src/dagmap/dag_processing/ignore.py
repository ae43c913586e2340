"""Which files of a DAGs folder to parse: ``*.py`` files mentioning "dag", minus ``.dagmapignore`` patterns.

Each ``.dagmapignore`` line is a glob (``#`` starts a comment) matched against paths relative to the folder
holding that file, and against every path component; it applies to that folder and everything below it.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from pathlib import Path

IGNORE_FILE = ".dagmapignore"
_SKIPPED_DIRECTORIES = frozenset({"__pycache__", ".git", ".venv", "node_modules"})


def _read_patterns(folder: Path) -> list[str]:
    path = folder / IGNORE_FILE
    if not path.is_file():
        return []
    patterns = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            patterns.append(line.rstrip("/"))
    return patterns


def _ignored(relative: str, patterns: list[tuple[Path, str]], path: Path) -> bool:
    for base, pattern in patterns:
        try:
            local = path.relative_to(base).as_posix()
        except ValueError:
            continue
        if fnmatch.fnmatch(local, pattern) or any(fnmatch.fnmatch(part, pattern) for part in local.split("/")):
            return True
    return False


def might_contain_dag(path: Path) -> bool:
    """Airflow's "safe mode": only files whose text mentions ``dag`` (any case) are imported."""
    try:
        with path.open("rb") as handle:
            return b"dag" in handle.read().lower()
    except OSError:
        return False


def iter_dag_files(folder: Path, *, safe_mode: bool = True) -> Iterator[Path]:
    """The Python files to parse under ``folder``, sorted, honouring ``.dagmapignore`` files."""
    folder = folder.resolve()
    if folder.is_file():
        yield folder
        return
    patterns: list[tuple[Path, str]] = []
    for root, directories, files in os.walk(folder):
        root_path = Path(root)
        patterns = [p for p in patterns if root_path.is_relative_to(p[0])]
        patterns += [(root_path, pattern) for pattern in _read_patterns(root_path)]
        relative = root_path.relative_to(folder).as_posix()
        directories[:] = sorted(
            d for d in directories
            if d not in _SKIPPED_DIRECTORIES and not d.startswith(".")
            and not _ignored(relative, patterns, root_path / d)
        )  # fmt: skip
        for name in sorted(files):
            path = root_path / name
            if not name.endswith(".py") or _ignored(relative, patterns, path):
                continue
            if not safe_mode or might_contain_dag(path):
                yield path
