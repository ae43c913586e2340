"""A mapped task over a mapped task's results: instances that returned None are left out (later ones shift).

expect:
  run: success
  first[0..2]: success -> [10, None, 30]
  second[0..1]: success -> [11, 31]
  total: success -> 42
(first[1] returns None, so it pushes nothing and second has 2 instances)
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("mapping_mapped_over_mapped", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def first(x: int) -> int | None:
        return None if x == 2 else x * 10

    @task
    def second(y: int) -> int:
        return y + 1

    @task
    def total(values) -> int:
        return sum(values)

    total(second.expand(y=first.expand(x=[1, 2, 3])))
