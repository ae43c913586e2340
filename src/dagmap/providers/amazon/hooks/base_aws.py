"""``AwsBaseHook``: a boto3 session and clients built from an ``aws`` connection.

Connection fields: login = access key id, password = secret access key; extra may hold ``region_name``,
``endpoint_url``, ``aws_session_token``, ``verify`` and ``config_kwargs`` (a botocore ``Config``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config

from dagmap.errors import ConnectionNotFound
from dagmap.providers.base import BaseHook


@dataclass(frozen=True)
class AwsSettings:
    """What a boto3 session and client need, resolved from hook arguments over connection fields."""

    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    region_name: str | None = None
    endpoint_url: str | None = None
    verify: bool | str | None = None
    config_kwargs: dict[str, Any] = field(default_factory=dict)


class AwsBaseHook(BaseHook):
    """Builds boto3 clients for ``client_type``; without a connection boto3's own credential chain applies."""

    conn_name_attr = "aws_conn_id"
    default_conn_name = "aws_default"
    conn_type = "aws"
    hook_name = "Amazon Web Services"

    def __init__(
        self,
        aws_conn_id: str | None = default_conn_name,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        verify: bool | str | None = None,
        client_type: str = "s3",
    ) -> None:
        super().__init__()
        self.aws_conn_id = aws_conn_id
        self._region_name = region_name
        self._endpoint_url = endpoint_url
        self._verify = verify
        self.client_type = client_type

    @cached_property
    def settings(self) -> AwsSettings:
        extra: dict[str, Any] = {}
        login = password = None
        if self.aws_conn_id:
            try:
                connection = self.get_connection(self.aws_conn_id)
            except ConnectionNotFound:
                self.log.warning("No connection %r: using boto3's default credentials and settings", self.aws_conn_id)
            else:
                extra, login, password = connection.extra_dejson, connection.login, connection.password
        return AwsSettings(
            access_key_id=login or extra.get("aws_access_key_id"),
            secret_access_key=password or extra.get("aws_secret_access_key"),
            session_token=extra.get("aws_session_token"),
            region_name=self._region_name or extra.get("region_name"),
            endpoint_url=self._endpoint_url or extra.get("endpoint_url"),
            verify=self._verify if self._verify is not None else extra.get("verify"),
            config_kwargs=dict(extra.get("config_kwargs") or {}),
        )

    @property
    def region_name(self) -> str | None:
        return self.settings.region_name

    def get_session(self) -> Any:
        settings = self.settings
        return boto3.session.Session(
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=settings.secret_access_key,
            aws_session_token=settings.session_token,
            region_name=settings.region_name,
        )

    def _client_kwargs(self) -> dict[str, Any]:
        settings = self.settings
        kwargs: dict[str, Any] = {"endpoint_url": settings.endpoint_url}
        if settings.verify is not None:
            kwargs["verify"] = settings.verify
        if settings.config_kwargs:
            kwargs["config"] = Config(**settings.config_kwargs)
        return kwargs

    @cached_property
    def conn(self) -> Any:
        """The boto3 client, made once per hook."""
        return self.get_session().client(self.client_type, **self._client_kwargs())

    def get_conn(self) -> Any:
        return self.conn

    @cached_property
    def resource(self) -> Any:
        return self.get_session().resource(self.client_type, **self._client_kwargs())
