"""What a scheduler step knows about a run: per task, how many instances are in each state (pure).

Built from one grouped query (``store.queries.scheduling.state_counts``); never one object per instance.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from dagmap.scheduler.run_state import ACTIVE_STATES
from dagmap.states import FINISHED_STATES, TaskInstanceState

RunKey = tuple[str, str]
State = TaskInstanceState | None
REMOVED = TaskInstanceState.REMOVED


class StateCount(Protocol):
    """One row of the grouped count (``store.queries.scheduling.StateCount``)."""

    @property
    def dag_id(self) -> str: ...
    @property
    def run_id(self) -> str: ...
    @property
    def task_id(self) -> str: ...
    @property
    def state(self) -> TaskInstanceState | None: ...
    @property
    def placeholder(self) -> bool: ...
    @property
    def number(self) -> int: ...
    @property
    def max_index(self) -> int: ...


@dataclass
class TaskView:
    states: Counter[State] = field(default_factory=Counter)
    """Every instance of the task (map index -1 included) by state."""
    placeholder: Counter[State] = field(default_factory=Counter)
    """The instance at map index -1 (at most one) by state."""
    mapped_states: Counter[State] = field(default_factory=Counter)
    """Instances at map index >= 0 by state."""
    max_index: int = -1
    """Highest map index >= 0 of any instance (removed ones included); -1 when there is none."""
    live_max_index: int = -1
    """Highest map index >= 0 of an instance that is not removed."""

    @property
    def has_placeholder(self) -> bool:
        return sum(self.placeholder.values()) > 0

    @property
    def placeholder_state(self) -> State:
        return next(iter(self.placeholder)) if self.has_placeholder else None

    @property
    def live(self) -> int:
        """Instances at map index >= 0 that are not removed."""
        return sum(n for state, n in self.mapped_states.items() if state is not REMOVED)

    @property
    def waiting(self) -> int:
        """Instances without a status yet: the ones whose trigger rule is still to be decided."""
        return self.states.get(None, 0)

    @property
    def unfinished(self) -> int:
        return sum(n for state, n in self.states.items() if state is None or state not in FINISHED_STATES)

    @property
    def done(self) -> int:
        """Instances that finished and count for trigger rules (every finished state but removed)."""
        return sum(n for state, n in self.states.items() if state in FINISHED_STATES and state is not REMOVED)

    @property
    def active(self) -> int:
        return sum(n for state, n in self.states.items() if state in ACTIVE_STATES)

    def add(self, row: StateCount) -> None:
        self.states[row.state] += row.number
        if row.placeholder:
            self.placeholder[row.state] += row.number
            return
        self.mapped_states[row.state] += row.number
        self.max_index = max(self.max_index, row.max_index)
        if row.state is not REMOVED:
            self.live_max_index = max(self.live_max_index, row.max_index)


@dataclass
class RunView:
    dag_id: str
    run_id: str
    tasks: dict[str, TaskView] = field(default_factory=dict)

    @property
    def key(self) -> RunKey:
        return (self.dag_id, self.run_id)

    def task(self, task_id: str) -> TaskView:
        return self.tasks.get(task_id) or TaskView()

    @property
    def waiting_tasks(self) -> list[str]:
        return sorted(task_id for task_id, view in self.tasks.items() if view.waiting)

    @property
    def active(self) -> int:
        return sum(view.active for view in self.tasks.values())

    @property
    def unfinished(self) -> int:
        return sum(view.unfinished for view in self.tasks.values())

    def count(self, *states: State) -> int:
        return sum(view.states.get(state, 0) for view in self.tasks.values() for state in states)

    def counts_by_task(self) -> dict[str, dict[State, int]]:
        return {task_id: dict(view.states) for task_id, view in self.tasks.items()}


def build_views(runs: Iterable[RunKey], rows: Iterable[StateCount]) -> dict[RunKey, RunView]:
    views = {run: RunView(*run) for run in runs}
    for row in rows:
        view = views.get((row.dag_id, row.run_id))
        if view is not None:
            view.tasks.setdefault(row.task_id, TaskView()).add(row)
    return views
