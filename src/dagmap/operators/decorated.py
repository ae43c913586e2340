"""The operators behind ``@task``, ``@task.branch``, ``@task.short_circuit`` and ``@task.bash``.

Their ``op_args`` / ``op_kwargs`` may hold XComArgs (which made the producers upstream); the runner's
:func:`dagmap.sdk.runtime.prepare_task_for_run` replaces them with values.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from dagmap.errors import DagDefinitionError
from dagmap.operators.bash import BashOperator
from dagmap.operators.python import PythonOperator
from dagmap.operators.python_virtualenv import (
    BranchExternalPythonOperator,
    BranchPythonVirtualenvOperator,
    ExternalPythonOperator,
    PythonVirtualenvOperator,
)
from dagmap.sdk.context import KNOWN_CONTEXT_KEYS, inject_context_kwargs
from dagmap.sdk.skipping import SkipDecision, branch_decision, short_circuit_decision


@functools.lru_cache(maxsize=4096)
def _binding_signature(function: Callable[..., Any]) -> inspect.Signature:
    """The signature with context-key parameters defaulting to None (the runner fills them)."""
    signature = inspect.signature(function)
    parameters = []
    for parameter in signature.parameters.values():
        if parameter.name in KNOWN_CONTEXT_KEYS:
            if parameter.default not in (parameter.empty, None):
                raise DagDefinitionError(
                    f"{function.__name__}(): the context parameter {parameter.name!r} may only default to None",
                    argument=parameter.name,
                )
            parameter = parameter.replace(default=None)
        parameters.append(parameter)
    try:
        return signature.replace(parameters=parameters)
    except ValueError:  # a required parameter after a context one: leave the check to the call itself
        return signature


def check_binding(
    function: Callable[..., Any], op_args: Iterable[Any], op_kwargs: Mapping[str, Any], task_id: str | None
) -> None:
    """The call must fit the function's signature (missing or unexpected arguments are a DAG error)."""
    try:
        _binding_signature(function).bind(*op_args, **op_kwargs)
    except TypeError as error:
        raise DagDefinitionError(f"{function.__name__}(): {error}", task_id=task_id) from None
    except DagDefinitionError as error:
        error.task_id = task_id
        raise


class _PythonDecoratedOperator(PythonOperator):
    """The operator of ``@task``."""

    custom_operator_name = "@task"

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Iterable[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        op_args = tuple(op_args or ())
        op_kwargs = dict(op_kwargs or {})
        check_binding(python_callable, op_args, op_kwargs, kwargs.get("task_id"))
        super().__init__(python_callable=python_callable, op_args=op_args, op_kwargs=op_kwargs, **kwargs)


class _BranchPythonDecoratedOperator(_PythonDecoratedOperator):
    """The operator of ``@task.branch``."""

    custom_operator_name = "@task.branch"

    def skip_after_execute(self, result: Any) -> SkipDecision | None:
        return branch_decision(self, result)


class _ShortCircuitDecoratedOperator(_PythonDecoratedOperator):
    """The operator of ``@task.short_circuit``."""

    custom_operator_name = "@task.short_circuit"

    def __init__(self, *, ignore_downstream_trigger_rules: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ignore_downstream_trigger_rules = ignore_downstream_trigger_rules

    def skip_after_execute(self, result: Any) -> SkipDecision | None:
        return short_circuit_decision(
            self, result, ignore_downstream_trigger_rules=self.ignore_downstream_trigger_rules
        )


class _BashDecoratedOperator(_PythonDecoratedOperator, BashOperator):
    """The operator of ``@task.bash``: the function returns the command, which is rendered, then run."""

    custom_operator_name = "@task.bash"
    template_fields: Sequence[str] = ("templates_dict", "op_args", "op_kwargs", "bash_command", "env", "cwd")
    template_ext: Sequence[str] = (".sh", ".bash")

    def __init__(self, *, bash_command: str = "(set when the task runs)", **kwargs: Any) -> None:
        super().__init__(bash_command=bash_command, **kwargs)

    def execute(self, context: dict[str, Any]) -> Any:
        context.update(self.op_kwargs)
        kwargs = inject_context_kwargs(self.python_callable, context, self.op_args, self.op_kwargs)
        command = self.python_callable(*self.op_args, **kwargs)
        if not isinstance(command, str) or not command.strip():
            raise TypeError(f"a @task.bash function must return a non-empty string, not {command!r}")
        self.bash_command = self.render_template(command, context)
        return BashOperator.execute(self, context)


class _PythonVirtualenvDecoratedOperator(_PythonDecoratedOperator, PythonVirtualenvOperator):
    """The operator of ``@task.virtualenv``."""

    custom_operator_name = "@task.virtualenv"


class _BranchPythonVirtualenvDecoratedOperator(_PythonDecoratedOperator, BranchPythonVirtualenvOperator):
    """The operator of ``@task.branch_virtualenv``."""

    custom_operator_name = "@task.branch_virtualenv"


class _ExternalPythonDecoratedOperator(_PythonDecoratedOperator, ExternalPythonOperator):
    """The operator of ``@task.external_python``."""

    custom_operator_name = "@task.external_python"


class _BranchExternalPythonDecoratedOperator(_PythonDecoratedOperator, BranchExternalPythonOperator):
    """The operator of ``@task.branch_external_python``."""

    custom_operator_name = "@task.branch_external_python"
