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
"""Example DAG demonstrating the usage of the branching TaskFlow API decorators.

Port of Airflow's providers/standard/src/airflow/providers/standard/example_dags/example_branch_operator_decorator.py.
Imports changed: airflow.providers.standard.operators.empty -> dagmap.operators.empty, airflow.sdk -> dagmap,
airflow.sdk.api.datamodels._generated.TriggerRule -> dagmap.TriggerRule. Left out (not supported by dagmap
yet): the ``@task.branch_external_python`` / ``@task.external_python`` and ``@task.branch_virtualenv`` /
``@task.virtualenv`` sections (branching_ext_python, ext_py_*, join_ext_py, branching_virtualenv, venv_*,
join_venv).

expect:
  run: success
  run_this_first: success
  branching: success
  join: success

one of:
  branch_a branch_b branch_c branch_d: success, else skipped
  follow_a follow_b follow_c follow_d: success, else skipped
"""

from __future__ import annotations

import random

import pendulum

from dagmap import DAG, Label, TriggerRule, task
from dagmap.operators.empty import EmptyOperator

with DAG(
    dag_id="example_branch_python_operator_decorator",
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    schedule="@daily",
    tags=["example", "example2"],
) as dag:
    run_this_first = EmptyOperator(task_id="run_this_first")

    options = ["a", "b", "c", "d"]

    # Example branching on standard Python tasks

    # [START howto_operator_branch_python]
    @task.branch()
    def branching(choices: list[str]) -> str:
        return f"branch_{random.choice(choices)}"

    # [END howto_operator_branch_python]

    random_choice_instance = branching(choices=options)

    run_this_first >> random_choice_instance

    join = EmptyOperator(task_id="join", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)

    for option in options:

        @task(task_id=f"branch_{option}")
        def some_task():
            print("doing something in Python")

        t = some_task()
        empty = EmptyOperator(task_id=f"follow_{option}")

        # Label is optional here, but it can help identify more complex branches
        random_choice_instance >> Label(option) >> t >> empty >> join
