"""``FileSensor`` (``airflow.sensors.filesystem``): wait for a file, or a directory with files, to exist."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from glob import glob
from typing import Any

from dagmap.connections.connection import Connection
from dagmap.errors import ConnectionNotFound
from dagmap.sensors.base import BaseSensorOperator

log = logging.getLogger("dagmap.task")

DEFAULT_FS_CONN_ID = "fs_default"


def base_path(fs_conn_id: str) -> str:
    """The ``path`` extra of the filesystem connection; ``""`` for a missing ``fs_default`` (as Airflow's
    default connection)."""
    try:
        connection = Connection.get(fs_conn_id)
    except ConnectionNotFound:
        if fs_conn_id == DEFAULT_FS_CONN_ID:
            return ""
        raise
    return str(connection.extra_dejson.get("path", ""))


def path_has_files(pattern: str, recursive: bool = False) -> bool:
    """Whether a file matches the glob ``pattern``, or a matching directory holds a file (at any depth)."""
    for path in glob(pattern, recursive=recursive):
        if os.path.isfile(path):
            log.info("Found File %s", path)
            return True
        for _, _, files in os.walk(path):
            if files:
                return True
    return False


class FileSensor(BaseSensorOperator):
    """Done when ``filepath`` (a glob, joined to the ``path`` extra of ``fs_conn_id``) matches a file or a
    directory that is not empty."""

    template_fields: Sequence[str] = ("filepath",)
    ui_color = "#91818a"

    def __init__(
        self,
        *,
        filepath: str,
        fs_conn_id: str = DEFAULT_FS_CONN_ID,
        recursive: bool = False,
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filepath = filepath
        self.fs_conn_id = fs_conn_id
        self.recursive = recursive
        self.deferrable = deferrable

    def poke(self, context: dict[str, Any]) -> bool:
        full_path = os.path.join(base_path(self.fs_conn_id), self.filepath)
        log.info("Poking for file %s", full_path)
        return path_has_files(full_path, self.recursive)
