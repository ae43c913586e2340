"""PythonOperator, BashOperator and EmptyOperator, executed directly (no runner)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dagmap import DAG, AirflowSkipException
from dagmap.errors import DagDefinitionError, DagmapError
from dagmap.operators import BashOperator, EmptyOperator, PythonOperator
from dagmap.sdk.runtime import InMemoryXComSource, prepare_task_for_run


def rendered(operator: Any, context: dict[str, Any]) -> Any:
    prepared = prepare_task_for_run(operator, map_index=-1, xcom=InMemoryXComSource())
    prepared.render_template_fields(context)
    return prepared


def test_python_operator_arguments_and_context() -> None:
    def function(a: int, b: int, ds: str, templates_dict: dict[str, Any] | None = None, **rest: Any) -> Any:
        return a, b, ds, templates_dict, sorted(rest)

    with DAG("d"):
        operator = PythonOperator(
            task_id="p",
            python_callable=function,
            op_args=[1],
            op_kwargs={"b": "{{ ds }}"},
            templates_dict={"q": "{{ ds_nodash }}"},
        )
    context = {"ds": "2024-01-01", "ds_nodash": "20240101", "run_id": "r"}
    prepared = rendered(operator, context)
    assert prepared.execute(dict(context)) == (
        1,
        "2024-01-01",
        "2024-01-01",
        {"q": "20240101"},
        ["ds_nodash", "run_id"],
    )


def test_python_operator_template_file_extensions(tmp_path: Path) -> None:
    (tmp_path / "query.sql").write_text("select '{{ ds }}'")
    with DAG("d", fileloc=str(tmp_path / "dag.py")):
        operator = PythonOperator(
            task_id="p", python_callable=lambda templates_dict: templates_dict["sql"],
            templates_dict={"sql": "query.sql"}, templates_exts=[".sql"],
        )  # fmt: skip
    assert rendered(operator, {"ds": "X"}).execute({}) == "select 'X'"


def test_python_operator_needs_a_callable() -> None:
    with pytest.raises(DagDefinitionError, match="python_callable must be callable"):
        PythonOperator(task_id="p", python_callable="nope")  # type: ignore[arg-type]


def test_python_operator_logs_the_return_value(caplog: pytest.LogCaptureFixture) -> None:
    quiet = PythonOperator(task_id="q", python_callable=lambda: "secret", show_return_value_in_logs=False)
    loud = PythonOperator(task_id="l", python_callable=lambda: "shown")
    with caplog.at_level("INFO", logger="dagmap.task"):
        assert quiet.execute({}) == "secret" and loud.execute({}) == "shown"
    assert "secret" not in caplog.text and "Returned value was: 'shown'" in caplog.text


def test_bash_pushes_the_last_line_including_stderr() -> None:
    operator = BashOperator(task_id="b", bash_command="echo first; echo second >&2")
    assert operator.execute({}) == "second"


def test_bash_exit_codes() -> None:
    with pytest.raises(DagmapError, match="non-zero exit code 3"):
        BashOperator(task_id="b", bash_command="exit 3").execute({})
    with pytest.raises(AirflowSkipException, match="exit code 99"):
        BashOperator(task_id="b", bash_command="exit 99").execute({})
    with pytest.raises(AirflowSkipException):
        BashOperator(task_id="b", bash_command="exit 4", skip_on_exit_code=[4, 5]).execute({})
    with pytest.raises(DagmapError, match="exit code 99"):
        BashOperator(task_id="b", bash_command="exit 99", skip_on_exit_code=None).execute({})
    with pytest.raises(DagmapError, match="non-empty string"):
        BashOperator(task_id="b", bash_command=" ").execute({})


def test_bash_environment_working_directory_and_context_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTER", "outer")
    only = BashOperator(task_id="b", bash_command='echo "${OUTER:-none} $MINE"', env={"MINE": "m"})
    assert only.execute({}) == "none m"
    appended = BashOperator(task_id="b", bash_command='echo "$OUTER $MINE"', env={"MINE": "m"}, append_env=True)
    assert appended.execute({}) == "outer m"
    inherited = BashOperator(task_id="b", bash_command="echo $OUTER")
    assert inherited.execute({}) == "outer"
    assert BashOperator(task_id="b", bash_command="pwd", cwd=str(tmp_path)).execute({}) == str(tmp_path)
    temporary = BashOperator(task_id="b", bash_command="pwd").execute({})
    assert "dagmaptmp" in temporary and not Path(temporary).exists()
    with pytest.raises(DagmapError, match="does not exist"):
        BashOperator(task_id="b", bash_command="pwd", cwd=str(tmp_path / "missing")).execute({})

    class TI:
        dag_id, task_id, try_number = "d", "b", 2

    assert (
        BashOperator(task_id="b", bash_command="echo $AIRFLOW_CTX_TASK_ID $AIRFLOW_CTX_TRY_NUMBER").execute(
            {"ti": TI(), "run_id": "r"}
        )
        == "b 2"
    )


def test_bash_script_files_are_templates(tmp_path: Path) -> None:
    (tmp_path / "script.sh").write_text("echo {{ params.word }}\n")
    with DAG("d", fileloc=str(tmp_path / "dag.py")):
        operator = BashOperator(task_id="b", bash_command="script.sh")
    assert rendered(operator, {"params": {"word": "hey"}}).execute({}) == "hey"


def test_bash_output_processor_and_encoding() -> None:
    operator = BashOperator(task_id="b", bash_command="printf 'caf\\xc3\\xa9'", output_processor=str.upper)
    assert operator.execute({}) == "CAFÉ"


def test_empty_operator() -> None:
    assert EmptyOperator(task_id="e").execute({}) is None
