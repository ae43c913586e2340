"""expand_kwargs: an item that is not a dict fails only its own instance.

expect:
  run: failed
  make_kwargs: success -> [{"x": 1}, "oops", {"x": 3}]
  show[0]: success -> 1
  show[1]: failed
  show[2]: success -> 3
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("mapping_expand_kwargs_bad_item", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def make_kwargs() -> list:
        return [{"x": 1}, "oops", {"x": 3}]

    @task
    def show(x: int) -> int:
        return x

    show.expand_kwargs(make_kwargs())
