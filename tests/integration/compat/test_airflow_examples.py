"""Airflow's own example DAGs, ported with only their imports changed (tests/compat_dags), run through
``dagmap dags test`` on SQLite and end as the ``expect:`` blocks of their docstrings say.

A file with several DAGs has one ``expect <dag_id>:`` block per DAG. A ``one of:`` block (after the expect
block) checks random branches: ``  a b c: success, else skipped`` means exactly one of the tasks a, b, c ended
``success`` and the others ``skipped``. ``{port}`` in a conf value is the port of a local HTTP server that
answers ``GET /get`` with ``{"origin": "127.0.0.1"}`` (example_dag_decorator fetches its IP from it).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dagmap.cli.main import app
from dagmap.config import reset_settings
from dagmap.dag_processing import load_dag_file
from dagmap.store import db

TESTS = Path(__file__).resolve().parents[2]
COMPAT = TESTS / "compat_dags"
FILES = sorted(COMPAT.glob("*.py"))
runner = CliRunner()


def _corpus_test_module() -> Any:
    """tests/integration/cli/test_corpus_dags_test.py, for its ``parse_expect`` (the corpus' format)."""
    name = "test_corpus_dags_test"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, TESTS / "integration" / "cli" / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


parse_expect = _corpus_test_module().parse_expect

_BLOCK = re.compile(r"^(?P<kind>expect|one of)(?: (?P<dag_id>[\w.-]+))?:\n(?P<body>(?:  .*\n?)*)", re.MULTILINE)
_ONE_OF = re.compile(r"^  (?P<tasks>[\w. -]+?):\s*(?P<state>\w+), else (?P<others>\w+)$")


@dataclass
class Case:
    path: Path
    dag_id: str
    expect: Any
    """The ``parse_expect`` result."""
    one_of: list[tuple[list[str], str, str]]

    @property
    def id(self) -> str:
        return self.path.stem if self.path.stem == self.dag_id else f"{self.path.stem}:{self.dag_id}"


def _cases(path: Path) -> list[Case]:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    blocks = list(_BLOCK.finditer(doc + "\n"))
    expects = [b for b in blocks if b["kind"] == "expect"]
    assert expects, f"{path.name} has no expect: block"
    one_of = [
        (match["tasks"].split(), match["state"], match["others"])
        for block in blocks
        if block["kind"] == "one of"
        for match in map(_ONE_OF.match, block["body"].rstrip("\n").splitlines())
        if match
    ]
    cases = []
    for block in expects:
        dag_id = block["dag_id"]
        if dag_id is None:
            (dag,) = load_dag_file(path).dags  # a file with one DAG may leave out its id
            dag_id = str(dag.dag_id)
        cases.append(Case(path, dag_id, parse_expect("expect:\n" + block["body"]), one_of))
    return cases


CASES = [case for path in FILES for case in _cases(path)]


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


class _IpHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"origin": "127.0.0.1"}).encode()
        self.send_response(200 if self.path == "/get" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def ip_server_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _IpHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite database of the test's own (SQLite only: the corpus tests cover PostgreSQL).

    ``AIRFLOW_HOME`` (which Airflow always sets; example_bash_decorator makes folders in it) is the test's
    temporary folder.
    """
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow_home"))
    path = tmp_path / "dagmap.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DAGMAP__DATABASE__SQL_ALCHEMY_CONN", url)
    reset_settings()
    db.dispose_engines()
    yield url
    db.dispose_engines()
    reset_settings()


def _fill_port(value: Any, port: int) -> Any:
    if isinstance(value, str):
        return value.replace("{port}", str(port))
    if isinstance(value, dict):
        return {key: _fill_port(item, port) for key, item in value.items()}
    return value


def _explain(report: dict[str, Any]) -> str:
    return "\n".join(
        f"{ti['task_id']}[{ti['map_index']}] {ti['state']} try={ti['try_number']} -> {ti['return_value']!r}"
        for ti in report["task_instances"]
    )


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_airflow_example_runs_as_expected(case: Case, sqlite_url: str, ip_server_port: int) -> None:
    expect = case.expect
    args = ["dags", "test", case.dag_id, "2024-01-01", "--dags-folder", str(COMPAT), "--json"]
    if expect.conf is not None:
        args += ["--conf", json.dumps(_fill_port(expect.conf, ip_server_port))]
    code, out, err = invoke(*args)
    assert code in (0, 1), err
    report = json.loads(out)
    instances = {(ti["task_id"], ti["map_index"]): ti for ti in report["task_instances"]}
    assert report["state"] == expect.run, _explain(report)
    assert code == (0 if expect.run == "success" else 1)
    for expectation in expect.tasks:
        for position, index in enumerate(expectation.indexes or [-1]):
            key = (expectation.task_id, index)
            assert key in instances, (key, sorted(instances))
            if expectation.state is not None:
                assert instances[key]["state"] == expectation.state, (key, _explain(report))
            if expectation.values is not None:
                assert instances[key]["return_value"] == expectation.values[position], (key, _explain(report))
    for task_ids, state, others in case.one_of:
        states = [instances[(task_id, -1)]["state"] for task_id in task_ids]
        assert states.count(state) == 1, (task_ids, states)
        assert all(s == others for s in states if s != state), (task_ids, states)


def test_every_ported_example_parses_and_states_what_it_ports() -> None:
    code, out, err = invoke("dags", "list", "--dags-folder", str(COMPAT), "--json")
    assert code == 0, err
    listing = json.loads(out)
    assert listing["import_errors"] == []
    assert sorted(d["dag_id"] for d in listing["dags"]) == sorted(case.dag_id for case in CASES)
    for path in FILES:
        doc = " ".join((ast.get_docstring(ast.parse(path.read_text())) or "").split())
        assert "Port of Airflow" in doc and "Imports changed:" in doc, path.name
