"""A setup that fails: the work after it is upstream_failed, even ``after`` (all_done, not directly downstream
of the setup: Airflow's setup constraint), and so is the teardown (``all_done_setup_success``: no setup
succeeded).

expect:
  run: failed
  create: failed
  work: upstream_failed
  after: upstream_failed
  delete: upstream_failed
"""

from datetime import datetime

from dagmap import DAG, task
from dagmap.operators import EmptyOperator, PythonOperator


def fail() -> None:
    raise RuntimeError("the setup fails")


with DAG("setup_teardown_failing_setup", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def work(x: int) -> int:
        return x

    create = PythonOperator(task_id="create", python_callable=fail).as_setup()
    delete = EmptyOperator(task_id="delete").as_teardown(setups=create)
    with create >> delete:
        work(1) >> EmptyOperator(task_id="after", trigger_rule="all_done")
