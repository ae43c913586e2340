"""A daily DAG with a validated param, for trigger and backfill."""

from datetime import datetime

from dagmap import DAG, Param, task

with DAG(
    "daily_params",
    start_date=datetime(2024, 1, 1),
    end_date=datetime(2024, 12, 31),
    schedule="@daily",
    params={"n": Param(2, type="integer", minimum=1)},
) as dag:

    @task
    def numbers(params=None) -> list[int]:
        return list(range(params["n"]))

    @task
    def double(x: int) -> int:
        return 2 * x

    double.expand(x=numbers())
