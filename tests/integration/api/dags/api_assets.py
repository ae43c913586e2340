"""A producer of two assets (one by a mapped task: one event per instance) and a DAG scheduled on both: the API
tests run the producer and let the scheduler create the consumer's asset-triggered run."""

from datetime import datetime

from dagmap import DAG, Asset, task

orders = Asset("s3://shop/orders.parquet", name="orders")
prices = Asset("s3://shop/prices.parquet")

with DAG("asset_producer", schedule=None, start_date=datetime(2024, 1, 1), tags=["api"]):

    @task(outlets=[orders])
    def extract(region):
        return region

    @task(outlets=[prices])
    def load(outlet_events=None):
        outlet_events[prices].extra = {"rows": 7}

    extract.expand(region=["eu", "us", "asia"])
    load()

with DAG("asset_consumer", schedule=orders & prices, start_date=datetime(2024, 1, 1), is_paused_upon_creation=False):

    @task
    def report():
        return "done"

    report()
