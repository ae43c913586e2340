"""The setup constraint in a run's evaluation and teardowns left out of the run's state."""

from __future__ import annotations

from dagmap.model.spec import DagSpec, TaskSpec
from dagmap.scheduler.evaluation import Change, evaluate_run
from dagmap.scheduler.mapping import RunLengths, length_lookup
from dagmap.scheduler.run_state import effective_leaves, run_state
from dagmap.scheduler.views import RunView, build_views
from dagmap.states import DagRunState, TaskInstanceState
from dagmap.store.queries.scheduling import StateCount

TI = TaskInstanceState
RUN = ("d", "r")

# create >> load >> query >> delete; create >> delete
SPEC = DagSpec(
    dag_id="d",
    fileloc="f.py",
    tasks=(
        TaskSpec(task_id="create", operator="X", downstream_task_ids=("delete", "load"), is_setup=True),
        TaskSpec(task_id="load", operator="X", upstream_task_ids=("create",), downstream_task_ids=("query",)),
        TaskSpec(
            task_id="query",
            operator="X",
            upstream_task_ids=("load",),
            downstream_task_ids=("delete",),
            trigger_rule="all_done",
        ),
        TaskSpec(
            task_id="delete",
            operator="X",
            upstream_task_ids=("create", "query"),
            trigger_rule="all_done_setup_success",
            is_teardown=True,
        ),
    ),
)


def view(*rows: tuple[str, TaskInstanceState | None, int]) -> RunView:
    """Rows of ``(task_id, state, number of unmapped instances)``."""
    return build_views([RUN], [StateCount("d", "r", t, s, True, n, -1) for t, s, n in rows])[RUN]


def changes(v: RunView) -> list[Change]:
    return evaluate_run(SPEC, v, lookup=length_lookup(SPEC, v, RunLengths())).changes


def test_an_indirect_setup_that_failed_fails_the_task_even_under_all_done() -> None:
    v = view(("create", TI.FAILED, 1), ("load", TI.SUCCESS, 1), ("query", None, 1))
    assert changes(v) == [Change("query", TI.UPSTREAM_FAILED)]


def test_an_indirect_setup_that_was_skipped_skips_the_task() -> None:
    v = view(("create", TI.SKIPPED, 1), ("load", TI.SUCCESS, 1), ("query", None, 1))
    assert changes(v) == [Change("query", TI.SKIPPED)]


def test_the_trigger_rule_decides_once_the_setups_succeeded_or_while_they_run() -> None:
    done = view(("create", TI.SUCCESS, 1), ("load", TI.FAILED, 1), ("query", None, 1))
    assert changes(done) == [Change("query", TI.SCHEDULED)]  # all_done: the setup's resource exists
    running = view(("create", TI.RUNNING, 1), ("load", TI.SUCCESS, 1), ("query", None, 1))
    assert changes(running) == []


def test_the_teardown_runs_after_failed_work_and_not_after_a_failed_setup() -> None:
    after_work = view(("create", TI.SUCCESS, 1), ("query", TI.FAILED, 1), ("delete", None, 1))
    assert changes(after_work) == [Change("delete", TI.SCHEDULED)]
    after_setup = view(("create", TI.FAILED, 1), ("query", TI.UPSTREAM_FAILED, 1), ("delete", None, 1))
    assert changes(after_setup) == [Change("delete", TI.UPSTREAM_FAILED)]


def test_teardowns_do_not_decide_the_run_unless_on_failure_fail_dagrun() -> None:
    downstream = {t.task_id: t.downstream_task_ids for t in SPEC.tasks}
    leaves = effective_leaves(downstream, {"delete"})
    assert leaves == {"query"}
    counts = {"create": {TI.SUCCESS: 1}, "load": {TI.SUCCESS: 1}, "query": {TI.SUCCESS: 1}, "delete": {TI.FAILED: 1}}
    assert run_state(counts, leaves).state is DagRunState.SUCCESS
    assert run_state(counts, effective_leaves(downstream, set())).state is DagRunState.FAILED
