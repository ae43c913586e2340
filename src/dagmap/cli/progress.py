"""Progress lines while a run executes: every instance for small tasks, milestones for big mapped ones."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

from dagmap.model.keys import TaskInstanceKey
from dagmap.states import TaskInstanceState

_COLORS = {
    "success": "green",
    "failed": "red",
    "upstream_failed": "dark_orange",
    "up_for_retry": "yellow",
    "skipped": "magenta",
    "removed": "bright_black",
}


class ProgressPrinter:
    """Prints one line per finished instance for the first 20 of a task, then one line per 10% after."""

    EVERY_INSTANCE_UP_TO = 20

    def __init__(self, console: Console) -> None:
        self._console = console
        self._done: Counter[str] = Counter()

    def __call__(self, key: TaskInstanceKey, state: TaskInstanceState | None) -> None:
        if state is None:
            return
        self._done[key.task_id] += 1
        count = self._done[key.task_id]
        if count <= self.EVERY_INSTANCE_UP_TO or count % 1000 == 0:
            index = f"[{key.map_index}]" if key.map_index >= 0 else ""
            color = _COLORS.get(state.value, "white")
            self._console.print(f"  {key.task_id}{index} [{color}]{state.value}[/{color}]", markup=True)
        elif count == self.EVERY_INSTANCE_UP_TO + 1:
            self._console.print(f"  {key.task_id}: more instances running ...", markup=False)

    def close(self) -> None:
        pass

    def summary(self, report: Any) -> None:
        table = Table("task", "instances", "states", title=f"{report.dag_id} {report.run_id}: {report.state}")
        per_task: dict[str, Counter[str]] = {}
        for ti in report.task_instances:
            per_task.setdefault(ti.task_id, Counter())[str(ti.state)] += 1
        for task_id, states in per_task.items():
            table.add_row(task_id, str(sum(states.values())), ", ".join(f"{s} {n}" for s, n in sorted(states.items())))
        self._console.print(table)
