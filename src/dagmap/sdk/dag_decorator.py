"""``@dag``: a function that builds a DAG when called; its arguments become the DAG's params."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from dagmap.errors import DagDefinitionError
from dagmap.sdk.dag import DAG


def _factory(function: Callable[..., Any], dag_id: str, dag_kwargs: dict[str, Any]) -> Callable[..., DAG]:
    @functools.wraps(function)
    def factory(*args: Any, **kwargs: Any) -> DAG:
        signature = inspect.signature(function)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:
            raise DagDefinitionError(f"@dag function {function.__name__}(): {error}", dag_id=dag_id or None) from None
        bound.apply_defaults()
        try:
            fileloc = inspect.getfile(function)
        except TypeError:
            fileloc = None
        with DAG(dag_id or function.__name__, fileloc=fileloc, **dag_kwargs) as dag:
            if function.__doc__ and not dag.doc_md:
                dag.doc_md = function.__doc__
            call_args: list[Any] = []
            call_kwargs: dict[str, Any] = {}
            for name, value in bound.arguments.items():
                parameter = signature.parameters[name]
                if parameter.kind is parameter.VAR_POSITIONAL:
                    call_args.extend(value)
                elif parameter.kind is parameter.VAR_KEYWORD:
                    call_kwargs.update(value)
                elif parameter.kind is parameter.POSITIONAL_ONLY:
                    call_args.append(dag.param(name, value))
                else:
                    call_kwargs[name] = dag.param(name, value)
            function(*call_args, **call_kwargs)
        return dag

    return factory


def dag(dag_id_or_function: str | Callable[..., Any] | None = None, **dag_kwargs: Any) -> Any:
    """``@dag`` or ``@dag(schedule=..., start_date=..., ...)`` (any DAG argument); the dag id defaults to the
    function's name and its docstring becomes ``doc_md``."""
    if callable(dag_id_or_function):
        return _factory(dag_id_or_function, str(dag_kwargs.pop("dag_id", "") or ""), dag_kwargs)
    dag_id = dag_id_or_function or dag_kwargs.pop("dag_id", "") or ""
    return lambda function: _factory(function, str(dag_id), dag_kwargs)
