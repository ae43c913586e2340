"""The long-running services put together: the executor the settings name, the scheduler service with its
DAG file processor (``dagmap scheduler``), the processor alone (``dagmap dag-processor``), and
``dagmap standalone``: migrate, parse, schedule with the LocalExecutor, stop cleanly on Ctrl-C.

More components (the API server and UI) join standalone through :class:`Component`.
"""

from __future__ import annotations

import logging
import multiprocessing
import shlex
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Protocol

from dagmap.config import Settings, get_settings
from dagmap.dag_processing import processor as processing
from dagmap.dag_processing.processor import DagFileProcessor
from dagmap.errors import ConfigurationError
from dagmap.executors.base import Executor
from dagmap.scheduler.service import SchedulerService
from dagmap.store import db
from dagmap.store.queries import dags, import_errors

log = logging.getLogger(__name__)
EXECUTORS = ("LocalExecutor", "CeleryExecutor")


def new_dags_paused(settings: Settings) -> bool:
    """Whether DAGs seen for the first time start paused (``core.dags_are_paused_at_creation``, default no)."""
    return settings.core.dags_are_paused_at_creation


def build_executor(name: str | None = None) -> Executor:
    """The executor ``core.executor`` names."""
    settings = get_settings()
    name = name or settings.core.executor
    if name == "LocalExecutor":
        from dagmap.executors.local import LocalExecutor

        return LocalExecutor(settings.parallelism)  # its default runner heartbeats the tries it runs
    if name == "CeleryExecutor":
        from dagmap.executors.celery import CeleryExecutor

        return CeleryExecutor()
    raise ConfigurationError(f"unknown executor {name!r} (core.executor): use one of {', '.join(EXECUTORS)}")


def build_processor(settings: Settings | None = None) -> DagFileProcessor:
    settings = settings or get_settings()
    return DagFileProcessor(settings.dags_folder, new_dags_paused=new_dags_paused(settings))


def _preload_fork_server() -> None:
    """Worker and parse children come from one fork server: preload what both need (before it starts)."""
    from dagmap.executors.local import PRELOAD

    multiprocessing.get_context("forkserver").set_forkserver_preload([*PRELOAD, *processing.PRELOAD])


def build_scheduler(*, with_dag_processor: bool = True, num_loops: int | None = None) -> SchedulerService:
    executor = build_executor()
    processor = build_processor() if with_dag_processor else None
    _preload_fork_server()
    return SchedulerService(executor, processor=processor, num_loops=num_loops)


def run_dag_processor(*, once: bool = False, stop: threading.Event | None = None) -> int:
    """Keep the serialized DAGs current until SIGTERM/SIGINT (or ``stop``); ``once``: one pass. Returns files
    stored."""
    settings = get_settings()
    processor = build_processor(settings)
    _preload_fork_server()
    if once:
        try:
            return processor.run_once()
        finally:
            processor.close()
    stop = stop or threading.Event()
    previous = _on_signals(lambda: stop.set())
    stored = 0
    try:
        while not stop.is_set():
            stored += processor.poll()
            stop.wait(0.05 if processor.busy else min(1.0, processor.list_interval))
    finally:
        processor.close()
        _restore(previous)
    return stored


# --- standalone --------------------------------------------------------------------------------------------


class Component(Protocol):
    """Something standalone runs next to the scheduler (the API server and UI, when they exist)."""

    name: str

    def start(self) -> str:
        """Start in the background; returns a line for the banner (e.g. where to point a browser)."""
        ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Banner:
    home: Path
    database: str
    dags_folder: Path
    logs_folder: Path
    dag_ids: tuple[str, ...]
    import_errors: tuple[str, ...]
    command: str = "dagmap"

    def lines(self, extra: Sequence[str] = ()) -> list[str]:
        env = (
            f"DAGMAP_HOME={shlex.quote(str(self.home))} DAGMAP__CORE__DAGS_FOLDER={shlex.quote(str(self.dags_folder))}"
        )
        example = self.dag_ids[0] if self.dag_ids else "<dag_id>"
        lines = [
            "dagmap standalone: scheduler with the LocalExecutor",
            f"  home:         {self.home}",
            f"  database:     {self.database}",
            f"  DAGs folder:  {self.dags_folder}",
            f"  task logs:    {self.logs_folder}",
            f"  DAGs:         {', '.join(self.dag_ids) or 'none yet'}",
        ]
        lines += [f"  import error: {name}" for name in self.import_errors]
        lines += [f"  {line}" for line in extra]
        lines += [
            "In another terminal:",
            f"  trigger a run:  {env} {self.command} dags trigger {example}",
            f"  test a DAG:     {env} {self.command} dags test {example}",
            "Stop: Ctrl-C (once: let running tasks finish; twice: stop at once).",
        ]
        return lines


def run_standalone(
    *, components: Sequence[Component] = (), out: Callable[[str], None] = print, num_loops: int | None = None
) -> None:
    """Migrate the database, parse the DAGs folder, print where everything is, then schedule until Ctrl-C."""
    settings = get_settings()
    url = settings.sql_alchemy_conn
    settings.dags_folder.mkdir(parents=True, exist_ok=True)
    out(f"migrating {db.display_url(url)} ...")
    db.migrate(url)
    out(f"parsing DAG files in {settings.dags_folder} ...")
    processor = build_processor(settings)
    executor = build_executor("LocalExecutor")
    _preload_fork_server()
    processor.run_once()
    with db.session_factory(url)() as session:
        dag_ids = tuple(dags.active_dag_ids(session))
        errors = tuple(row.filename for row in import_errors.list_errors(session))
    started: list[Component] = []
    extra: list[str] = []
    try:
        for component in components:
            extra.append(component.start())
            started.append(component)
        banner = Banner(
            settings.home, db.display_url(url), settings.dags_folder, settings.log_folder, dag_ids, errors, _command()
        )
        for line in banner.lines(extra):
            out(line)
        SchedulerService(executor, processor=processor, num_loops=num_loops).run()
    finally:
        for component in reversed(started):
            component.stop()
    out("dagmap standalone stopped")


def _command() -> str:
    """How to call ``dagmap`` from a shell: its name when on PATH, else its path (relative when shorter)."""
    installed = Path(sys.executable).with_name("dagmap")
    found = shutil.which("dagmap")
    if found and Path(found).resolve() == installed.resolve():
        return "dagmap"
    try:
        return str(installed.relative_to(Path.cwd()))
    except ValueError:
        return str(installed)


def _on_signals(handler: Callable[[], None]) -> dict[signal.Signals, object]:
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handle(_signum: int, _frame: FrameType | None) -> None:
        handler()

    return {signum: signal.signal(signum, handle) for signum in (signal.SIGTERM, signal.SIGINT)}


def _restore(previous: dict[signal.Signals, object]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)  # type: ignore[arg-type]
