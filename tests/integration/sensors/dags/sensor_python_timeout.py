"""PythonSensors that never succeed: with soft_fail the sensor is skipped (and so is its downstream task);
without it the timeout fails the sensor on its first try, although it has retries; a sensor that outlives
its execution_timeout is retried like any task.

expect:
  run: failed
  soft: skipped
  after_soft: skipped
  hard: failed
  after_hard: upstream_failed
  slow: failed
"""

from datetime import datetime, timedelta

from dagmap import DAG, task
from dagmap.sensors.python import PythonSensor

with DAG("sensor_python_timeout", start_date=datetime(2024, 1, 1), schedule=None):
    soft = PythonSensor(task_id="soft", python_callable=lambda: False, poke_interval=0.05, timeout=0.2, soft_fail=True)
    hard = PythonSensor(
        task_id="hard",
        python_callable=lambda: False,
        poke_interval=0.05,
        timeout=0.2,
        retries=2,
        retry_delay=timedelta(seconds=0),
    )

    slow = PythonSensor(
        task_id="slow",
        python_callable=lambda: False,
        poke_interval=0.05,
        timeout=60,
        execution_timeout=0.3,
        retries=1,
        retry_delay=timedelta(seconds=0),
    )

    @task
    def after_soft() -> str:
        return "ran"

    @task
    def after_hard() -> str:
        return "ran"

    soft >> after_soft()
    hard >> after_hard()
