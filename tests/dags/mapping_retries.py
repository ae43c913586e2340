"""Retries per instance: index 1 fails on its first try and succeeds on the second; the others run once.

expect:
  run: success
  flaky[0..2]: success -> ["1 on try 1", "2 on try 2", "3 on try 1"]
"""

from datetime import datetime, timedelta

from dagmap import DAG, task

with DAG("mapping_retries", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task(retries=1, retry_delay=timedelta(seconds=0))
    def flaky(x: int, ti=None) -> str:
        if x == 2 and ti.try_number == 1:
            raise RuntimeError("first try of index 1 fails")
        return f"{x} on try {ti.try_number}"

    flaky.expand(x=[1, 2, 3])
