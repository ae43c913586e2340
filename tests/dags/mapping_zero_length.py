"""Zero-length expansion: the mapped task is skipped; downstream tasks follow their trigger rules.

expect:
  run: success
  nothing: success -> []
  process: skipped
  after_default: skipped
  after_all_done: success -> "ran"
  after_none_failed: success -> "ran"
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("mapping_zero_length", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def nothing() -> list[int]:
        return []

    @task
    def process(x: int) -> int:
        return x

    @task
    def after_default() -> str:
        return "ran"

    processed = process.expand(x=nothing())
    processed >> after_default()
    processed >> after_default.override(task_id="after_all_done", trigger_rule="all_done")()
    processed >> after_default.override(task_id="after_none_failed", trigger_rule="none_failed")()
