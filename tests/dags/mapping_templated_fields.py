"""Template fields render per instance: literal mapped values and partial values are rendered
(``{{ ti.map_index }}``, ``expanded_ti_count``), values that came from XCom are not.

expect:
  run: success
  echo[0..2]: success -> ["0 of 3 first", "1 of 3 second", "2 of 3 third"]
  raw_templates: success -> ["{{ ds }}", "{{ ti.map_index }}"]
  keep_raw[0..1]: success -> ["{{ ds }} | 0", "{{ ti.map_index }} | 1"]
"""

from datetime import datetime

from dagmap import DAG, task
from dagmap.operators import BashOperator

with DAG("mapping_templated_fields", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    BashOperator.partial(task_id="echo", env={"COUNT": "{{ expanded_ti_count }}"}, append_env=True).expand(
        bash_command=[
            "echo {{ ti.map_index }} of $COUNT first",
            "echo {{ ti.map_index }} of $COUNT second",
            "echo {{ ti.map_index }} of $COUNT third",
        ]
    )

    @task
    def raw_templates() -> list[str]:
        return ["{{ ds }}", "{{ ti.map_index }}"]

    @task
    def keep_raw(text: str, suffix: str) -> str:
        return f"{text} | {suffix}"

    keep_raw.partial(suffix="{{ ti.map_index }}").expand(text=raw_templates())
