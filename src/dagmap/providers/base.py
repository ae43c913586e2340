"""``BaseHook``: what every hook shares, finding its connection through the secrets chain."""

from __future__ import annotations

import logging

from dagmap.connections.connection import Connection


class BaseHook:
    """Base of the hooks; subclasses name their connection argument in ``conn_name_attr``."""

    conn_name_attr: str = "conn_id"
    default_conn_name: str = ""
    conn_type: str = ""
    hook_name: str = ""

    def __init__(self) -> None:
        self.log = logging.getLogger(f"{type(self).__module__}.{type(self).__name__}")

    @classmethod
    def get_connection(cls, conn_id: str) -> Connection:
        """The connection named ``conn_id``; raises ``ConnectionNotFound``."""
        return Connection.get(conn_id)
