"""ExternalTaskSensors on ``producer``, one per way of waiting; quick pokes and short timeouts."""

from datetime import datetime, timedelta

from dagmap import DAG
from dagmap.sensors.external_task import ExternalTaskMarker, ExternalTaskSensor

FAST = {"poke_interval": 0.05, "timeout": 1}

with DAG("consumer", start_date=datetime(2024, 1, 1), schedule=None):
    ExternalTaskSensor(task_id="wait_mapped", external_dag_id="producer", external_task_id="square", **FAST)
    ExternalTaskSensor(
        task_id="wait_dag", external_dag_id="producer", failed_states=["failed"], check_existence=True, **FAST
    )
    ExternalTaskSensor(task_id="wait_group", external_dag_id="producer", external_task_group_id="load", **FAST)
    ExternalTaskSensor(
        task_id="wait_tasks",
        external_dag_id="producer",
        external_task_ids=["numbers", "maybe_fail"],
        failed_states=["failed", "upstream_failed"],
        **FAST,
    )
    ExternalTaskSensor(
        task_id="wait_yesterday",
        external_dag_id="producer",
        external_task_id="numbers",
        execution_delta=timedelta(days=1),
        soft_fail=True,
        **FAST,
    )
    ExternalTaskSensor(
        task_id="wait_both_days",
        external_dag_id="producer",
        external_task_id="numbers",
        execution_date_fn=lambda logical_date: [logical_date - timedelta(days=1), logical_date],
        soft_fail=True,
        **FAST,
    )
    ExternalTaskSensor(
        task_id="wait_skip",
        external_dag_id="producer",
        external_task_id="maybe_fail",
        allowed_states=["success"],
        skipped_states=["failed"],
        **FAST,
    )
    ExternalTaskSensor(task_id="wait_missing", external_dag_id="no_such_dag", check_existence=True, **FAST)
    ExternalTaskMarker(task_id="marker", external_dag_id="producer", external_task_id="numbers")
