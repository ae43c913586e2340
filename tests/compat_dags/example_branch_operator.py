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
"""Example Dag demonstrating the usage of the Classic branching Python operators.

Port of Airflow's providers/standard/src/airflow/providers/standard/example_dags/example_branch_operator.py.
Imports changed: airflow.providers.standard.operators.empty -> dagmap.operators.empty,
airflow.providers.standard.operators.python -> dagmap.operators.python, airflow.sdk -> dagmap,
airflow.utils.trigger_rule -> dagmap.utils.trigger_rule. Left out (not supported by dagmap yet): the
BranchExternalPythonOperator / ExternalPythonOperator and BranchPythonVirtualenvOperator /
PythonVirtualenvOperator sections (branching_ext_python, ext_py_*, join_ext_python, branching_venv,
venv_*, join_venv).

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

from dagmap import DAG, Label
from dagmap.operators.empty import EmptyOperator
from dagmap.operators.python import BranchPythonOperator, PythonOperator

try:
    from dagmap import TriggerRule
except ImportError:
    # Compatibility for Airflow < 3.1
    from dagmap.utils.trigger_rule import TriggerRule  # type: ignore[no-redef,attr-defined]

with DAG(
    dag_id="example_branch_operator",
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    schedule="@daily",
    tags=["example", "example2"],
) as dag:
    run_this_first = EmptyOperator(
        task_id="run_this_first",
    )

    options = ["a", "b", "c", "d"]

    # Example branching on standard Python tasks

    # [START howto_operator_branch_python]
    branching = BranchPythonOperator(
        task_id="branching",
        python_callable=lambda: f"branch_{random.choice(options)}",
    )
    # [END howto_operator_branch_python]
    run_this_first >> branching

    join = EmptyOperator(
        task_id="join",
        trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS,
    )

    for option in options:
        t = PythonOperator(
            task_id=f"branch_{option}",
            python_callable=lambda: print("Hello World"),
        )

        empty_follow = EmptyOperator(
            task_id="follow_" + option,
        )

        # Label is optional here, but it can help identify more complex branches
        branching >> Label(option) >> t >> empty_follow >> join
