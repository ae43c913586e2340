"""The browser tests' harness: a real ``dagmap api-server`` subprocess over a fresh DAGMAP_HOME (SQLite)
whose database holds real runs of DAGs with mapped tasks, made by ``dagmap dags test``; Debian's Chromium
driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
DAGMAP = str(Path(sys.executable).with_name("dagmap"))
HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[1] / "dags"
CORPUS_DAGS = ("mapping_failed_instance", "mapping_task_group")
UI_DAGS = ("ui_fanout", "ui_follow", "ui_assets")
LOGICAL_DATE = "2024-01-01T00:00:00+00:00"
RUN = f"manual__{LOGICAL_DATE}"
BROKEN = "from dagmap import DAG\nimport no_such_module_for_the_ui_test\n"


def need_chromium() -> None:
    """Skip the calling test module without Chromium, except in CI (CI set), where that is a failure."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: `make browser` installs Debian's chromium"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser tests, not skip them)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(home: Path, dags: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DAGMAP")}
    env.update(DAGMAP_HOME=str(home), DAGMAP__CORE__DAGS_FOLDER=str(dags), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def dagmap(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([DAGMAP, *args], env=env, capture_output=True, text=True, timeout=120)
    if check and done.returncode != 0:
        pytest.fail(f"dagmap {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


class ApiServer:
    """``dagmap api-server`` in a session of its own, output in a log file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.popen = subprocess.Popen(
            [DAGMAP, "api-server", "--port", str(self.port)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.popen.poll() is not None:
                pytest.fail(f"api-server exited ({self.popen.returncode}):\n{self.log[-4000:]}")
            try:
                httpx.get(f"{self.base}/api/v1/health", timeout=2)
                break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.close()
                pytest.fail(f"api-server did not answer within 60 s:\n{self.log[-4000:]}")
            time.sleep(0.05)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def close(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self._log.close()


@dataclass
class Site:
    """The populated home and its running server."""

    home: Path
    dags: Path
    env: dict[str, str]
    server: ApiServer
    api: httpx.Client

    @property
    def base(self) -> str:
        return self.server.base

    def states(self, dag_id: str, run_id: str = RUN) -> dict[tuple[str, int], dict[str, Any]]:
        """Every task instance of the run, read back from the database through the API: (task_id, map_index) -> it."""
        found = self.api.get(f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances", params={"limit": 1000})
        assert found.status_code == 200, found.text
        return {(ti["task_id"], ti["map_index"]): ti for ti in found.json()["task_instances"]}


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("ui_home")
    dags = home / "dags"
    dags.mkdir()
    for name in CORPUS_DAGS:
        shutil.copyfile(CORPUS / f"{name}.py", dags / f"{name}.py")
    for name in UI_DAGS:
        shutil.copyfile(HERE / "dags" / f"{name}.py", dags / f"{name}.py")
    (dags / "broken_for_ui.py").write_text(BROKEN)
    env = environment(home, dags)
    server = ApiServer(env, home / "api-server.log")  # it migrates the database before it answers
    try:
        dagmap(env, "dag-processor", "--once")  # stores every DAG and the import error
        # One run of each at LOGICAL_DATE, side by side (SQLite in WAL mode takes concurrent writers).
        runs = {
            dag_id: subprocess.Popen(
                [DAGMAP, "dags", "test", dag_id, LOGICAL_DATE],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for dag_id in (*CORPUS_DAGS, "ui_fanout", "ui_asset_producer")
        }
        for dag_id, process in runs.items():
            output, _ = process.communicate(timeout=120)
            # 1: the run failed, as some of these must
            assert process.returncode in (0, 1), f"dags test {dag_id}:\n{output}"
    except BaseException:
        server.close()
        raise
    client = httpx.Client(base_url=f"{server.base}/api/v1", timeout=30)
    try:
        yield Site(home, dags, env, server, client)
    finally:
        client.close()
        server.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context (own sessionStorage) per test; a JavaScript error or a CSP violation fails the test."""
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on(
        "console",
        lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None,
    )
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"
