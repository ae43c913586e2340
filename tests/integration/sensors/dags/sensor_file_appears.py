"""A FileSensor waits for a file that a thread started by its upstream task writes a moment later.

expect:
  run: success
  start_writer: success
  wait_for_file: success
  read_file: success -> "arrived"
"""

import os
import threading
import uuid
from datetime import datetime
from pathlib import Path

from dagmap import DAG, task
from dagmap.sensors.filesystem import FileSensor

with DAG("sensor_file_appears", start_date=datetime(2024, 1, 1), schedule=None):

    @task
    def start_writer() -> str:
        folder = Path(os.environ.get("DAGMAP_HOME", "/tmp")) / f"landing-{uuid.uuid4().hex[:8]}"
        folder.mkdir(parents=True)
        path = folder / "data.txt"
        writer = threading.Timer(0.3, path.write_text, args=("arrived",))
        writer.daemon = True
        writer.start()
        return str(path)

    path = start_writer()
    wait = FileSensor(task_id="wait_for_file", filepath=path, poke_interval=0.05, timeout=60)

    @task
    def read_file(path: str) -> str:
        return Path(path).read_text()

    path >> wait >> read_file(path)
