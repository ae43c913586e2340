"""Expanding a dict: one instance per (key, value) item, in insertion order (literal and from upstream).

expect:
  run: success
  show[0..1]: success -> ["a=1", "b=2"]
  config: success -> {"x": 10, "y": 20}
  show_upstream[0..1]: success -> ["x=10", "y=20"]
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("mapping_dict_expand", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def show(pair: tuple[str, int]) -> str:
        key, value = pair
        return f"{key}={value}"

    @task
    def config() -> dict[str, int]:
        return {"x": 10, "y": 20}

    show.expand(pair={"a": 1, "b": 2})
    show.override(task_id="show_upstream").expand(pair=config())
