"""Load DAG files: import each as a uniquely named module and collect its DAGs; errors become records.

A broken file (syntax error, failing import, invalid DAG) yields an :class:`ImportErrorInfo` and never stops
the other files. No subprocess here: the caller decides where this runs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from dagmap.dag_processing.ignore import iter_dag_files
from dagmap.errors import DagmapError
from dagmap.sdk import active
from dagmap.sdk.dag import DAG

_MODULE_PREFIX = "dagmap_dagfile_"
_PACKAGE_DIR = str(Path(__file__).resolve().parents[1]) + os.sep


@dataclass(frozen=True)
class ImportErrorInfo:
    filename: str
    error: str


@dataclass
class FileLoadResult:
    dags: list[DAG] = field(default_factory=list)
    import_errors: list[ImportErrorInfo] = field(default_factory=list)


@dataclass
class FolderLoadResult:
    dags: dict[str, DAG] = field(default_factory=dict)
    import_errors: list[ImportErrorInfo] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    """Every file that was parsed (with or without DAGs and errors)."""


def module_name_for(path: Path) -> str:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    stem = "".join(c if c.isalnum() else "_" for c in path.stem)
    return f"{_MODULE_PREFIX}{digest}_{stem}"


def _format_exception(error: BaseException, path: Path) -> str:
    """The error with the traceback frames of user code (dagmap's own frames and importlib's are dropped)."""
    if isinstance(error, SyntaxError) and error.filename == str(path):
        text = (error.text or "").rstrip()
        pointer = f"\n    {text}" if text else ""
        return f"{path}, line {error.lineno}: SyntaxError: {error.msg}{pointer}"
    if isinstance(error, DagmapError) and not error.filename:
        error.filename = str(path)
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not frame.filename.startswith(_PACKAGE_DIR) and not frame.filename.startswith("<frozen importlib")
    ]
    location = f"{frames[-1].filename}, line {frames[-1].lineno}: " if frames else f"{path}: "
    trace = "".join(traceback.format_list(frames))
    detail = str(error) if isinstance(error, DagmapError) else "".join(traceback.format_exception_only(error)).strip()
    if isinstance(error, DagmapError):
        detail = f"{type(error).__name__}: {detail}"
    return f"{location}{detail}\nTraceback (most recent call last):\n{trace}".rstrip()


def _import(path: Path) -> ModuleType:
    name = module_name_for(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # so that `import include.helpers` next to the DAG file works
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def load_dag_file(path: str | Path) -> FileLoadResult:
    """The DAGs defined by one file: module-level DAG objects and DAGs whose ``with`` block (or ``@dag``
    call) ran at import time. Import failures and DAG validation errors become import-error records."""
    path = Path(path).resolve()
    result = FileLoadResult()
    active.take_autoregistered()
    try:
        module = _import(path)
    except (Exception, SystemExit) as error:
        active.reset()
        result.import_errors.append(ImportErrorInfo(str(path), _format_exception(error, path)))
        return result
    candidates: list[DAG] = []
    for dag in [*active.take_autoregistered(), *(v for v in vars(module).values() if isinstance(v, DAG))]:
        if not any(dag is seen for seen in candidates):
            candidates.append(dag)
    for dag in candidates:
        dag.fileloc = str(path)  # as Airflow: the file that defines it, even if a helper built it
        try:
            dag.validate()
        except DagmapError as error:
            result.import_errors.append(ImportErrorInfo(str(path), _format_exception(error, path)))
            continue
        result.dags.append(dag)
    return result


def list_dag_files(folder: str | Path, *, safe_mode: bool = True) -> list[Path]:
    return list(iter_dag_files(Path(folder), safe_mode=safe_mode))


def load_dags_folder(folder: str | Path, *, safe_mode: bool = True) -> FolderLoadResult:
    """Every DAG under ``folder`` by dag id. A dag id defined again in a later file is an import error there."""
    result = FolderLoadResult()
    owners: dict[str, str] = {}
    for path in iter_dag_files(Path(folder), safe_mode=safe_mode):
        loaded = load_dag_file(path)
        result.files.append(str(path))
        result.import_errors.extend(loaded.import_errors)
        for dag in loaded.dags:
            if dag.dag_id in owners and owners[dag.dag_id] != str(path):
                message = f"{path}: DAG id {dag.dag_id!r} is already defined in {owners[dag.dag_id]}"
                result.import_errors.append(ImportErrorInfo(str(path), message))
                continue
            owners[dag.dag_id] = str(path)
            result.dags[dag.dag_id] = dag
    return result
