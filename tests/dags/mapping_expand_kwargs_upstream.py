"""expand_kwargs over an upstream result (TaskFlow and a classic operator).

expect:
  run: success
  make_kwargs: success -> [{"x": 1, "y": 2}, {"x": 3, "y": 4}]
  add[0..1]: success -> [3, 7]
  make_commands: success -> [{"bash_command": "echo a"}, {"bash_command": "echo b"}]
  echo[0..1]: success -> ["a", "b"]
"""

from datetime import datetime

from dagmap import DAG, task
from dagmap.operators import BashOperator

with DAG("mapping_expand_kwargs_upstream", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def make_kwargs() -> list[dict[str, int]]:
        return [{"x": 1, "y": 2}, {"x": 3, "y": 4}]

    @task
    def add(x: int, y: int) -> int:
        return x + y

    @task
    def make_commands() -> list[dict[str, str]]:
        return [{"bash_command": "echo a"}, {"bash_command": "echo b"}]

    add.expand_kwargs(make_kwargs())
    BashOperator.partial(task_id="echo").expand_kwargs(make_commands())
