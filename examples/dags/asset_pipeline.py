"""Data-aware scheduling (docs/assets.md): ``orders_extract`` extracts one mapped instance per region, then
publishes the day's orders — an update of the ``orders`` asset, with the row count as the event's extra.
``orders_report`` has no time schedule: it runs each time ``orders`` is updated, and reads the events that
triggered it. In the web UI (``make run``) the Assets page shows the asset, its producer and its consumer."""

from datetime import datetime

from dagmap import DAG, Asset, task

ORDERS = Asset("s3://shop/orders/daily.parquet", name="orders")

with DAG("orders_extract", schedule=None, start_date=datetime(2024, 1, 1), tags=["example", "assets"]):

    @task
    def extract(region: str) -> int:
        return {"eu": 120, "us": 80, "apac": 45}[region]  # rows extracted for the region

    @task(outlets=[ORDERS])
    def publish(counts, outlet_events=None) -> int:
        total = sum(counts)
        outlet_events[ORDERS].extra = {"rows": total, "regions": len(counts)}
        return total

    publish(extract.expand(region=["eu", "us", "apac"]))

with DAG("orders_report", schedule=[ORDERS], start_date=datetime(2024, 1, 1), tags=["example", "assets"]):

    @task
    def report(triggering_asset_events=None) -> dict:
        events = triggering_asset_events[ORDERS]
        return {"updates": len(events), "rows": sum(event.extra["rows"] for event in events)}

    report()
