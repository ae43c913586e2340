"""``PythonVirtualenvOperator`` / ``ExternalPythonOperator`` (and their branching kin): the callable runs in
another Python process — a virtual environment made for the task, or an interpreter that already exists.

As in Airflow, the function's source is copied into a script (so it must be a plain ``def`` that imports what it
needs inside its body); its arguments go in and its return value comes out through a file written with the
``serializer`` (``pickle`` by default; ``cloudpickle`` or ``dill`` when installed on both sides). These files are
made and read only by this task and its own child process; nothing is unpickled from the metadata database.
Only plain context values can be passed (``ds``, ``logical_date``, ``params``, ``run_id``, ...): a parameter
named like ``ti`` or ``dag`` is refused with a clear error.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import hashlib
import importlib
import importlib.util
import inspect
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from dagmap.errors import DagDefinitionError, DagmapError, TaskSkipped
from dagmap.operators.python import PythonOperator
from dagmap.sdk.context import KNOWN_CONTEXT_KEYS
from dagmap.sdk.skipping import SkipDecision, branch_decision

log = logging.getLogger("dagmap.task")

SERIALIZERS = ("pickle", "cloudpickle", "dill")
PLAIN_CONTEXT_KEYS = frozenset(
    {
        "ds",
        "ds_nodash",
        "ts",
        "ts_nodash",
        "ts_nodash_with_tz",
        "logical_date",
        "execution_date",
        "data_interval_start",
        "data_interval_end",
        "run_id",
        "params",
        "expanded_ti_count",
        "prev_ds",
        "prev_ds_nodash",
        "next_ds",
        "next_ds_nodash",
        "yesterday_ds",
        "yesterday_ds_nodash",
        "tomorrow_ds",
        "tomorrow_ds_nodash",
        "templates_dict",
    }
)
"""Context keys a function in another interpreter may ask for: plain values that any serializer can carry."""

SCRIPT = textwrap.dedent(
    '''\
    """Written by dagmap: runs one task's callable in this interpreter."""
    import importlib
    import sys

    serializer = importlib.import_module(sys.argv[1])
    with open(sys.argv[2], "rb") as stream:
        arguments = serializer.load(stream)

    {source}

    result = {name}(*arguments["args"], **arguments["kwargs"])
    with open(sys.argv[3], "wb") as stream:
        serializer.dump(result, stream)
    '''
)


def function_source(function: Callable[..., Any], task_id: str | None) -> str:
    """The ``def`` of ``function`` without its decorators, dedented (``inspect`` + ``ast``)."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError) as error:
        raise DagDefinitionError(
            f"the source of {getattr(function, '__name__', function)!r} cannot be read ({error}): a function run "
            "in another interpreter must be a def in a file", task_id=task_id, argument="python_callable",
        ) from None  # fmt: skip
    found = [node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    if not found or getattr(function, "__name__", "") == "<lambda>":
        raise DagDefinitionError(
            "a function run in another interpreter must be a plain def (not a lambda)",
            task_id=task_id, argument="python_callable",
        )  # fmt: skip
    node = found[0]
    node.decorator_list = []
    return ast.unparse(node)


def _requirements(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        path = Path(value)
        text = path.read_text() if path.suffix == ".txt" and path.is_file() else value
        lines = text.splitlines()
    else:
        lines = list(value)
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


class _SubprocessPythonOperator(PythonOperator):
    """Runs ``python_callable`` with another interpreter; subclasses say which (``python_for``)."""

    template_fields: Sequence[str] = ("templates_dict", "op_args", "op_kwargs")

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        serializer: str | None = None,
        use_dill: bool = False,
        string_args: Iterable[str] | None = None,
        expect_airflow: bool = True,
        skip_on_exit_code: int | Iterable[int] | None = None,
        env_vars: Mapping[str, str] | None = None,
        inherit_env: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(python_callable=python_callable, **kwargs)
        serializer = serializer or ("dill" if use_dill else "pickle")
        if serializer not in SERIALIZERS:
            raise DagDefinitionError(
                f"serializer must be one of {', '.join(SERIALIZERS)}, not {serializer!r}",
                task_id=self.task_id, argument="serializer",
            )  # fmt: skip
        self.serializer = serializer
        self.source = function_source(python_callable, self.task_id)
        self.string_args = list(string_args or ())
        self.expect_airflow = expect_airflow
        codes = [] if skip_on_exit_code is None else skip_on_exit_code
        self.skip_on_exit_code = [codes] if isinstance(codes, int) else list(codes)
        self.env_vars = dict(env_vars or {})
        self.inherit_env = inherit_env

    def python_for(self) -> contextlib.AbstractContextManager[str]:
        """The interpreter to run with, for the duration of the block."""
        raise NotImplementedError

    def execute_callable(self, kwargs: dict[str, Any]) -> Any:
        refused = sorted(set(kwargs) & (KNOWN_CONTEXT_KEYS - PLAIN_CONTEXT_KEYS) - set(self.op_kwargs))
        if refused:
            raise DagmapError(
                f"the context value {refused[0]!r} cannot be passed to a function run in another interpreter "
                f"(plain values only: {', '.join(sorted(PLAIN_CONTEXT_KEYS))})",
                task_id=self.task_id, argument=refused[0],
            )  # fmt: skip
        serializer = importlib.import_module(self.serializer)
        with tempfile.TemporaryDirectory(prefix="dagmap-venv-task-") as work, self.python_for() as python:
            folder = Path(work)
            (folder / "script.py").write_text(SCRIPT.format(source=self.source, name=self.python_callable.__name__))
            (folder / "string_args.txt").write_text("\n".join(self.string_args))
            with open(folder / "arguments.bin", "wb") as stream:
                serializer.dump({"args": list(self.op_args), "kwargs": kwargs}, stream)
            env = {**(os.environ if self.inherit_env else {}), **self.env_vars}
            command = [python, str(folder / "script.py"), self.serializer, str(folder / "arguments.bin")]
            code = _run_logged([*command, str(folder / "result.bin")], env=env, cwd=work)
            if code in self.skip_on_exit_code:
                raise TaskSkipped(f"the process exited with {code}, one of skip_on_exit_code")
            if code != 0:
                raise DagmapError(f"the function exited with {code} (its output is above)", task_id=self.task_id)
            with open(folder / "result.bin", "rb") as stream:
                return serializer.load(stream)


def _run_logged(command: list[str], *, env: Mapping[str, str], cwd: str) -> int:
    """Run ``command``, its output line by line into the task's log; its exit code."""
    log.info("Running %s", " ".join(command))
    with subprocess.Popen(
        command, env=dict(env), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            log.info("%s", line.rstrip("\n"))
        return process.wait()


class PythonVirtualenvOperator(_SubprocessPythonOperator):
    """Runs the callable in a new virtual environment (stdlib ``venv``) with ``requirements`` installed by pip
    (a list, newline-separated text, or a ``.txt`` file). ``python_version`` picks ``python<version>`` from the
    PATH; ``system_site_packages`` (default True) lets the venv see the base interpreter's packages;
    ``venv_cache_path`` keeps one venv per set of requirements there and reuses it (locked while made)."""

    def __init__(
        self,
        *,
        requirements: str | Iterable[str] | None = None,
        python_version: str | None = None,
        system_site_packages: bool = True,
        pip_install_options: Iterable[str] | None = None,
        index_urls: str | Iterable[str] | None = None,
        venv_cache_path: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.requirements = _requirements(requirements)
        if self.serializer in ("cloudpickle", "dill") and not any(
            r.startswith(self.serializer) for r in self.requirements
        ):
            self.requirements.append(self.serializer)
        self.python_version = python_version
        self.system_site_packages = system_site_packages
        self.pip_install_options = list(pip_install_options or ())
        self.index_urls = [index_urls] if isinstance(index_urls, str) else list(index_urls or ())
        self.venv_cache_path = venv_cache_path

    def _base_python(self) -> str:
        if not self.python_version:
            return sys.executable
        name = f"python{self.python_version}"
        found = shutil.which(name)
        if found is None:
            raise DagmapError(f"{name} is not on the PATH", task_id=self.task_id, argument="python_version")
        return found

    @contextlib.contextmanager
    def python_for(self) -> Iterator[str]:
        if self.venv_cache_path is None:
            with tempfile.TemporaryDirectory(prefix="dagmap-venv-") as folder:
                yield self._make_venv(Path(folder) / "venv")
            return
        key = json.dumps(
            [
                self._base_python(),
                self.requirements,
                self.system_site_packages,
                self.pip_install_options,
                self.index_urls,
            ]
        )
        target = Path(self.venv_cache_path) / f"venv-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one task makes it; the others wait, then reuse it
            ready = target / ".dagmap-ready"
            if not ready.exists():
                shutil.rmtree(target, ignore_errors=True)
                self._make_venv(target)
                ready.write_text(key)
            else:
                log.info("Reusing the virtual environment %s", target)
        yield str(target / "bin" / "python")

    def _make_venv(self, target: Path) -> str:
        command = [self._base_python(), "-m", "venv"]
        if self.system_site_packages:
            command.append("--system-site-packages")
        if not self.requirements:
            command.append("--without-pip")
        code = _run_logged([*command, str(target)], env=os.environ, cwd=str(target.parent))
        if code != 0:
            raise DagmapError(f"making the virtual environment failed (exit {code})", task_id=self.task_id)
        python = str(target / "bin" / "python")
        if self.requirements:
            index = [
                option
                for i, url in enumerate(self.index_urls)
                for option in (("--index-url" if i == 0 else "--extra-index-url"), url)
            ]
            pip = [python, "-m", "pip", "install", "--disable-pip-version-check", *index, *self.pip_install_options]
            code = _run_logged([*pip, *self.requirements], env=os.environ, cwd=str(target))
            if code != 0:
                raise DagmapError(
                    f"installing {', '.join(self.requirements)} failed (exit {code})",
                    task_id=self.task_id, argument="requirements",
                )  # fmt: skip
        return python


class ExternalPythonOperator(_SubprocessPythonOperator):
    """Runs the callable with the interpreter at ``python`` (e.g. a venv made beforehand)."""

    template_fields: Sequence[str] = ("python", "templates_dict", "op_args", "op_kwargs")

    def __init__(self, *, python: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not python:
            raise DagDefinitionError(
                "python must be the path of an interpreter", task_id=self.task_id, argument="python"
            )
        self.python = python

    @contextlib.contextmanager
    def python_for(self) -> Iterator[str]:
        if not os.access(self.python, os.X_OK):
            raise DagmapError(f"{self.python} is not an executable Python", task_id=self.task_id, argument="python")
        yield self.python


class BranchPythonVirtualenvOperator(PythonVirtualenvOperator):
    """A ``PythonVirtualenvOperator`` whose callable returns the task id(s) to follow."""

    def skip_after_execute(self, result: Any) -> SkipDecision | None:
        return branch_decision(self, result)


class BranchExternalPythonOperator(ExternalPythonOperator):
    """An ``ExternalPythonOperator`` whose callable returns the task id(s) to follow."""

    def skip_after_execute(self, result: Any) -> SkipDecision | None:
        return branch_decision(self, result)


def is_venv_installed() -> bool:
    """Airflow's check: whether the ``virtualenv`` package (or its command) is installed. dagmap itself makes
    virtual environments with the standard library's ``venv`` and does not need it."""
    return bool(shutil.which("virtualenv") or importlib.util.find_spec("virtualenv"))
