"""``.map(fn)``: transform each element inside the downstream instance; raising the skip signal skips that
instance; a dict maps over its (key, value) items (dagmap; Airflow fails on dicts).

expect:
  run: success
  numbers: success -> [1, 2, 3]
  show[0..2]: success -> ["n=1", "n=2", "n=3"]
  show_odd[0]: success -> "odd 1"
  show_odd[1]: skipped
  show_odd[2]: success -> "odd 3"
  scores: success -> {"ann": 7, "bob": 9}
  show_scores[0..1]: success -> ["ann scored 7", "bob scored 9"]
"""

from datetime import datetime

from dagmap import DAG, AirflowSkipException, task

with DAG("mapping_map", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def numbers() -> list[int]:
        return [1, 2, 3]

    @task
    def scores() -> dict[str, int]:
        return {"ann": 7, "bob": 9}

    @task
    def show(text: str) -> str:
        return text

    def label(n: int) -> str:
        return f"n={n}"

    def odd_only(n: int) -> str:
        if n % 2 == 0:
            raise AirflowSkipException(f"{n} is even")
        return f"odd {n}"

    def sentence(item: tuple[str, int]) -> str:
        name, score = item
        return f"{name} scored {score}"

    values = numbers()
    show.expand(text=values.map(label))
    show.override(task_id="show_odd").expand(text=values.map(odd_only))
    show.override(task_id="show_scores").expand(text=scores().map(sentence))
