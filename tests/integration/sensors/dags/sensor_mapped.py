"""Mapped sensors: a ``@task.sensor`` expanded over an upstream result, done after as many pokes as its
input, pushing a PokeReturnValue's XCom; and a classic PythonSensor mapped over ``op_kwargs`` in reschedule
mode (run as poke mode).

expect:
  run: success
  numbers: success
  wait_for[0..2]: success -> [10, 20, 30]
  total: success -> 60
  check[0..1]: success
"""

from collections import Counter
from datetime import datetime

from dagmap import DAG, task
from dagmap.sensors.base import PokeReturnValue
from dagmap.sensors.python import PythonSensor

POKES: Counter[tuple[str, int]] = Counter()

with DAG("sensor_mapped", start_date=datetime(2024, 1, 1), schedule=None):

    @task
    def numbers() -> list[int]:
        return [1, 2, 3]

    @task.sensor(poke_interval=0.01, timeout=30, mode="poke")
    def wait_for(n: int, run_id: str | None = None) -> PokeReturnValue:
        POKES[(run_id, n)] += 1
        return PokeReturnValue(is_done=POKES[(run_id, n)] >= n, xcom_value=n * 10)

    @task
    def total(values: list[int]) -> int:
        return sum(values)

    def positive(value: int) -> bool:
        return value > 0

    checks = PythonSensor.partial(
        task_id="check", python_callable=positive, poke_interval=0.01, timeout=5, mode="reschedule"
    ).expand(op_kwargs=[{"value": 1}, {"value": 2}])

    total(wait_for.expand(n=numbers())) >> checks
