"""The one exception family of dagmap.

Every error users can see derives from :class:`DagmapError`. The docstring of each class is its default
message; structured fields (``dag_id``, ``task_id``, ``map_index``, ``filename``, ``argument``) travel with
the exception so that the CLI, the API and logs can show them without parsing text.
"""

from __future__ import annotations

from typing import Any


class DagmapError(Exception):
    """dagmap failed."""

    def __init__(
        self,
        message: str | None = None,
        *,
        dag_id: str | None = None,
        task_id: str | None = None,
        map_index: int | None = None,
        filename: str | None = None,
        argument: str | None = None,
        **details: Any,
    ) -> None:
        self.message = message or (self.__doc__ or "").strip()
        self.dag_id = dag_id
        self.task_id = task_id
        self.map_index = map_index
        self.filename = filename
        self.argument = argument
        self.details = details
        super().__init__(self.message)

    def where(self) -> str:
        """The place the error is about, e.g. ``file.py, DAG 'd', task 't', map index 3``."""
        parts = []
        if self.filename:
            parts.append(str(self.filename))
        if self.dag_id:
            parts.append(f"DAG {self.dag_id!r}")
        if self.task_id:
            parts.append(f"task {self.task_id!r}")
        if self.map_index is not None and self.map_index >= 0:
            parts.append(f"map index {self.map_index}")
        if self.argument:
            parts.append(f"argument {self.argument!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": type(self).__name__,
            "message": self.message,
            "dag_id": self.dag_id,
            "task_id": self.task_id,
            "map_index": self.map_index,
            "filename": self.filename,
            "argument": self.argument,
        }


class ConfigurationError(DagmapError):
    """The configuration is invalid."""


class DagDefinitionError(DagmapError):
    """The DAG definition is invalid."""


class DuplicateTaskIdError(DagDefinitionError):
    """A task id is used twice in the same DAG."""


class CycleError(DagDefinitionError):
    """The DAG has a cycle."""


class MappingDefinitionError(DagDefinitionError):
    """The task's mapping (partial / expand / expand_kwargs) is invalid."""


class DagFileError(DagmapError):
    """A DAG file could not be loaded."""


class DagNotFound(DagmapError):
    """No such DAG."""


class TaskNotFound(DagmapError):
    """No such task."""


class DagRunNotFound(DagmapError):
    """No such DAG run."""


class DagRunAlreadyExists(DagmapError):
    """A DAG run with this run id already exists."""


class TaskInstanceNotFound(DagmapError):
    """No such task instance."""


class IllegalStateTransition(DagmapError):
    """A task instance or DAG run cannot move from its current state to the requested one."""


class UnmappableXComError(DagmapError):
    """The value pushed for mapping cannot be mapped over."""


class XComNotFound(DagmapError):
    """The XCom value does not exist."""


class XComSerializationError(DagmapError):
    """The value cannot be stored as an XCom."""


class TemplateError(DagmapError):
    """A template could not be rendered."""


class ConnectionNotFound(DagmapError):
    """No such connection."""


class VariableNotFound(DagmapError):
    """No such variable."""


class SecretsConfigurationError(DagmapError):
    """Secrets cannot be stored without an encryption key: set DAGMAP__CORE__FERNET_KEY."""


class PoolNotFound(DagmapError):
    """No such pool."""


class AssetNotFound(DagmapError):
    """No such asset."""


class TaskExecutionError(DagmapError):
    """The task failed."""


class TaskTimeoutError(TaskExecutionError):
    """The task ran longer than its execution_timeout."""


# --- control-flow signals raised by user code (the names Airflow users know) -----------------------------


class AirflowSignal(DagmapError):
    """Base of the signals a task may raise to change its own outcome."""


class TaskSkipped(AirflowSignal):
    """The task skipped itself."""


class TaskFailedNoRetry(AirflowSignal):
    """The task failed and asked not to be retried."""


# Airflow's names, so that DAG files run unchanged but for the imports.
AirflowSkipException = TaskSkipped
AirflowFailException = TaskFailedNoRetry
AirflowException = DagmapError


class ScheduleError(DagDefinitionError):
    """The DAG's schedule is invalid."""


class ParamValidationError(DagmapError):
    """A DAG param is missing or does not match its schema."""


class SchedulerAlreadyRunning(DagmapError):
    """Another scheduler is already running on this database."""


class DagRunInProgress(DagmapError):
    """The DAG run has task instances queued or running: the operation would pull the rug from under them."""


class SensorTimeout(TaskFailedNoRetry):
    """The sensor's condition was not met within its timeout."""


AirflowSensorTimeout = SensorTimeout


# --- ExternalTaskSensor (Airflow's names, airflow.providers.standard.exceptions) ------------------------------


class ExternalDagNotFoundError(DagmapError):
    """The external DAG does not exist."""


class ExternalDagDeletedError(DagmapError):
    """The external DAG's file is gone."""


class ExternalTaskNotFoundError(DagmapError):
    """An external task does not exist."""


class ExternalTaskGroupNotFoundError(DagmapError):
    """The external task group does not exist."""


class ExternalDagFailedError(DagmapError):
    """The external DAG run is in a failed state."""


class ExternalTaskFailedError(DagmapError):
    """An external task is in a failed state."""


class ExternalTaskGroupFailedError(DagmapError):
    """The external task group is in a failed state."""


class DuplicateStateError(DagDefinitionError):
    """The same state is in more than one of allowed_states, skipped_states and failed_states."""
