"""What runs inside a DAG file processor's child process: import one file, serialize its DAGs, send the result.

The child is disposable: user code may hang, exit or crash it; the parent only waits for one message.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from dagmap.dag_processing.loader import load_dag_file
from dagmap.model.from_sdk import dag_to_spec
from dagmap.model.spec import dag_spec_to_json


@dataclass
class ParsedFile:
    """One file's DAGs as spec JSON, and its import errors (file name -> text)."""

    filename: str
    specs: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def bootstrap_bytes() -> bytes:
    """The parent's environment, import path and working directory, for children of an older fork server."""
    return pickle.dumps((dict(os.environ), list(sys.path), os.getcwd()))


def parse_file(filename: str) -> ParsedFile:
    """Import ``filename`` and serialize every DAG it defines; failures become import errors."""
    parsed = ParsedFile(filename)
    result = load_dag_file(filename)
    for error in result.import_errors:
        previous = parsed.errors.get(error.filename)
        parsed.errors[error.filename] = f"{previous}\n\n{error.error}" if previous else error.error
    for dag in result.dags:
        try:
            parsed.specs.append(dag_spec_to_json(dag_to_spec(dag)))
        except Exception as error:  # e.g. a cycle found while ordering the tasks
            text = "".join(traceback.format_exception_only(error)).strip()
            parsed.errors[filename] = f"{filename}: DAG {dag.dag_id!r} cannot be serialized: {text}"
    return parsed


def child_main(filename: str, conn: Connection, bootstrap: bytes) -> None:
    """Entry point of the child process."""
    environ, path, cwd = pickle.loads(bootstrap)
    os.environ.clear()
    os.environ.update(environ)
    sys.path[:] = path
    os.chdir(cwd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the scheduler, which stops its children
    from dagmap.config import reset_settings

    reset_settings()
    try:
        parsed = parse_file(filename)
    except BaseException as error:  # nothing the file does may escape without a report
        text = "".join(traceback.format_exception(error, limit=20))
        parsed = ParsedFile(filename, errors={filename: f"{filename}: the DAG file processor failed:\n{text}"})
    try:
        conn.send(parsed)
    finally:
        conn.close()
