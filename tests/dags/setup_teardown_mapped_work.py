"""A setup, mapped work inside ``with create >> delete`` and a teardown: one work instance fails, the teardown
still runs (its setup succeeded), and the run fails because of the work, not the teardown.

expect:
  run: failed
  create: success -> "bucket-1"
  divide[0]: success -> 10.0
  divide[1]: failed
  divide[2]: success -> 5.0
  delete: success -> "deleted bucket-1"
"""

from datetime import datetime

from dagmap import DAG, setup, task, teardown

with DAG("setup_teardown_mapped_work", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @setup
    def create() -> str:
        return "bucket-1"

    @teardown
    def delete(resource: str) -> str:
        return f"deleted {resource}"

    @task
    def divide(d: int) -> float:
        return 10 / d

    resource = create()
    with delete(resource):
        divide.expand(d=[1, 0, 2])
