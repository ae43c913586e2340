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
"""Setup and teardown tasks with TaskFlow: ``as_teardown(setups=...)``, ``@setup`` / ``@teardown`` and a
teardown used as a context manager around plain work and a task group.

Port of Airflow's airflow-core/src/airflow/example_dags/example_setup_teardown_taskflow.py: the same DAG,
task ids and setup/teardown calls, bodies written for dagmap. Imports changed: airflow.sdk -> dagmap.

expect:
  run: success
  my_first_task: success -> 1
  my_second_task: success -> 2
  my_third_task: success -> 3
  outer_setup: success -> "cluster-outer"
  outer_work: success -> "outer work"
  section_1.inner_setup: success -> "cluster-inner"
  section_1.inner_work: success -> "worked on cluster-inner"
  section_1.inner_teardown: success -> "removed cluster-inner"
  outer_teardown: success -> "removed cluster-outer"
"""

from __future__ import annotations

import pendulum

from dagmap import DAG, setup, task, task_group, teardown

with DAG(
    dag_id="example_setup_teardown_taskflow",
    schedule=None,
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example"],
) as dag:

    @task
    def my_first_task():
        return 1

    @task
    def my_second_task():
        return 2

    @task
    def my_third_task():
        return 3

    # as_teardown(setups=...) makes the first task a setup and links it to the teardown.
    task_1 = my_first_task()
    task_2 = my_second_task()
    task_3 = my_third_task()
    task_1 >> task_2 >> task_3.as_teardown(setups=task_1)

    @setup
    def outer_setup():
        return "cluster-outer"

    @teardown
    def outer_teardown(cluster_id):
        return f"removed {cluster_id}"

    @task
    def outer_work():
        return "outer work"

    @task_group
    def section_1():
        @setup
        def inner_setup():
            return "cluster-inner"

        @task
        def inner_work(cluster_id):
            return f"worked on {cluster_id}"

        @teardown
        def inner_teardown(cluster_id):
            return f"removed {cluster_id}"

        cluster = inner_setup()
        inner_work(cluster) >> inner_teardown(cluster)

    # The teardown (given its setup's output) as a context manager: what is made inside goes between them.
    with outer_teardown(outer_setup()):
        outer_work()
        section_1()
