"""expand_kwargs over a literal list of dicts: one instance per dict, no cross product; dicts may differ.

expect:
  run: success
  add[0..2]: success -> [3, 30, 105]
  echo[0..1]: success -> ["one", "two 2"]
"""

from datetime import datetime

from dagmap import DAG, task
from dagmap.operators import BashOperator

with DAG("mapping_expand_kwargs_literal", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def add(x: int, y: int = 100) -> int:
        return x + y

    add.expand_kwargs([{"x": 1, "y": 2}, {"x": 10, "y": 20}, {"x": 5}])
    BashOperator.partial(task_id="echo").expand_kwargs(
        [{"bash_command": "echo one"}, {"bash_command": "echo two $N", "env": {"N": "2"}}]
    )
