"""Params with defaults and a schema, overridden by the run's conf; params drive a mapping and a template.

expect:
  conf: {"count": 2}
  run: success
  make_range: success -> [0, 1]
  greet[0..1]: success -> ["hi 0", "hi 1"]
(without conf: make_range -> [0, 1, 2] and three greet instances; conf {"count": 0} is refused: minimum 1)
"""

from datetime import datetime

from dagmap import DAG, Param, task

with DAG(
    "mapping_params_conf",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    params={"count": Param(3, type="integer", minimum=1, description="how many greetings"), "word": "hi"},
) as dag:

    @task
    def make_range(params=None) -> list[int]:
        return list(range(params["count"]))

    @task
    def greet(i: int, word: str) -> str:
        return f"{word} {i}"

    greet.partial(word="{{ params.word }}").expand(i=make_range())
