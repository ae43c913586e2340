"""A classic operator mapped over a literal list: BashOperator over bash_command; the XCom is the last line.

expect:
  run: success
  echo[0..2]: success -> ["1", "2", "3"]
  count: success -> 3
"""

from datetime import datetime

from dagmap import DAG, task
from dagmap.operators import BashOperator

with DAG("mapping_classic_bash", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    echo = BashOperator.partial(task_id="echo").expand(bash_command=["echo 1", "echo 2", "echo 3"])

    @task
    def count(lines) -> int:
        return len(lines)

    count(echo.output)
