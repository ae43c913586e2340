"""A mapped task whose input is shorter on the second try of its upstream (5 values, then 3): clearing the
upstream re-expands the mapped task and marks the surplus instances removed."""

from datetime import datetime

from dagmap import DAG, task

with DAG("clear_shrinking", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def produce(ti=None) -> list[int]:
        return list(range(5 if ti.try_number == 1 else 3))

    @task
    def consume(x: int) -> int:
        return x * 10

    @task
    def total(values) -> int:
        return sum(values)

    total(consume.expand(x=produce()))
