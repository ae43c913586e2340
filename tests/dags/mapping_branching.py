"""Branching (@task.branch and BranchPythonOperator): the followed task runs, other direct downstream tasks
are skipped; a join with none_failed_min_one_success runs.

expect:
  run: success
  choose: success -> "small"
  small[0..1]: success -> [2, 4]
  large: skipped
  join: success -> "joined"
  classic_branch: success -> ["left"]
  left: success
  right: skipped
"""

from datetime import datetime

from dagmap import DAG, task
from dagmap.operators import BranchPythonOperator, EmptyOperator

with DAG("mapping_branching", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task.branch
    def choose() -> str:
        return "small"

    @task
    def small(x: int) -> int:
        return x * 2

    @task
    def large() -> int:
        return 1000

    @task(trigger_rule="none_failed_min_one_success")
    def join() -> str:
        return "joined"

    branch = choose()
    branch >> [small.expand(x=[1, 2]), large()] >> join()

    classic = BranchPythonOperator(task_id="classic_branch", python_callable=lambda: ["left"])
    classic >> [EmptyOperator(task_id="left"), EmptyOperator(task_id="right")]
