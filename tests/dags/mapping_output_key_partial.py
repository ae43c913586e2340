"""A custom XCom key (``output["factor"]``) feeds partial(); only return values can be expanded.

expect:
  run: success
  settings: success -> {"factor": 3, "label": "x"}
  scale[0..2]: success -> [3, 6, 9]
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("mapping_output_key_partial", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task(multiple_outputs=True)
    def settings() -> dict:
        return {"factor": 3, "label": "x"}

    @task
    def scale(x: int, factor: int) -> int:
        return x * factor

    scale.partial(factor=settings()["factor"]).expand(x=[1, 2, 3])
