"""partial + expand over an upstream result, and a reducer (the example of docs/mapping.md).

expect:
  run: success
  numbers: success -> [1, 2, 3]
  add[0..2]: success -> [11, 12, 13]
  sum_it: success -> 36
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("mapping_partial_expand", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def numbers() -> list[int]:
        return [1, 2, 3]

    @task
    def add(x: int, y: int) -> int:
        return x + y

    @task
    def sum_it(values) -> int:
        return sum(values)

    added = add.partial(y=10).expand(x=numbers())
    sum_it(added)
