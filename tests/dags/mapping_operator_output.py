"""A classic operator mapped over another classic operator's output (``op.output``).

expect:
  run: success
  make_args: success -> [[1], [2], [3]]
  times_hundred[0..2]: success -> [100, 200, 300]
"""

from datetime import datetime

from dagmap import DAG
from dagmap.operators import PythonOperator


def make_args():
    return [[1], [2], [3]]


def times_hundred(x):
    return x * 100


with DAG("mapping_operator_output", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    producer = PythonOperator(task_id="make_args", python_callable=make_args)
    PythonOperator.partial(task_id="times_hundred", python_callable=times_hundred).expand(op_args=producer.output)
