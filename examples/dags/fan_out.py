"""The README's example: one task instance per number an upstream returns, then a reducer sums them.

Triggered by hand (``schedule=None``): ``dagmap dags trigger fan_out --conf '{"n": 5}'`` or
``dagmap dags test fan_out``; the param ``n`` (default 3) decides how many ``add`` instances the run gets.
"""

from datetime import datetime

from dagmap import dag, task


@dag(start_date=datetime(2024, 1, 1), schedule=None, params={"n": 3}, tags=["example"])
def fan_out():
    @task
    def numbers(params=None):  # a parameter named like a context key receives it
        return list(range(1, params["n"] + 1))  # how many instances `add` gets: known only at run time

    @task
    def add(x: int, y: int):
        return x + y

    @task
    def total(values):
        return sum(values)

    total(add.partial(y=10).expand(x=numbers()))


fan_out()
