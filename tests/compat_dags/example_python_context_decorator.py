#
# Licensed to the Apache Software Foundation (ASF) under one
# or more contributor license agreements.  See the NOTICE file
# distributed with this work for additional information
# regarding copyright ownership.  The ASF licenses this file
# to you under the Apache License, Version 2.0 (the
# "License"); you may not use this file except in compliance
# with the License.  You may obtain a copy of the License at
#
#   http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing,
# software distributed under the License is distributed on an
# "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY
# KIND, either express or implied.  See the License for the
# specific language governing permissions and limitations
# under the License.
"""
Example DAG demonstrating the usage of the PythonOperator with `get_current_context()` to get the current context.

Also, demonstrates the usage of the TaskFlow API.

Port of Airflow 2's airflow/example_dags/example_python_context_decorator.py. Imports changed:
airflow.decorators -> dagmap.decorators, airflow.operators.python -> dagmap.operators.python (inside the task).
Left out (not supported by dagmap yet): the ``@task.virtualenv`` and ``@task.external_python`` tasks
print_the_context_venv and print_the_context_external, and so the last line linking them.

expect:
  run: success
  print_the_context: success -> "Whatever you return gets printed in the logs"
"""

from __future__ import annotations

import sys

import pendulum

from dagmap.decorators import dag, task

SOME_EXTERNAL_PYTHON = sys.executable


@dag(
    schedule=None,
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example"],
)
def example_python_context_decorator():
    # [START get_current_context]
    @task(task_id="print_the_context")
    def print_context() -> str:
        """Print the Airflow context."""
        from pprint import pprint

        from dagmap.operators.python import get_current_context

        context = get_current_context()
        pprint(context)
        return "Whatever you return gets printed in the logs"

    print_the_context = print_context()
    # [END get_current_context]


example_python_context_decorator()
