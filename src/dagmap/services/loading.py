"""Find DAGs in a folder for the CLI and services, with import errors reported, not raised, per file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dagmap.errors import DagFileError, DagNotFound


def load_folder(folder: Path) -> Any:
    from dagmap.dag_processing import load_dags_folder

    return load_dags_folder(folder)


def find_dag(dag_id: str, folder: Path) -> Any:
    """The DAG ``dag_id`` from ``folder``; a DagFileError if the file that should define it is broken."""
    result = load_folder(folder)
    dag = result.dags.get(dag_id)
    if dag is not None:
        return dag
    if result.import_errors:
        details = "\n".join(f"{error.filename}: {error.error}" for error in result.import_errors)
        raise DagFileError(f"not found in {folder}; these files failed to load:\n{details}", dag_id=dag_id)
    known = ", ".join(sorted(result.dags)) or "none"
    raise DagNotFound(f"not found in {folder} (found: {known})", dag_id=dag_id)
