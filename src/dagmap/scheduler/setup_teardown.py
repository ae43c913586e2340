"""Which setups and teardowns belong to a task (pure, over the DAG spec): Airflow's *relevant* setups, used
by the setup constraint of the trigger rules and by clearing."""

from __future__ import annotations

from dagmap.model.spec import DagSpec


def _relatives(spec: DagSpec, task_id: str, *, upstream: bool) -> set[str]:
    found: set[str] = set()
    pending = [task_id]
    while pending:
        task = spec.task(pending.pop())
        for other in task.upstream_task_ids if upstream else task.downstream_task_ids:
            if other not in found:
                found.add(other)
                pending.append(other)
    return found


def teardowns_of(spec: DagSpec, setup_id: str) -> set[str]:
    """The teardowns directly downstream of a setup: its own."""
    return {t for t in spec.task(setup_id).downstream_task_ids if spec.task(t).is_teardown}


def relevant_setups(spec: DagSpec, task_id: str) -> set[str]:
    """Setups upstream of the task (directly or not) whose resource it uses: those with a teardown
    downstream of the task, or with no teardown at all (Airflow's ``get_upstreams_only_setups``)."""
    if not any(task.is_setup for task in spec.tasks):
        return set()
    below = {t for t in _relatives(spec, task_id, upstream=False) if spec.task(t).is_teardown}
    found: set[str] = set()
    for upstream_id in _relatives(spec, task_id, upstream=True):
        if not spec.task(upstream_id).is_setup:
            continue
        teardowns = teardowns_of(spec, upstream_id)
        if not teardowns or teardowns & below:
            found.add(upstream_id)
    return found


def indirect_setups(spec: DagSpec, task_id: str) -> set[str]:
    """The relevant setups a non-teardown task must wait for beyond its direct upstream (a teardown has
    none): the scheduler's setup constraint counts their instances."""
    task = spec.task(task_id)
    if task.is_teardown:
        return set()
    return relevant_setups(spec, task_id) - set(task.upstream_task_ids)


def setups_and_teardowns_to_clear(spec: DagSpec, task_id: str, *, include_downstream: bool) -> set[str]:
    """What Airflow clears with a task (``DAG.partial_subset``): for a task that is neither setup nor
    teardown, its relevant setups and their teardowns; for a setup cleared without its downstream, its
    teardowns; for a teardown, nothing."""
    task = spec.task(task_id)
    if task.is_setup:
        return set() if include_downstream else teardowns_of(spec, task_id)
    if task.is_teardown:
        return set()
    found: set[str] = set()
    for setup_id in relevant_setups(spec, task_id):
        found |= {setup_id} | teardowns_of(spec, setup_id)
    return found - {task_id}
