"""A mapped task over 10,000 literal values and a reducer: the API tests trigger it (never run it) to read
10,000 instances by page, in the grid and in the graph.
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("api_wide", start_date=datetime(2024, 1, 1), schedule=None, tags=["api", "wide"]) as dag:

    @task
    def one(x: int) -> int:
        return x

    @task
    def total(values) -> int:
        return sum(values)

    total(one.expand(x=list(range(10_000))))
