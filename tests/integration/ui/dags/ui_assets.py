"""The UI tests' assets: a producer (a mapped task with an outlet: one event per instance, and a task whose
event has an extra) and a DAG scheduled on both assets. An asset name holds markup, shown as text."""

from datetime import datetime

from dagmap import DAG, Asset, task

orders = Asset("s3://ui/orders.parquet", name="orders")
prices = Asset("s3://ui/prices.parquet", name="<img src=x onerror=alert(1)>prices")

with DAG("ui_asset_producer", start_date=datetime(2024, 1, 1), schedule=None, tags=["ui"]):

    @task(outlets=[orders])
    def extract(region: str) -> str:
        return region

    @task(outlets=[prices])
    def load(outlet_events=None) -> None:
        outlet_events[prices].extra = {"rows": "<b>7</b>"}

    extract.expand(region=[f"region {n}" for n in range(30)])  # 30 events: more than a page of 25
    load()

with DAG("ui_asset_consumer", start_date=datetime(2024, 1, 1), schedule=orders & prices, is_paused_upon_creation=False):

    @task
    def report() -> str:
        return "done"

    report()
