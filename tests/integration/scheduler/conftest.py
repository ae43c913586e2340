"""Fixtures for scheduler tests: store a spec, create a run, and drive it with an inline executor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from scheduler_harness import Behaviour, FakeClock, FakeRunner
from sqlalchemy.orm import Session, sessionmaker

from dagmap.executors.base import Executor
from dagmap.executors.inline import InlineExecutor
from dagmap.model.spec import DagSpec
from dagmap.scheduler.loop import SchedulerLoop
from dagmap.states import DagRunState
from dagmap.store.queries import dag_runs, serialized_dags


@dataclass
class Scenario:
    sessions: sessionmaker[Session]
    spec: DagSpec
    runner: FakeRunner
    clock: FakeClock
    loop: SchedulerLoop

    def create_run(self, run_id: str = "r1", **kwargs: object) -> tuple[str, str]:
        with self.sessions.begin() as session:
            dag_runs.create_dag_run(session, self.spec, run_id=run_id, **kwargs)  # type: ignore[arg-type]
        return (self.spec.dag_id, run_id)

    def run(self, run_id: str = "r1", **kwargs: object) -> DagRunState:
        key = self.create_run(run_id, **kwargs)
        return self.loop.run_until_done([key], timeout=60)[key]


MakeScenario = Callable[..., Scenario]


@pytest.fixture
def scenario(sessions: sessionmaker[Session]) -> MakeScenario:
    def make(
        spec: DagSpec,
        behaviours: dict[str, Behaviour] | None = None,
        executor: Callable[[FakeRunner], Executor] | None = None,
        **loop_options: object,
    ) -> Scenario:
        with sessions.begin() as session:
            serialized_dags.upsert(session, spec)
        clock = FakeClock()
        runner = FakeRunner(sessions, spec, behaviours or {}, clock)
        chosen = executor(runner) if executor else InlineExecutor(runner)
        loop = SchedulerLoop(chosen, session_factory=sessions, clock=clock, sleep=clock.sleep, **loop_options)  # type: ignore[arg-type]
        return Scenario(sessions, spec, runner, clock, loop)

    return make
