"""Importing user DAG files: the only server-side code that runs them (the scheduler calls it in a subprocess)."""

from dagmap.dag_processing.loader import (
    FileLoadResult,
    FolderLoadResult,
    ImportErrorInfo,
    list_dag_files,
    load_dag_file,
    load_dags_folder,
)

__all__ = [
    "FileLoadResult",
    "FolderLoadResult",
    "ImportErrorInfo",
    "list_dag_files",
    "load_dag_file",
    "load_dags_folder",
]
