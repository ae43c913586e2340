"""One of three instances fails: an all_done reducer runs with the two other values, an all_success one
becomes upstream_failed, and the run fails.

expect:
  run: failed
  divide[0]: success -> 10.0
  divide[1]: failed
  divide[2]: success -> 5.0
  reduce_all_done: success -> [10.0, 5.0]
  reduce_default: upstream_failed
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("mapping_failed_instance", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def divide(d: int) -> float:
        return 10 / d

    @task
    def reduce(values) -> list[float]:
        return list(values)

    results = divide.expand(d=[1, 0, 2])
    reduce.override(task_id="reduce_all_done", trigger_rule="all_done")(results)
    reduce.override(task_id="reduce_default")(results)
