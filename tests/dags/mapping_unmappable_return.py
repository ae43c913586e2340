"""An upstream feeding a mapping returns a str: the upstream fails ("unmappable return type 'str'"), the
mapped task and its downstream become upstream_failed.

expect:
  run: failed
  not_a_list: failed
  process: upstream_failed
  after: upstream_failed
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("mapping_unmappable_return", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def not_a_list() -> str:
        return "abc"

    @task
    def process(x: str) -> str:
        return x

    @task
    def after() -> None:
        return None

    process.expand(x=not_a_list()) >> after()
