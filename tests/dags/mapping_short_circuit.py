"""Short-circuit: a falsy result skips everything downstream; with ignore_downstream_trigger_rules=False
only the direct downstream tasks are skipped and the rest follow their trigger rules.

expect:
  run: success
  stop: success -> False
  skipped_direct: skipped
  skipped_indirect: skipped
  gate: success -> False
  gated: skipped
  after_gated: success -> "ran"
  go: success -> True
  runs[0..1]: success -> [1, 2]
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("mapping_short_circuit", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task.short_circuit
    def stop() -> bool:
        return False

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def gate() -> bool:
        return False

    @task.short_circuit
    def go() -> bool:
        return True

    @task
    def work(x: int = 0) -> int:
        return x

    @task(trigger_rule="all_done")
    def after_gated() -> str:
        return "ran"

    stop() >> work.override(task_id="skipped_direct")() >> work.override(task_id="skipped_indirect")()
    gate() >> work.override(task_id="gated")() >> after_gated()
    go() >> work.override(task_id="runs").expand(x=[1, 2])
