"""A reducer receives a lazy sequence of the mapped values: len, indexes (also negative), slices, bool,
equality with lists, iteration; returning it pushes a list.

expect:
  run: success
  square[0..3]: success -> [0, 1, 4, 9]
  inspect: success -> {"len": 4, "first": 0, "last": 9, "slice": [1, 4], "bool": True, "equal": True, "sum": 14}
  passthrough: success -> [0, 1, 4, 9]
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("mapping_reducer", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def square(x: int) -> int:
        return x * x

    @task
    def inspect(values) -> dict:
        return {
            "len": len(values),
            "first": values[0],
            "last": values[-1],
            "slice": list(values[1:3]),
            "bool": bool(values),
            "equal": values == [0, 1, 4, 9],
            "sum": sum(v for v in values),
        }

    @task
    def passthrough(values):
        return values

    squares = square.expand(x=[0, 1, 2, 3])
    inspect(squares)
    passthrough(squares)
