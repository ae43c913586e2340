"""``.concat``: the elements of each input in turn; lengths add (a dict contributes (key, value) items).

expect:
  run: success
  first: success -> [1, 2]
  second: success -> [3]
  show[0..4]: success -> ["1", "2", "3", "4", "('k', 5)"]
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("mapping_concat", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def first() -> list[int]:
        return [1, 2]

    @task
    def second() -> list[int]:
        return [3]

    @task
    def show(value) -> str:
        return str(value)

    show.expand(value=first().concat(second(), [4], {"k": 5}))
