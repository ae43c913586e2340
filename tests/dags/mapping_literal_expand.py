"""Literal expand: one instance per list element, known when the run is created.

expect:
  run: success
  double[0..2]: success -> [2, 4, 6]
  total: success -> 12
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("mapping_literal_expand", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def double(x: int) -> int:
        return 2 * x

    @task
    def total(values) -> int:
        return sum(values)

    total(double.expand(x=[1, 2, 3]))
