"""Expansion plans and per-run trigger-rule decisions, from state counts alone (no database)."""

from __future__ import annotations

from dagmap.model.spec import DagSpec, ExpandSpec, LiteralInput, TaskGroupSpec, TaskSpec, XComInput
from dagmap.scheduler.evaluation import Change, evaluate_run, per_index_tasks
from dagmap.scheduler.mapping import Reconcile, RunLengths, length_lookup, plan_mapping
from dagmap.scheduler.views import RunView, build_views
from dagmap.states import TaskInstanceState
from dagmap.store.queries.scheduling import StateCount

TI = TaskInstanceState
RUN = ("d", "r")


def over(task_id: str) -> ExpandSpec:
    return ExpandSpec(kind="product", arguments=(("x", XComInput(task_id=task_id)),))


def dag(*tasks: TaskSpec, groups: tuple[TaskGroupSpec, ...] = ()) -> DagSpec:
    return DagSpec(dag_id="d", fileloc="f.py", tasks=tasks, task_groups=groups)


def view(*rows: tuple[str, TaskInstanceState | None, bool, int, int]) -> RunView:
    """Rows of ``(task_id, state, at map index -1, number, highest map index)``."""
    return build_views([RUN], [StateCount("d", "r", t, s, p, n, m) for t, s, p, n, m in rows])[RUN]


SRC = TaskSpec(task_id="src", operator="X", feeds_mapping=True)
M = TaskSpec(task_id="m", operator="X", upstream_task_ids=("src",), expand=over("src"))
SPEC = dag(SRC, M)


def test_views_summarise_placeholders_live_and_removed_instances() -> None:
    v = view(("m", None, False, 3, 2), ("m", TI.REMOVED, False, 2, 4), ("src", TI.SUCCESS, True, 1, -1))
    m = v.task("m")
    assert (m.live, m.max_index, m.live_max_index, m.waiting, m.has_placeholder) == (3, 4, 2, 3, False)
    assert v.task("src").placeholder_state is TI.SUCCESS
    assert v.unfinished == 3 and v.active == 0
    assert v.waiting_tasks == ["m"]


def test_placeholder_waits_until_the_upstream_recorded_a_length() -> None:
    v = view(("src", TI.RUNNING, True, 1, -1), ("m", None, True, 1, -1))
    assert not plan_mapping(SPEC, v, RunLengths()).changes


def test_placeholder_expands_to_the_recorded_length() -> None:
    v = view(("src", TI.SUCCESS, True, 1, -1), ("m", None, True, 1, -1))
    plan = plan_mapping(SPEC, v, RunLengths(task_map={"src": 4}))
    assert plan.reconciles == [Reconcile("m", 4, delete_placeholder=True, insert=(0, 3))]


def test_zero_length_skips_the_placeholder() -> None:
    v = view(("src", TI.SUCCESS, True, 1, -1), ("m", None, True, 1, -1))
    plan = plan_mapping(SPEC, v, RunLengths(task_map={"src": 0}))
    assert plan.reconciles == [Reconcile("m", 0, skip_placeholder=True)]


def test_input_upstream_failed_skipped_or_without_length() -> None:
    for state, expected in ((TI.FAILED, "failed"), (TI.UPSTREAM_FAILED, "failed"), (TI.SKIPPED, "skipped")):
        plan = plan_mapping(SPEC, view(("src", state, True, 1, -1), ("m", None, True, 1, -1)), RunLengths())
        assert (plan.input_failed, plan.input_skipped) == ((["m"], []) if expected == "failed" else ([], ["m"]))
    no_length = view(("src", TI.SUCCESS, True, 1, -1), ("m", None, True, 1, -1))
    assert plan_mapping(SPEC, no_length, RunLengths()).input_failed == ["m"]


def test_re_expansion_shorter_longer_and_back_from_zero() -> None:
    src_done = ("src", TI.SUCCESS, True, 1, -1)
    five_waiting = view(src_done, ("m", None, False, 5, 4))
    assert plan_mapping(SPEC, five_waiting, RunLengths(task_map={"src": 3})).reconciles == [
        Reconcile("m", 3, remove=(3, 4))
    ]
    three_live_two_removed = view(src_done, ("m", None, False, 3, 2), ("m", TI.REMOVED, False, 2, 4))
    assert plan_mapping(SPEC, three_live_two_removed, RunLengths(task_map={"src": 7})).reconciles == [
        Reconcile("m", 7, restore=(3, 4), insert=(5, 6))
    ]
    assert plan_mapping(SPEC, five_waiting, RunLengths(task_map={"src": 0})).reconciles == [
        Reconcile("m", 0, insert_skipped_placeholder=True, remove=(0, 4))
    ]
    assert not plan_mapping(SPEC, five_waiting, RunLengths(task_map={"src": 5})).changes


def test_mapped_upstream_length_is_the_number_of_pushes_once_all_are_done() -> None:
    lit = TaskSpec(
        task_id="lit", operator="X", expand=ExpandSpec(kind="product", arguments=(("x", LiteralInput(length=3)),))
    )
    down = TaskSpec(
        task_id="down", operator="X", upstream_task_ids=("lit",), expand=over("lit"), trigger_rule="all_done"
    )
    spec = dag(lit, down)
    lengths = RunLengths(pushed={("lit", "return_value"): 2})
    running = view(("lit", TI.SUCCESS, False, 2, 2), ("lit", TI.RUNNING, False, 1, 1), ("down", None, True, 1, -1))
    assert not plan_mapping(spec, running, lengths).changes
    done = view(("lit", TI.SUCCESS, False, 2, 2), ("lit", TI.FAILED, False, 1, 1), ("down", None, True, 1, -1))
    assert plan_mapping(spec, done, lengths).reconciles == [
        Reconcile("down", 2, delete_placeholder=True, insert=(0, 1))
    ]


def test_task_level_decisions_and_unexpanded_placeholders_wait() -> None:
    a = TaskSpec(task_id="a", operator="X")
    b = TaskSpec(task_id="b", operator="X", upstream_task_ids=("a",))
    spec = dag(a, b, SRC, M)
    v = view(
        ("a", TI.SUCCESS, True, 1, -1),
        ("b", None, True, 1, -1),
        ("src", TI.RUNNING, True, 1, -1),
        ("m", None, True, 1, -1),
    )
    decisions = evaluate_run(spec, v, lookup=length_lookup(spec, v, RunLengths()))
    assert decisions.changes == [Change("b", TI.SCHEDULED)]
    v2 = view(("src", TI.SUCCESS, True, 1, -1), ("m", None, True, 1, -1))
    # the trigger rule says run, but the count is unknown: the placeholder keeps waiting
    assert evaluate_run(spec, v2, lookup=length_lookup(spec, v2, RunLengths())).changes == []


def test_per_index_decisions_inside_a_mapped_group() -> None:
    group = TaskGroupSpec(group_id="g", expand=ExpandSpec(kind="product", arguments=(("x", LiteralInput(length=4)),)))
    inside = {"task_group_id": "g", "mapped_group_ids": ("g",)}
    x = TaskSpec(task_id="g.x", operator="X", **inside)  # type: ignore[arg-type]
    y = TaskSpec(task_id="g.y", operator="X", upstream_task_ids=("g.x",), **inside)  # type: ignore[arg-type]
    spec = dag(x, y, groups=(group,))
    v = view(
        ("g.x", TI.SUCCESS, False, 2, 3),
        ("g.x", TI.FAILED, False, 1, 1),
        ("g.x", TI.RUNNING, False, 1, 2),
        ("g.y", None, False, 4, 3),
    )
    decided, needed = per_index_tasks(spec, v)
    assert (decided, needed) == ({"g.y"}, {"g.x", "g.y"})
    index_states = {
        "g.x": [(0, TI.SUCCESS), (1, TI.FAILED), (2, TI.RUNNING), (3, TI.SUCCESS)],
        "g.y": [(i, None) for i in range(4)],
    }
    decisions = evaluate_run(spec, v, lookup=length_lookup(spec, v, RunLengths()), index_states=index_states)
    assert sorted(decisions.changes, key=lambda c: c.state) == [
        Change("g.y", TI.SCHEDULED, [0, 3]),
        Change("g.y", TI.UPSTREAM_FAILED, [1]),
    ]


def test_depends_on_past_waits_when_the_previous_run_did_not_succeed() -> None:
    a = TaskSpec(task_id="a", operator="X", depends_on_past=True)
    spec = dag(a)
    v = view(("a", None, True, 1, -1))
    lookup = length_lookup(spec, v, RunLengths())
    held = evaluate_run(spec, v, lookup=lookup, past_ok={"a": False})
    assert held.changes == [] and held.waiting_on_past
    assert evaluate_run(spec, v, lookup=lookup, past_ok={"a": True}).changes == [Change("a", TI.SCHEDULED)]
