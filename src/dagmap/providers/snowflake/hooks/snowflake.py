"""``SnowflakeHook``: :class:`SqlHook`'s run / get_records / get_first / insert_rows over a DB-API connection of
snowflake-connector-python. There is no SQLAlchemy engine (snowflake-sqlalchemy is not supported yet)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import URL, Engine

from dagmap.connections.connection import Connection
from dagmap.errors import ConfigurationError, DagmapError
from dagmap.providers.sql.hook import Handler, Parameters, SqlHook

if TYPE_CHECKING:
    import pandas

_TEXT_EXTRAS = ("account", "warehouse", "database", "role", "region", "authenticator", "protocol")
_SECRET_EXTRAS = ("private_key_file", "private_key_file_pwd", "token")
_FLAG_EXTRAS = ("insecure_mode", "client_session_keep_alive")
_NUMBER_EXTRAS = ("login_timeout", "network_timeout")
_PLACEHOLDERS = {"qmark": "?", "numeric": ":{n}", "format": "%s", "pyformat": "%s"}


def _extra(extra: Mapping[str, Any], name: str) -> Any:
    """An extra by its name, or by Airflow's older ``extra__snowflake__<name>`` form."""
    value = extra.get(name)
    return extra.get(f"extra__snowflake__{name}") if value in (None, "") else value


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise ConfigurationError(f"The Snowflake extra {name!r} must be true or false, not {value!r}", argument=name)


def connection_parameters(connection: Connection, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Keyword arguments of ``snowflake.connector.connect`` for ``connection`` (password included).

    ``login`` is the user and ``schema`` the Snowflake schema; ``host``/``port`` are needed only to reach an
    endpoint other than the account's (e.g. a fake). The extras give ``account`` (required), ``warehouse``,
    ``database``, ``role``, ``region``, ``authenticator``, ``protocol``, ``session_parameters``,
    ``private_key_file``, ``private_key_file_pwd``, ``token``, ``insecure_mode``,
    ``client_session_keep_alive``, ``login_timeout`` and ``network_timeout``. Non-empty ``overrides``
    (the hook's arguments) win over the connection.
    """
    extra = connection.extra_dejson
    given = {key: value for key, value in (overrides or {}).items() if value not in (None, "")}
    parameters: dict[str, Any] = {
        "user": connection.login,
        "password": connection.password,
        "schema": connection.schema,
        "host": connection.host,
        "port": connection.port,
    }
    for name in (*_TEXT_EXTRAS, *_SECRET_EXTRAS):
        parameters[name] = _extra(extra, name)
    for name in _FLAG_EXTRAS:
        value = _extra(extra, name)
        parameters[name] = None if value is None else _flag(value, name)
    for name in _NUMBER_EXTRAS:
        value = _extra(extra, name)
        parameters[name] = None if value in (None, "") else int(value)
    session_parameters = _extra(extra, "session_parameters")
    if session_parameters is not None and not isinstance(session_parameters, Mapping):
        raise ConfigurationError("The Snowflake extra 'session_parameters' must be a JSON object")
    parameters["session_parameters"] = dict(session_parameters) if session_parameters else None
    parameters.update(given)
    if not parameters["account"]:
        raise ConfigurationError(
            f"Snowflake connection {connection.conn_id!r} has no account (set the extra 'account')",
            argument="account",
        )
    return {key: value for key, value in parameters.items() if value not in (None, "")}


class SnowflakeHook(SqlHook):
    """Runs SQL on Snowflake. The hook's arguments override the connection's fields and extras.

    ``run`` splits a script into statements by default (Snowflake runs one statement per request), as
    Airflow's ``SnowflakeHook`` does. Parameters use the connector's ``%s`` / ``%(name)s`` style.
    """

    conn_name_attr = "snowflake_conn_id"
    default_conn_name = "snowflake_default"
    conn_type = "snowflake"
    hook_name = "Snowflake"

    def __init__(
        self,
        snowflake_conn_id: str = default_conn_name,
        *,
        account: str | None = None,
        warehouse: str | None = None,
        database: str | None = None,
        region: str | None = None,
        role: str | None = None,
        schema: str | None = None,
        authenticator: str | None = None,
        session_parameters: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(snowflake_conn_id, schema=schema)
        self.snowflake_conn_id = snowflake_conn_id
        self.account = account
        self.warehouse = warehouse
        self.database = database
        self.region = region
        self.role = role
        self.authenticator = authenticator
        self.session_parameters = dict(session_parameters) if session_parameters else None

    # --- where -----------------------------------------------------------------------------------------
    @property
    def connection_parameters(self) -> dict[str, Any]:
        """Keyword arguments of ``snowflake.connector.connect`` (password included: do not log them)."""
        overrides = {
            "account": self.account,
            "warehouse": self.warehouse,
            "database": self.database,
            "region": self.region,
            "role": self.role,
            "schema": self.schema,
            "authenticator": self.authenticator,
            "session_parameters": self.session_parameters,
        }
        return connection_parameters(self._require_connection(), overrides)

    @cached_property
    def sqlalchemy_url(self) -> URL:
        raise self._no_engine()

    def get_uri(self) -> str:
        raise self._no_engine()

    def get_sqlalchemy_engine(self, engine_kwargs: Mapping[str, Any] | None = None) -> Engine:
        raise self._no_engine()

    def _no_engine(self) -> DagmapError:
        return DagmapError(
            "SnowflakeHook has no SQLAlchemy engine: it uses snowflake-connector-python's DB-API "
            "(get_conn, run, get_records, get_pandas_df, insert_rows)"
        )

    @property
    def dialect_name(self) -> str:
        return "snowflake"

    @property
    def placeholder(self) -> str:
        import snowflake.connector

        style = snowflake.connector.paramstyle
        if style not in _PLACEHOLDERS:
            raise DagmapError(f"Unsupported snowflake.connector.paramstyle {style!r}")
        return _PLACEHOLDERS[style]

    # --- connections -----------------------------------------------------------------------------------
    def get_conn(self) -> Any:
        """A new ``snowflake.connector`` connection; the caller closes it."""
        import snowflake.connector

        return snowflake.connector.connect(**self.connection_parameters)

    @contextmanager
    def dbapi_connection(self, autocommit: bool = False) -> Iterator[Any]:
        """A connection, closed on exit; without ``autocommit`` its work is one transaction until ``commit``."""
        conn = self.get_conn()
        try:
            conn.autocommit(autocommit)
            yield conn
        finally:
            conn.close()

    # --- running SQL -----------------------------------------------------------------------------------
    def run(
        self,
        sql: str | Iterable[str],
        autocommit: bool = False,
        parameters: Parameters = None,
        handler: Handler | None = None,
        split_statements: bool = True,
        return_last: bool = True,
    ) -> Any:
        """:meth:`SqlHook.run`, splitting a string of several statements by default."""
        return super().run(sql, autocommit, parameters, handler, split_statements, return_last)

    def get_pandas_df(self, sql: str, parameters: Parameters = None, **kwargs: Any) -> pandas.DataFrame:
        """The rows of ``sql`` as a DataFrame (needs pandas); ``kwargs`` go to ``DataFrame.from_records``."""
        import pandas as pd

        with self.dbapi_connection(autocommit=True) as conn:
            cursor = conn.cursor()
            try:
                if parameters is None:
                    cursor.execute(sql)
                else:
                    cursor.execute(sql, parameters)
                columns = [column[0] for column in cursor.description or ()]
                rows = cursor.fetchall() if cursor.description is not None else []
            finally:
                cursor.close()
        return pd.DataFrame.from_records(rows, columns=columns, **kwargs)
