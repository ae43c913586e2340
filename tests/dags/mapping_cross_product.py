"""Several expand arguments: the cross product, last argument varying fastest.

expect:
  run: success
  multiply[0..5]: success -> ["2x5", "2x10", "4x5", "4x10", "8x5", "8x10"]
  collect: success -> ["2x5", "2x10", "4x5", "4x10", "8x5", "8x10"]
"""

from datetime import datetime

from dagmap import DAG, task

with DAG("mapping_cross_product", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def multiply(x: int, y: int) -> str:
        return f"{x}x{y}"

    @task
    def collect(values) -> list[str]:
        return list(values)

    collect(multiply.expand(x=[2, 4, 8], y=[5, 10]))
