"""The DAG file processor parses files in child processes and keeps the database in step with the folder:
specs, dag rows (paused, active, next run), import errors; files that hang, exit or crash are import errors."""

from __future__ import annotations

import os
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from service_harness import query
from sqlalchemy import select

from dagmap.dag_processing.processor import DagFileProcessor
from dagmap.store.orm import DagRow
from dagmap.store.queries import import_errors, serialized_dags

NOW = datetime(2024, 3, 10, 12, 30, tzinfo=UTC)


def dag_file(dag_id: str, *, schedule: str = "None", extra: str = "", tasks: int = 1, **dag_args: object) -> str:
    arguments = "".join(f", {name}={value!r}" for name, value in dag_args.items())
    body = "\n".join(f"    EmptyOperator(task_id='t{i}')" for i in range(tasks))
    return (
        textwrap.dedent(
            f"""\
        from datetime import datetime
        from dagmap import DAG
        from dagmap.operators.empty import EmptyOperator
        {extra}
        with DAG({dag_id!r}, start_date=datetime(2024, 1, 1), schedule={schedule}{arguments}) as dag:
        """
        )
        + body
        + "\n"
    )


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    stamp = path.stat().st_mtime + 1  # a new mtime even within the filesystem's time resolution
    os.utime(path, (stamp, stamp))
    return path


def dag_rows(url: str) -> dict[str, DagRow]:
    return {row.dag_id: row for row in query(url, lambda s: list(s.scalars(select(DagRow))))}


def errors(url: str) -> dict[str, str]:
    return {row.filename: row.error for row in query(url, import_errors.list_errors)}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "dags"
    path.mkdir()
    return path


def processor(folder: Path, url: str, **options: object) -> DagFileProcessor:
    return DagFileProcessor(folder, url=url, clock=lambda: NOW, **options)  # type: ignore[arg-type]


def test_dags_are_stored_with_their_rows_and_new_ones_are_paused_as_configured(folder: Path, url: str) -> None:
    write(folder, "daily.py", dag_file("daily", schedule="'@daily'"))
    write(folder, "paused.py", dag_file("paused", is_paused_upon_creation=True))
    write(folder, "manual.py", dag_file("manual"))
    assert processor(folder, url).run_once() == 3
    rows = dag_rows(url)
    assert {d: (r.is_active, r.is_paused) for d, r in rows.items()} == {
        "daily": (True, False),
        "paused": (True, True),
        "manual": (True, False),
    }
    daily = rows["daily"]
    assert daily.fileloc == str(folder.resolve() / "daily.py")
    assert daily.timetable_summary == "@daily"
    # catchup is off: the next run is the latest complete day, due at its end (already passed)
    midnight = datetime(2024, 3, 10, tzinfo=UTC)
    assert (daily.next_dagrun, daily.next_dagrun_data_interval_end) == (datetime(2024, 3, 9, tzinfo=UTC), midnight)
    assert daily.next_dagrun_create_after == midnight
    assert rows["manual"].next_dagrun is None and rows["manual"].next_dagrun_create_after is None
    spec = query(url, lambda s: serialized_dags.load(s, "daily"))
    assert [t.task_id for t in spec.tasks] == ["t0"]

    write(folder, "later.py", dag_file("later"))
    assert processor(folder, url, new_dags_paused=True).run_once() == 4  # a new processor parses every file
    assert dag_rows(url)["later"].is_paused is True
    assert dag_rows(url)["manual"].is_paused is False  # only new DAGs take the default


def test_only_changed_files_are_parsed_again_and_a_new_version_is_stored(folder: Path, url: str) -> None:
    path = write(folder, "one.py", dag_file("one"))
    write(folder, "two.py", dag_file("two"))
    parser = processor(folder, url)
    assert parser.run_once() == 2
    assert parser.run_once() == 0
    before = query(url, lambda s: serialized_dags.spec_hashes(s, ["one"]))["one"]
    write(folder, "one.py", dag_file("one", tasks=2))
    assert parser.run_once() == 1
    after = query(url, lambda s: serialized_dags.spec_hashes(s, ["one"]))
    assert after["one"] != before
    assert [t.task_id for t in query(url, lambda s: serialized_dags.load(s, "one")).tasks] == ["t0", "t1"]
    assert path.exists()


HANGS = "import time\nfrom dagmap import DAG\nwhile True:\n    time.sleep(0.01)\n"
EXITS = "import os\nfrom dagmap import DAG\nos._exit(3)\n"
CRASHES = "import os, signal\nfrom dagmap import DAG\nos.kill(os.getpid(), signal.SIGSEGV)\n"
BROKEN = "from dagmap import DAG\ndef broken(:\n"
TWO_DAGS = """
from datetime import datetime
from dagmap import DAG
from dagmap.operators.empty import EmptyOperator
for dag_id in ("flaky_a", "flaky_b"):
    with DAG(dag_id, start_date=datetime(2024, 1, 1), schedule=None):
        EmptyOperator(task_id="t0")
"""


def test_files_that_hang_exit_crash_or_do_not_compile_become_import_errors(folder: Path, url: str) -> None:
    files = {name: write(folder, f"{name}.py", text) for name, text in
             {"hangs": HANGS, "exits": EXITS, "crashes": CRASHES, "broken": BROKEN}.items()}  # fmt: skip
    write(folder, "good.py", dag_file("good"))
    assert processor(folder, url, timeout=2.0, processes=3).run_once() == 5
    found = errors(url)
    assert set(found) == {str(p.resolve()) for p in files.values()}
    assert "longer than 2s" in found[str(files["hangs"].resolve())]
    assert "exited with code 3" in found[str(files["exits"].resolve())]
    assert "SIGSEGV" in found[str(files["crashes"].resolve())]
    assert "SyntaxError" in found[str(files["broken"].resolve())]
    assert set(dag_rows(url)) == {"good"}


def test_an_import_error_is_cleared_once_the_file_loads_and_a_gone_file_makes_its_dags_inactive(
    folder: Path, url: str
) -> None:
    path = write(folder, "flaky.py", BROKEN)
    write(folder, "other.py", dag_file("other"))
    parser = processor(folder, url)
    parser.run_once()
    assert list(errors(url)) == [str(path.resolve())]
    write(folder, "flaky.py", TWO_DAGS)
    parser.run_once()
    assert errors(url) == {}
    assert {d for d, r in dag_rows(url).items() if r.is_active} == {"flaky_a", "flaky_b", "other"}

    write(folder, "flaky.py", dag_file("flaky_a"))  # flaky_b is no longer defined
    parser.run_once()
    assert {d for d, r in dag_rows(url).items() if r.is_active} == {"flaky_a", "other"}
    path.unlink()
    write(folder, "other.py", BROKEN)
    parser.run_once()
    assert {d for d, r in dag_rows(url).items() if r.is_active} == {"other"}  # a broken file keeps its DAGs
    (folder / "other.py").unlink()
    parser.run_once()
    assert not any(r.is_active for r in dag_rows(url).values())
    assert errors(url) == {}


def test_a_dag_id_defined_in_a_second_file_is_an_import_error_there(folder: Path, url: str) -> None:
    first = write(folder, "a_first.py", dag_file("same"))
    second = write(folder, "b_second.py", dag_file("same", tasks=2))
    processor(folder, url).run_once()
    assert dag_rows(url)["same"].fileloc == str(first.resolve())
    assert "already defined in" in errors(url)[str(second.resolve())]


def test_the_setting_pauses_new_dags_unless_the_dag_says_otherwise(
    folder: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagmap.config import reset_settings
    from dagmap.services.standalone import build_processor

    monkeypatch.setenv("DAGMAP__CORE__DAGS_ARE_PAUSED_AT_CREATION", "true")
    monkeypatch.setenv("DAGMAP__CORE__DAGS_FOLDER", str(folder))
    reset_settings()
    write(folder, "plain.py", dag_file("plain"))
    write(folder, "eager.py", dag_file("eager", is_paused_upon_creation=False))
    try:
        assert build_processor().run_once() == 2
    finally:
        reset_settings()
    assert {d: r.is_paused for d, r in dag_rows(url).items()} == {"plain": True, "eager": False}
