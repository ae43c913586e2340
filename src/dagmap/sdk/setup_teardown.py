"""Setup and teardown tasks (``as_setup``, ``as_teardown``, ``@setup``, ``@teardown``): not supported yet.

Each of Airflow's entry points exists so that a DAG using them fails with a DagDefinitionError that says so,
not with an AttributeError or ImportError.
"""

from __future__ import annotations

from typing import Any, NoReturn

from dagmap.errors import DagDefinitionError


def refuse_setup_teardown(what: str, task_id: str | None = None) -> NoReturn:
    raise DagDefinitionError(
        f"setup and teardown tasks ({what}) are not supported by dagmap yet; see 'Not yet supported' in "
        "docs/differences-from-airflow.md",
        task_id=task_id,
    )


def setup(*args: Any, **kwargs: Any) -> NoReturn:
    """Airflow's ``@setup``: not supported yet."""
    refuse_setup_teardown("@setup")


def teardown(*args: Any, **kwargs: Any) -> NoReturn:
    """Airflow's ``@teardown``: not supported yet."""
    refuse_setup_teardown("@teardown")
