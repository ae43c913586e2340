"""docs/api.md's curl examples, run as written against the real server (with ``curl --fail``): the trigger
is followed by a run of the new run (scheduler loop), so that its logs and XComs exist for the next lines."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from api_harness import Api

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def _commands() -> list[str]:
    block = re.search(r"## Examples\n\n```bash\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert block is not None, "docs/api.md has no Examples block"
    text = block.group(1).replace("\\\n", " ")
    lines = [line.split("  #")[0].strip() for line in text.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_every_curl_example_answers_2xx(api: Api) -> None:
    commands = _commands()
    assert sum(line.startswith("curl ") for line in commands) >= 8
    env = {**os.environ, "API": api.base_url}
    assignments = [line for line in commands if not line.startswith("curl ")]
    assert [line.split("=")[0] for line in assignments] == ["API", "RUN"]
    prelude = "; ".join(line for line in assignments if not line.startswith("API="))
    for line in commands:
        if not line.startswith("curl "):
            continue
        command = line.replace("curl -s ", "curl -sS --fail-with-body -o /dev/null ", 1)
        done = subprocess.run(["bash", "-c", f"{prelude}; {command}"], env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
        if "-X POST" in line and '/dagRuns"' in line:
            assert api.drive("fan_out", "by_hand_1") == "success"
    run = api.client.get(api.run_path("fan_out", "by_hand_1")).json()
    assert run["state"] == "failed" and run["note"] == "from curl" and run["conf"] == {"n": 5}
    assert api.client.get("/dags/fan_out").json()["is_paused"] is True
