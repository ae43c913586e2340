"""The UI tests' running task: it logs a numbered line four times a second until the file named by
UI_TEST_GO_FILE appears (the test creates it once the page follows the log), then succeeds. Without the
variable it does not wait.

expect:
  run: success
  follow: success
"""

import os
import time
from datetime import datetime
from pathlib import Path

from dagmap import DAG, task

with DAG("ui_follow", start_date=datetime(2024, 1, 1), schedule=None, tags=["ui"]) as dag:

    @task
    def follow() -> str:
        print("waiting for the go file", flush=True)
        go = os.environ.get("UI_TEST_GO_FILE")
        deadline = time.monotonic() + 90
        tick = 0
        while go and not Path(go).exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{go} did not appear")
            tick += 1
            print(f"still waiting ({tick})", flush=True)
            time.sleep(0.25)
        print("got the go signal", flush=True)
        return "done"

    follow()
