"""Task callbacks are called with the context: on_execute (from default_args) and on_success (a list, one
of which raises without changing the outcome), on_retry then on_failure of a mapped instance that fails twice
(set through partial), on_skipped. Callbacks record what they saw in files under $DAGMAP_HOME (records
outlive a try's XComs, and a skipped instance keeps none); an all_done task reports them (its value is
checked in tests/integration/cli/test_task_callbacks_and_context_keys.py: the SDK's corpus simulator calls
no callbacks).

expect:
  run: success
  ok: success -> "done"
  flaky[0]: success -> 0
  flaky[1]: failed
  flaky[2]: success -> 2
  skipper: skipped
  report: success
"""

from datetime import datetime, timedelta
from pathlib import Path

from dagmap import DAG, AirflowSkipException, task
from dagmap.config import dagmap_home
from dagmap.operators.python import PythonOperator


def _record(name: str, context) -> None:
    ti = context["ti"]
    where = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
    text = f"{ti.state}:{ti.try_number}"
    if "exception" in context:
        text += f":{type(context['exception']).__name__}"
    _records(context["run_id"]).mkdir(parents=True, exist_ok=True)
    (_records(context["run_id"]) / f"{where}:{name}").write_text(text)


def _records(run_id: str) -> Path:
    return dagmap_home() / "callbacks_task_records" / run_id.replace(":", "_")


def on_execute(context) -> None:
    _record("on_execute", context)


def on_success(context) -> None:
    _record("on_success", context)


def broken(context) -> None:
    raise RuntimeError("this callback is broken")


def on_retry(context) -> None:
    _record("on_retry", context)


def on_failure(context) -> None:
    _record("on_failure", context)


def on_skipped(context) -> None:
    _record("on_skipped", context)


def fail_on_one(x: int) -> int:
    if x == 1:
        raise ValueError("index 1 always fails")
    return x


with DAG(
    "callbacks_task",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    default_args={"on_execute_callback": on_execute},
) as dag:

    @task(on_success_callback=[broken, on_success])
    def ok() -> str:
        return "done"

    @task(on_skipped_callback=on_skipped)
    def skipper() -> None:
        raise AirflowSkipException("nothing to do")

    @task(trigger_rule="all_done", on_execute_callback=None)
    def report(run_id=None) -> str:
        names = [
            "ok:on_execute",
            "ok:on_success",
            "flaky[1]:on_retry",
            "flaky[1]:on_failure",
            "skipper:on_execute",
            "skipper:on_skipped",
        ]
        folder = _records(run_id)
        return " ".join((folder / n).read_text() if (folder / n).exists() else f"{n}:missing" for n in names)

    flaky_results = PythonOperator.partial(
        task_id="flaky",
        python_callable=fail_on_one,
        retries=1,
        retry_delay=timedelta(seconds=0),
        on_execute_callback=None,
        on_retry_callback=on_retry,
        on_failure_callback=on_failure,
    ).expand(op_args=[[0], [1], [2]])
    [ok(), flaky_results, skipper()] >> report()
