"""The UI tests' wide DAG: 250 mapped instances (more than two pages of the mapped panel), one failing, an
all_done reducer and a task group after it.

expect:
  run: success (the leaves succeed)
  square[0..249]: success -> n * n, but square[137]: failed
  total: success
  report.summarize, report.publish: success
"""

from datetime import datetime

from dagmap import DAG, task, task_group

with DAG("ui_fanout", start_date=datetime(2024, 1, 1), schedule=None, tags=["ui"], description="250 squares") as dag:

    @task
    def numbers() -> list[int]:
        return list(range(250))

    @task(map_index_template="n={{ n }}")
    def square(n: int) -> int:
        print(f"squaring {n}")
        if n == 7:  # the UI must show this as text
            print('<img src=x onerror="window.xss = 1"><script>window.xss = 2</script>')
        if n == 137:
            raise ValueError("137 is not welcome here")
        return n * n

    @task(trigger_rule="all_done")
    def total(values) -> int:
        return sum(v for v in values if v is not None)

    @task_group
    def report(value: int):
        @task
        def summarize(value: int) -> str:
            return f"total {value}"

        @task
        def publish(text: str) -> str:
            return text

        return publish(summarize(value))

    report(total(square.expand(n=numbers())))
