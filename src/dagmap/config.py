"""One typed settings object: defaults < ``$DAGMAP_HOME/dagmap.toml`` < ``DAGMAP__SECTION__KEY`` variables.

``DAGMAP_HOME`` (default ``~/dagmap``) holds the SQLite database, logs, the DAGs folder and the local
XCom object store unless a setting says otherwise. Call :func:`get_settings` (cached) everywhere; tests
call :func:`reset_settings` after changing the environment.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


def dagmap_home() -> Path:
    return Path(os.environ.get("DAGMAP_HOME", "~/dagmap")).expanduser()


class CoreSettings(BaseModel):
    dags_folder: Path | None = None
    """Where DAG files live; default ``$DAGMAP_HOME/dags``."""
    load_examples: bool = False
    executor: str = "LocalExecutor"
    parallelism: int = 0
    """Worker processes of the LocalExecutor; 0 means one per core."""
    max_map_length: int = 1024
    dag_file_processor_timeout: float = 50.0
    default_task_retries: int = 0
    default_pool_slots: int = 128
    fernet_key: str | None = None
    xcom_backend: str = "database"
    """``database`` keeps every value in the database; ``object_store`` moves large values out."""
    xcom_object_store_threshold: int = 64 * 1024
    """Values whose serialized form is larger than this many bytes go to the object store."""
    xcom_object_store_url: str | None = None
    """``file:///path`` or ``s3://bucket/prefix``; default ``$DAGMAP_HOME/xcom``."""
    xcom_object_store_endpoint_url: str | None = None
    default_timezone: str = "UTC"
    dags_are_paused_at_creation: bool = False
    """Whether a DAG seen for the first time starts paused (a DAG's ``is_paused_upon_creation`` wins).
    Airflow's default is True; ours lets a new DAG run as soon as it is loaded."""


class DatabaseSettings(BaseModel):
    sql_alchemy_conn: str | None = None
    """SQLAlchemy URL; default ``sqlite:///$DAGMAP_HOME/dagmap.db``."""
    sql_alchemy_pool_size: int = 5
    echo: bool = False


class SchedulerSettings(BaseModel):
    loop_interval: float = 0.2
    dag_dir_list_interval: float = 10.0
    task_queued_timeout: float = 600.0
    heartbeat_interval: float = 5.0
    task_instance_heartbeat_timeout: float = 60.0
    scheduler_heartbeat_timeout: float = 30.0


class CelerySettings(BaseModel):
    broker_url: str = "redis://127.0.0.1:6379/0"
    result_backend: str | None = None
    default_queue: str = "default"
    worker_concurrency: int = 0


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8080
    auth_token: str | None = None
    """When set, every ``/api/v1`` request but ``/health`` needs ``Authorization: Bearer <token>``."""


class LoggingSettings(BaseModel):
    base_log_folder: Path | None = None
    """Task logs; default ``$DAGMAP_HOME/logs``."""
    level: str = "INFO"


class _TomlSource(PydanticBaseSettingsSource):
    """Reads ``$DAGMAP_HOME/dagmap.toml`` when it exists."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = dagmap_home() / "dagmap.toml"
        if not path.is_file():
            return {}
        with path.open("rb") as handle:
            return tomllib.load(handle)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DAGMAP__", env_nested_delimiter="__", extra="ignore")

    core: CoreSettings = Field(default_factory=CoreSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    celery: CelerySettings = Field(default_factory=CelerySettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    # --- derived paths -------------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        return dagmap_home()

    @property
    def dags_folder(self) -> Path:
        return Path(self.core.dags_folder).expanduser() if self.core.dags_folder else self.home / "dags"

    @property
    def sql_alchemy_conn(self) -> str:
        return self.database.sql_alchemy_conn or f"sqlite:///{self.home / 'dagmap.db'}"

    @property
    def log_folder(self) -> Path:
        folder = self.logging.base_log_folder
        return Path(folder).expanduser() if folder else self.home / "logs"

    @property
    def xcom_object_store_url(self) -> str:
        return self.core.xcom_object_store_url or (self.home / "xcom").as_uri()

    @property
    def parallelism(self) -> int:
        return self.core.parallelism or (os.cpu_count() or 2)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (after the environment changed)."""
    get_settings.cache_clear()
