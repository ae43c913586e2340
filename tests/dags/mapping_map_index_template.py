"""map_index_template names each instance: TaskFlow argument names, context values set by the task, and a
classic operator's context (``task.bash_command``).

expect:
  run: success
  fetch[0..2]: success -> ["page a", "page b", "page c"]
  fetch[0..2] names: ["a", "b", "c"]
  measure[0..1]: success -> [3, 5]
  measure[0..1] names: ["size 3", "size 5"]
  echo[0..1]: success -> ["x", "y"]
  echo[0..1] names: ["echo x", "echo y"]
"""

from datetime import datetime

from dagmap import DAG, get_current_context, task
from dagmap.operators import BashOperator

with DAG("mapping_map_index_template", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task(map_index_template="{{ name }}")
    def fetch(name: str) -> str:
        return f"page {name}"

    @task(map_index_template="size {{ my_size }}")
    def measure(word: str) -> int:
        context = get_current_context()
        context["my_size"] = len(word)
        return len(word)

    fetch.expand(name=["a", "b", "c"])
    measure.expand(word=["abc", "abcde"])
    BashOperator.partial(task_id="echo", map_index_template="{{ task.bash_command }}").expand(
        bash_command=["echo x", "echo y"]
    )
