"""A mapped task group over expand_kwargs (literal dicts); arguments are stubs resolved per instance.

expect:
  run: success
  greet.compose[0..1]: success -> ["hello ann", "hi bob"]
  greet.shout[0..1]: success -> ["HELLO ANN!", "HI BOB!"]
"""

from datetime import datetime

from dagmap import DAG, task, task_group

with DAG("mapping_task_group_expand_kwargs", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task_group
    def greet(name: str, greeting: str = "hello"):
        @task
        def compose(name: str, greeting: str) -> str:
            return f"{greeting} {name}"

        @task
        def shout(text: str) -> str:
            return text.upper() + "!"

        return shout(compose(name, greeting))

    greet.expand_kwargs([{"name": "ann"}, {"name": "bob", "greeting": "hi"}])
