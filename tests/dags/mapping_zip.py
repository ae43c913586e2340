"""``.zip``: pair elements by position (shortest wins), or pad with ``fillvalue`` (longest wins); works with
literal lists and dicts too (dagmap; Airflow breaks on them).

expect:
  run: success
  letters: success -> ["a", "b", "c"]
  numbers: success -> [1, 2]
  pair[0..1]: success -> ["a1", "b2"]
  pair_padded[0..2]: success -> ["a1", "b2", "c0"]
  pair_literal[0..2]: success -> ["aX", "bY", "cZ"]
  pair_dict[0..1]: success -> ["ak=1", "bq=2"]
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("mapping_zip", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def letters() -> list[str]:
        return ["a", "b", "c"]

    @task
    def numbers() -> list[int]:
        return [1, 2]

    @task
    def pair(item: tuple) -> str:
        first, second = item
        if isinstance(second, tuple):
            return f"{first}{second[0]}={second[1]}"
        return f"{first}{second}"

    chars, nums = letters(), numbers()
    pair.expand(item=chars.zip(nums))
    pair.override(task_id="pair_padded").expand(item=chars.zip(nums, fillvalue=0))
    pair.override(task_id="pair_literal").expand(item=chars.zip(["X", "Y", "Z"]))
    pair.override(task_id="pair_dict").expand(item=chars.zip({"k": 1, "q": 2}))
