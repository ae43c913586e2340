"""execution_timeout applies to each instance: the instance that sleeps 1s with a 0.5s limit fails.

expect:
  run: failed
  nap[0]: success -> "slept 0.0"
  nap[1]: failed
"""

import time
from datetime import datetime, timedelta

from dagmap import DAG, task

with DAG("mapping_execution_timeout", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task(execution_timeout=timedelta(seconds=0.5))
    def nap(seconds: float) -> str:
        time.sleep(seconds)
        return f"slept {seconds}"

    nap.expand(seconds=[0.0, 1.0])
