"""The DAG that ``consumer``'s ExternalTaskSensors wait for: a mapped task, a task group, one that may fail."""

from datetime import datetime

from dagmap import DAG, task, task_group

with DAG("producer", start_date=datetime(2024, 1, 1), schedule=None, params={"fail": False}):

    @task
    def numbers():
        return [1, 2, 3]

    @task
    def square(x):
        return x * x

    @task_group(group_id="load")
    def load():
        @task
        def a():
            return "a"

        @task
        def b():
            return "b"

        a() >> b()

    @task
    def maybe_fail(params=None):
        if params["fail"]:
            raise RuntimeError("asked to fail")

    square.expand(x=numbers()) >> load() >> maybe_fail()
