"""A setup, mapped work and a teardown that needs no value from the setup (the API's run-marking test)."""

from datetime import datetime

from dagmap import DAG, task

with DAG("api_teardown", start_date=datetime(2024, 1, 1), schedule=None):

    @task
    def create():
        return None

    @task
    def work(x):
        return x

    @task
    def delete():
        return "deleted"

    made = create().as_setup()
    made >> work.expand(x=[1, 2, 3]) >> delete().as_teardown(setups=made)
