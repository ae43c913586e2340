"""Tasks that run their callable in another interpreter: a new venv, a cached venv (mapped), another Python."""

import os
import sys
from datetime import datetime

from dagmap import DAG, task
from dagmap.operators.python import ExternalPythonOperator, PythonVirtualenvOperator

CACHE = os.path.join(os.environ["DAGMAP_HOME"], "venvs")


def where(label, ds):
    import sys

    return {"label": label, "prefix": sys.prefix, "ds": ds}


def with_six():
    import six

    return six.__name__


def exits():
    import sys

    print("about to leave")
    sys.exit(99)


def breaks():
    raise ValueError("broken in the venv")


def wants_ti(ti):
    return ti


with DAG("virtualenv_tasks", start_date=datetime(2024, 1, 1), schedule=None):
    PythonVirtualenvOperator(
        task_id="fresh", python_callable=where, op_kwargs={"label": "fresh"}, system_site_packages=False
    )
    PythonVirtualenvOperator(
        task_id="installs",
        python_callable=with_six,
        requirements=["six"],
        system_site_packages=False,
        venv_cache_path=CACHE,
    )

    @task.virtualenv(venv_cache_path=CACHE, system_site_packages=False)
    def square(x: int) -> int:
        import sys

        assert "site-packages" not in "".join(p for p in sys.path if "dagmap" in p)
        return x * x

    @task
    def total(values):
        return sum(values)

    total(square.expand(x=[1, 2, 3]))

    ExternalPythonOperator(
        task_id="external",
        python=os.environ.get("EXTERNAL_PYTHON", sys.executable),
        python_callable=where,
        op_args=["external"],
    )
    PythonVirtualenvOperator(task_id="skips", python_callable=exits, skip_on_exit_code=99)
    PythonVirtualenvOperator(task_id="fails", python_callable=breaks)
    PythonVirtualenvOperator(task_id="refused", python_callable=wants_ti)

    @task.branch_virtualenv(venv_cache_path=CACHE)
    def choose():
        return "chosen"

    @task
    def chosen():
        return "ran"

    @task
    def other():
        return "ran"

    choose() >> [chosen(), other()]
