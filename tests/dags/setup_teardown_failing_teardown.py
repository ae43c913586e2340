"""A teardown that fails does not fail the run: the work decides (Airflow's default for teardowns).

expect:
  run: success
  create: success
  work: success -> 42
  delete: failed
"""

from datetime import datetime

from dagmap import DAG
from dagmap.operators import EmptyOperator, PythonOperator


def fail() -> None:
    raise RuntimeError("the teardown fails")


with DAG("setup_teardown_failing_teardown", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    create = EmptyOperator(task_id="create").as_setup()
    delete = PythonOperator(task_id="delete", python_callable=fail).as_teardown(setups=create)
    with create >> delete:
        PythonOperator(task_id="work", python_callable=lambda: 42)
