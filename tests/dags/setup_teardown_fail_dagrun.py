"""A teardown with ``on_failure_fail_dagrun=True`` that fails fails the run, though the work succeeded.

expect:
  run: failed
  create: success -> "cluster"
  work: success -> "used cluster"
  delete: failed
"""

from datetime import datetime

from dagmap import DAG, setup, task, teardown

with DAG("setup_teardown_fail_dagrun", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @setup
    def create() -> str:
        return "cluster"

    @task
    def work(resource: str) -> str:
        return f"used {resource}"

    @teardown(on_failure_fail_dagrun=True)
    def delete(resource: str) -> None:
        raise RuntimeError(f"could not delete {resource}")

    resource = create()
    work(resource) >> delete(resource)
