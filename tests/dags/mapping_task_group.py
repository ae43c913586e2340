"""A mapped task group: every task inside runs once per element; instance i depends only on instance i of
its upstream inside the group, so a failure at index 1 affects only index 1.

expect:
  run: failed
  numbers: success -> [1, 2, 3]
  pipeline.check[0]: success -> 1
  pipeline.check[1]: failed
  pipeline.check[2]: success -> 3
  pipeline.scale[0]: success -> 100
  pipeline.scale[1]: upstream_failed
  pipeline.scale[2]: success -> 300
  pipeline.label[0..2]: success -> ["run-1", "run-2", "run-3"]
  summary: upstream_failed
  summary_all_done: success -> [100, 300]
"""

from datetime import datetime

from dagmap import DAG, task, task_group

with DAG("mapping_task_group", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def numbers() -> list[int]:
        return [1, 2, 3]

    @task_group
    def pipeline(n: int, factor: int):
        @task
        def check(n: int) -> int:
            if n == 2:
                raise ValueError("2 is not allowed")
            return n

        @task
        def scale(n: int, factor: int) -> int:
            return n * factor

        @task
        def label(n: int) -> str:
            return f"run-{n}"

        label(n)
        return scale(check(n), factor)

    @task
    def summary(values) -> list[int]:
        return list(values)

    scaled = pipeline.partial(factor=100).expand(n=numbers())
    summary(scaled)
    summary.override(task_id="summary_all_done", trigger_rule="all_done")(scaled)
