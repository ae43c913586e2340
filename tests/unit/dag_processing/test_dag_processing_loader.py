"""Loading DAG files and folders: what is collected, and how broken files become import-error records."""

from __future__ import annotations

import textwrap
from pathlib import Path

from dagmap.dag_processing import list_dag_files, load_dag_file, load_dags_folder

HEADER = (
    "from datetime import datetime\nfrom dagmap import DAG, dag, task\nfrom dagmap.operators import EmptyOperator\n"
)


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + textwrap.dedent(body))
    return path


def test_collects_module_level_with_blocks_and_dag_functions(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "dags.py",
        """
        with DAG("assigned") as assigned:
            EmptyOperator(task_id="a")

        with DAG("unassigned"):
            EmptyOperator(task_id="b")

        @dag(schedule=None)
        def from_function():
            EmptyOperator(task_id="c")

        from_function()
        never_entered = DAG("not_collected", auto_register=False)
        """,
    )
    result = load_dag_file(path)
    assert result.import_errors == []
    assert sorted(d.dag_id for d in result.dags) == ["assigned", "from_function", "not_collected", "unassigned"]
    assert all(d.fileloc == str(path) for d in result.dags)


def test_syntax_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("from dagmap import DAG\nwith DAG('x') as dag:\n    oops(\n")
    result = load_dag_file(path)
    assert result.dags == []
    (error,) = result.import_errors
    assert error.filename == str(path)
    assert f"{path}, line 3: SyntaxError" in error.error


def test_import_errors_and_dag_errors_name_file_and_line(tmp_path: Path) -> None:
    missing = write(tmp_path, "missing.py", "import not_a_module_anywhere\n")
    (error,) = load_dag_file(missing).import_errors
    assert f"{missing}, line 4: ModuleNotFoundError" in error.error and "not_a_module_anywhere" in error.error
    bad_task = write(
        tmp_path,
        "bad_task.py",
        """
        @task
        def add(x: int) -> int:
            return x

        with DAG("bad"):
            add.expand(x="abc")
        """,
    )
    (error,) = load_dag_file(bad_task).import_errors
    assert f"{bad_task}, line 10: MappingDefinitionError" in error.error
    assert "DAG 'bad', task 'add', argument 'x': cannot map over a str" in error.error
    assert "Traceback (most recent call last)" in error.error


def test_validation_errors_skip_only_the_bad_dag(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "two.py",
        """
        with DAG("good"):
            EmptyOperator(task_id="a")
        with DAG("cyclic"):
            a, b = EmptyOperator(task_id="a"), EmptyOperator(task_id="b")
            a >> b >> a
        """,
    )
    result = load_dag_file(path)
    assert [d.dag_id for d in result.dags] == ["good"]
    (error,) = result.import_errors
    assert "CycleError" in error.error and "cycle: a -> b -> a" in error.error and str(path) in error.error


def test_a_broken_file_does_not_stop_the_folder(tmp_path: Path) -> None:
    write(tmp_path, "a_good.py", 'with DAG("one"):\n    EmptyOperator(task_id="x")\n')
    (tmp_path / "b_broken.py").write_text("# a dag file\nraise RuntimeError('boom')\n")
    write(tmp_path, "c_good.py", 'with DAG("two"):\n    EmptyOperator(task_id="x")\n')
    result = load_dags_folder(tmp_path)
    assert sorted(result.dags) == ["one", "two"]
    (error,) = result.import_errors
    assert error.filename == str(tmp_path / "b_broken.py") and "RuntimeError: boom" in error.error


def test_duplicate_dag_ids_are_an_error_in_the_second_file(tmp_path: Path) -> None:
    first = write(tmp_path, "first.py", 'with DAG("same"):\n    EmptyOperator(task_id="x")\n')
    second = write(tmp_path, "second.py", 'with DAG("same"):\n    EmptyOperator(task_id="y")\n')
    result = load_dags_folder(tmp_path)
    assert result.dags["same"].fileloc == str(first)
    (error,) = result.import_errors
    assert error.filename == str(second) and f"already defined in {first}" in error.error


def test_safe_mode_ignore_files_and_helper_imports(tmp_path: Path) -> None:
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("")
    (tmp_path / "helpers" / "names.py").write_text("DAG_NAME = 'from_helper'\n")
    write(tmp_path, "uses_helper.py", "from helpers.names import DAG_NAME\nwith DAG(DAG_NAME):\n    pass\n")
    (tmp_path / "no_keyword.py").write_text("raise RuntimeError('never imported')\n")
    write(tmp_path, "skipped/ignored.py", "raise RuntimeError('ignored')\n")
    write(tmp_path, "sub/scratch_test.py", "raise RuntimeError('ignored')\n")
    write(tmp_path, "sub/kept.py", 'with DAG("kept"):\n    pass\n')
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.py").write_text("dag")
    (tmp_path / ".dagmapignore").write_text("# comment\nskipped/\nhelpers\n")
    (tmp_path / "sub" / ".dagmapignore").write_text("*_test.py\n")
    files = [p.relative_to(tmp_path).as_posix() for p in list_dag_files(tmp_path)]
    assert files == ["uses_helper.py", "sub/kept.py"]  # a folder's files, then its subfolders
    result = load_dags_folder(tmp_path)
    assert result.import_errors == [] and sorted(result.dags) == ["from_helper", "kept"]
    everything = [p.relative_to(tmp_path).as_posix() for p in list_dag_files(tmp_path, safe_mode=False)]
    assert "no_keyword.py" in everything


def test_reloading_a_file_gives_fresh_objects(tmp_path: Path) -> None:
    path = write(tmp_path, "again.py", 'with DAG("again"):\n    EmptyOperator(task_id="x")\n')
    first, second = load_dag_file(path).dags[0], load_dag_file(path).dags[0]
    assert first is not second and second.dag_id == "again"


def test_a_file_failing_inside_a_with_block_leaves_no_active_dag(tmp_path: Path) -> None:
    write(tmp_path, "half.py", 'with DAG("half"):\n    raise ValueError("mid-way")\n')
    assert load_dag_file(tmp_path / "half.py").import_errors
    path = write(tmp_path, "after.py", 'op = EmptyOperator(task_id="loose")\nwith DAG("after"):\n    pass\n')
    result = load_dag_file(path)
    assert result.dags[0].task_ids == []
