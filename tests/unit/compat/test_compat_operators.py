"""Operators and SDK behaviour Airflow's example DAGs rely on: XComArg(task), BaseBranchOperator,
LatestOnlyOperator, and the virtualenv operators dagmap refuses with a clear error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from dagmap import DAG, XComArg
from dagmap.errors import DagDefinitionError
from dagmap.models.xcom_arg import XComArg as ModelsXComArg
from dagmap.operators import BaseBranchOperator, EmptyOperator, LatestOnlyOperator
from dagmap.operators.python import (
    BranchExternalPythonOperator,
    BranchPythonVirtualenvOperator,
    ExternalPythonOperator,
    PythonVirtualenvOperator,
    is_venv_installed,
)
from dagmap.sdk.xcom_arg import PlainXComArg


def test_xcomarg_called_with_a_task_builds_the_plain_reference() -> None:
    with DAG("d"):
        producer = EmptyOperator(task_id="producer")
        plain = XComArg(producer)
        keyed = ModelsXComArg(producer, key="k")
    assert type(plain) is PlainXComArg
    assert plain == producer.output
    assert (keyed.operator, keyed.key) == (producer, "k")
    assert str(keyed) == "{{ task_instance.xcom_pull(task_ids='producer', dag_id='d', key='k') }}"


class _Pick(BaseBranchOperator):
    def __init__(self, *, pick: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pick = pick

    def choose_branch(self, context: dict[str, Any]) -> Any:
        return self.pick


def test_base_branch_operator_follows_the_choice_and_returns_it() -> None:
    with DAG("d"):
        branch = _Pick(task_id="branch", pick=["a"])
        branch >> [EmptyOperator(task_id="a"), EmptyOperator(task_id="b")]
    result = branch.execute({})
    assert result == ["a"]
    decision = branch.skip_after_execute(result)
    assert decision is not None and decision.task_ids == {"b"}


def _context(dag: DAG, run_type: str, start: datetime) -> dict[str, Any]:
    dag_run = SimpleNamespace(
        run_type=run_type, data_interval_start=start, data_interval_end=start + timedelta(hours=4)
    )
    return {"dag": dag, "dag_run": dag_run}


def _latest_only_dag() -> tuple[DAG, LatestOnlyOperator]:
    with DAG("d", schedule=timedelta(hours=4), start_date=datetime(2021, 1, 1, tzinfo=UTC)) as dag:
        latest = LatestOnlyOperator(task_id="latest_only")
        latest >> [EmptyOperator(task_id="t1"), EmptyOperator(task_id="t2")]
    return dag, latest


def test_latest_only_skips_downstream_of_an_old_scheduled_run() -> None:
    dag, latest = _latest_only_dag()
    result = latest.execute(_context(dag, "scheduled", datetime(2021, 1, 1, tzinfo=UTC)))
    assert result == []
    decision = latest.skip_after_execute(result)
    assert decision is not None and decision.task_ids == {"t1", "t2"}


def test_latest_only_lets_the_latest_scheduled_run_and_manual_runs_through() -> None:
    dag, latest = _latest_only_dag()
    now = datetime.now(UTC)
    # The latest run covers the interval that ended most recently: ``now`` lies in the one after it.
    slot = datetime(2021, 1, 1, tzinfo=UTC) + (
        (now - datetime(2021, 1, 1, tzinfo=UTC)) // timedelta(hours=4)
    ) * timedelta(hours=4)
    latest_start = slot - timedelta(hours=4)
    assert latest.execute(_context(dag, "scheduled", latest_start)) == ["t1", "t2"]
    assert latest.execute(_context(dag, "manual", datetime(2021, 1, 1, tzinfo=UTC))) == ["t1", "t2"]
    no_interval = {
        "dag": dag,
        "dag_run": SimpleNamespace(run_type="scheduled", data_interval_start=None, data_interval_end=None),
    }
    assert latest.execute(no_interval) == ["t1", "t2"]
    decision = latest.skip_after_execute(["t1", "t2"])
    assert decision is not None and decision.task_ids == frozenset()


@pytest.mark.parametrize(
    "operator",
    [PythonVirtualenvOperator, ExternalPythonOperator, BranchPythonVirtualenvOperator, BranchExternalPythonOperator],
)
def test_virtualenv_operators_import_but_refuse_to_be_used(operator: Any) -> None:
    assert is_venv_installed() is False
    with DAG("d"), pytest.raises(DagDefinitionError, match=f"{operator.__name__} is not available in dagmap"):
        operator(task_id="venv", python_callable=print, requirements=["colorama"])
    with pytest.raises(DagDefinitionError, match="not available in dagmap"):
        operator.partial(task_id="venv", python_callable=print)
