"""Jinja rendering of template fields, per task instance: one cached Environment per DAG.

Values that came from XCom (paths recorded by ``prepare_task_for_run``) are never rendered; literal mapped
values and ``partial`` values are. A missing variable or file raises TemplateError naming task, field, index.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import jinja2
import jinja2.nativetypes

from dagmap.errors import TemplateError
from dagmap.sdk.macros import DEFAULT_FILTERS, macros_namespace
from dagmap.sdk.params import DagParam
from dagmap.sdk.signatures import callable_facts

if TYPE_CHECKING:
    from dagmap.sdk.dag import DAG

MAX_RENDERED_MAP_INDEX = 250
_TEMPLATE_CACHE_SIZE = 2048
_envs: weakref.WeakKeyDictionary[DAG, jinja2.Environment] = weakref.WeakKeyDictionary()
_compiled: weakref.WeakKeyDictionary[jinja2.Environment, dict[str, jinja2.Template]] = weakref.WeakKeyDictionary()
_default_env: list[jinja2.Environment] = []


def _build_env(dag: DAG | None) -> jinja2.Environment:
    searchpath = [dag.folder, *dag.template_searchpath] if dag is not None else []
    native = dag is not None and dag.render_template_as_native_obj
    env_class = jinja2.nativetypes.NativeEnvironment if native else jinja2.Environment
    env = env_class(
        loader=jinja2.FileSystemLoader(searchpath),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.do"],
        cache_size=400,
        autoescape=False,
    )
    env.filters.update(DEFAULT_FILTERS)
    env.globals["macros"] = macros_namespace()
    if dag is not None:
        env.filters.update(dag.user_defined_filters)
        env.globals.update(dag.user_defined_macros)
    return env


def get_template_env(dag: DAG | None) -> jinja2.Environment:
    """The DAG's Jinja environment (built once): loader over the DAG's folder then ``template_searchpath``,
    ``StrictUndefined``, native types if ``render_template_as_native_obj``, the default macros as
    ``macros.*`` plus ``user_defined_macros`` / ``user_defined_filters``."""
    if dag is None:
        if not _default_env:
            _default_env.append(_build_env(None))
        return _default_env[0]
    env = _envs.get(dag)
    if env is None:
        env = _envs[dag] = _build_env(dag)
    return env


def _compile(env: jinja2.Environment, source: str) -> jinja2.Template:
    cache = _compiled.setdefault(env, {})
    template = cache.get(source)
    if template is None:
        if len(cache) >= _TEMPLATE_CACHE_SIZE:
            cache.clear()
        template = cache[source] = env.from_string(source)
    return template


class _Renderer:
    def __init__(
        self, operator: Any, env: jinja2.Environment, context: Mapping[str, Any], field: str, skip: frozenset[Any]
    ) -> None:
        self.operator = operator
        self.env = env
        self.context = context
        self.field = field
        self.skip = skip
        self.native = isinstance(env, jinja2.nativetypes.NativeEnvironment)
        self.extensions = tuple(getattr(operator, "template_ext", ()) or ())

    def error(self, message: str) -> TemplateError:
        dag = getattr(self.operator, "dag", None)
        return TemplateError(
            f"cannot render {self.field!r}: {message}",
            dag_id=getattr(dag, "dag_id", None),
            task_id=getattr(self.operator, "task_id", None),
            map_index=getattr(self.operator, "_dagmap_map_index", -1),
            argument=self.field,
            filename=getattr(dag, "fileloc", None),
        )

    def render(self, value: Any, path: tuple[Any, ...]) -> Any:
        if path in self.skip:
            return value
        if isinstance(value, str):
            return self.render_string(value)
        if isinstance(value, DagParam):
            return value.resolve(self.context)
        if hasattr(value, "iter_references") and not isinstance(value, type):
            raise self.error(f"{value!r} was not resolved: call prepare_task_for_run() before rendering")
        if isinstance(value, tuple):
            items = [self.render(item, (*path, i)) for i, item in enumerate(value)]
            return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
        if isinstance(value, list):
            return [self.render(item, (*path, i)) for i, item in enumerate(value)]
        if isinstance(value, dict):
            return {key: self.render(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, (set, frozenset)):
            return type(value)(self.render(item, (*path, None)) for item in value)
        fields = getattr(value, "template_fields", None)
        if fields and not isinstance(value, type) and not hasattr(value, "task_id"):
            nested = copy.copy(value)
            for name in fields:
                setattr(nested, name, self.render(getattr(nested, name), (*path, name)))
            return nested
        return value

    def render_string(self, text: str) -> Any:
        is_file = bool(self.extensions) and text.endswith(self.extensions)
        if not is_file and not self.native and "{" not in text and "\n" not in text:
            return text  # nothing to render; skip compiling
        try:
            template = self.env.get_template(text) if is_file else _compile(self.env, text)
            return template.render(self.context)
        except jinja2.TemplateNotFound as error:
            loader = self.env.loader
            searched = getattr(loader, "searchpath", [])
            raise self.error(f"template file {error.name!r} not found (searched {searched})") from None
        except jinja2.UndefinedError as error:
            raise self.error(f"{error.message}") from None
        except jinja2.TemplateSyntaxError as error:
            raise self.error(f"template syntax error on line {error.lineno}: {error.message}") from None
        except TemplateError:
            raise
        except Exception as error:
            raise self.error(f"{type(error).__name__}: {error}") from error


def render_template_fields(
    operator: Any, context: Mapping[str, Any], *, jinja_env: jinja2.Environment | None = None
) -> None:
    """Render each of ``operator.template_fields`` in place: str, list, tuple, dict and set values recursively;
    a string ending in one of ``template_ext`` is a template file looked up on the DAG's search path."""
    env = jinja_env or get_template_env(getattr(operator, "dag", None))
    skip: frozenset[Any] = getattr(operator, "_dagmap_xcom_paths", frozenset())
    for field in operator.template_fields:
        if not hasattr(operator, field):
            raise _Renderer(operator, env, context, field, skip).error(
                f"{type(operator).__name__} declares template field {field!r} but has no such attribute"
            )
        renderer = _Renderer(operator, env, context, field, skip)
        setattr(operator, field, renderer.render(getattr(operator, field), (field,)))


def render_value(
    operator: Any,
    content: Any,
    context: Mapping[str, Any],
    *,
    jinja_env: jinja2.Environment | None = None,
    field: str = "content",
) -> Any:
    """Render one value with the operator's DAG environment (Airflow's ``render_template``)."""
    env = jinja_env or get_template_env(getattr(operator, "dag", None))
    return _Renderer(operator, env, context, field, frozenset()).render(content, (field,))


def _named_arguments(operator: Any) -> dict[str, Any]:
    """A Python task's arguments by parameter name (positional ones bound to their names too)."""
    named = dict(getattr(operator, "op_kwargs", None) or {})
    function = getattr(operator, "python_callable", None)
    op_args = getattr(operator, "op_args", None) or ()
    if function is not None and op_args:
        try:
            names = callable_facts(function).names
        except (TypeError, ValueError):
            return named
        for name, value in zip(names, op_args, strict=False):
            named.setdefault(name, value)
    return named


def render_map_index(
    operator: Any, context: Mapping[str, Any], *, jinja_env: jinja2.Environment | None = None
) -> str | None:
    """The instance's display name from ``map_index_template`` (after execute), at most 250 characters.

    TaskFlow arguments are visible by name (``"{{ n }}"``), as are keys the task put into its context.
    """
    template = getattr(operator, "map_index_template", None)
    if not template:
        return None
    env = jinja_env or get_template_env(getattr(operator, "dag", None))
    render_context = dict(context)
    for name, value in _named_arguments(operator).items():
        render_context.setdefault(name, value)
    rendered = _Renderer(operator, env, render_context, "map_index_template", frozenset()).render_string(template)
    return str(rendered)[:MAX_RENDERED_MAP_INDEX]
