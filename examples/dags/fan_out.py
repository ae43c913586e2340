"""The README's example: one task instance per number an upstream returns, then a reducer sums them.

Triggered by hand (``schedule=None``): ``dagmap dags trigger fan_out`` or ``dagmap dags test fan_out``.
"""

from datetime import datetime

from dagmap import dag, task


@dag(start_date=datetime(2024, 1, 1), schedule=None, tags=["example"])
def fan_out():
    @task
    def numbers():
        return [1, 2, 3]

    @task
    def add(x: int, y: int):
        return x + y

    @task
    def total(values):
        return sum(values)

    total(add.partial(y=10).expand(x=numbers()))


fan_out()
