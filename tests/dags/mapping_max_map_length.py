"""A pushed list longer than max_map_length (default 1024) fails the upstream; the mapped task becomes
upstream_failed whatever its trigger rule.

expect:
  run: failed
  too_many: failed
  process: upstream_failed
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("mapping_max_map_length", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def too_many() -> list[int]:
        return list(range(2000))

    @task(trigger_rule="all_done")
    def process(x: int) -> int:
        return x

    process.expand(x=too_many())
