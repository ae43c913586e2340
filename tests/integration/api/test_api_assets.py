"""Assets and asset events through the real API server: a producer DAG with outlets (one mapped) runs, the
scheduler creates the consumer's asset-triggered run, and the API lists the assets, the events (paged, filtered,
with the runs they triggered) and a run's upstream events, each page in a fixed number of statements. Also the
DAG list's ``with_latest_runs``, one query whatever the number of DAGs."""

from __future__ import annotations

from typing import Any

import pytest
from api_harness import Api, counted

from dagmap.services import api_views, assets
from dagmap.store import db

ORDERS = "s3://shop/orders.parquet"
PRICES = "s3://shop/prices.parquet"


@pytest.fixture(scope="module")
def produced(api: Api) -> dict[str, str]:
    """The producer's run, driven to its end, and the consumer's run the scheduler created from its events."""
    from dagmap.scheduler import maintenance
    from dagmap.store.queries._sql import utcnow

    producer = f"produce-{api.kind}"
    api.trigger("asset_producer", producer)
    assert api.drive("asset_producer", producer) == "success"
    with api.settings(), db.session_scope(api.db_url) as session:
        assert maintenance.create_asset_triggered_runs(session, utcnow()) == 1
    runs = api.client.get("/dags/asset_consumer/dagRuns").json()["dag_runs"]
    assert [run["run_type"] for run in runs] == ["asset_triggered"]
    return {"producer": producer, "consumer": runs[0]["dag_run_id"]}


def test_assets_with_consumers_producers_and_last_event(api: Api, produced: dict[str, str]) -> None:
    found = api.client.get("/assets").json()
    assert found["total_entries"] == 2
    orders, prices = found["assets"]
    assert (orders["uri"], orders["name"], orders["group"]) == (ORDERS, "orders", "asset")
    assert orders["consuming_dags"] == ["asset_consumer"]
    assert orders["producing_tasks"] == [{"dag_id": "asset_producer", "task_id": "extract"}]
    assert prices["producing_tasks"] == [{"dag_id": "asset_producer", "task_id": "load"}]
    assert isinstance(orders["id"], int) and orders["extra"] == {} and orders["created_at"]
    last = prices["last_event"]
    assert last["asset_uri"] == PRICES and last["extra"] == {"rows": 7} and last["source_map_index"] == -1
    assert (last["source_dag_id"], last["source_task_id"], last["source_run_id"]) == (
        "asset_producer",
        "load",
        produced["producer"],
    )
    assert [(r["dag_id"], r["dag_run_id"]) for r in last["created_dagruns"]] == [
        ("asset_consumer", produced["consumer"])
    ]
    assert orders["last_event"]["source_task_id"] == "extract" and orders["last_event"]["source_map_index"] in {0, 1, 2}
    second = api.client.get("/assets", params={"limit": 1, "offset": 1}).json()
    assert [a["uri"] for a in second["assets"]] == [PRICES] and second["total_entries"] == 2
    assert api.client.get("/assets", params={"offset": 5}).json() == {"assets": [], "total_entries": 2}
    matched = api.client.get("/assets", params={"uri_pattern": "orders"}).json()
    assert [a["uri"] for a in matched["assets"]] == [ORDERS] and matched["total_entries"] == 1
    assert api.client.get("/assets", params={"uri_pattern": "%"}).json()["total_entries"] == 0


def test_events_newest_first_paged_and_filtered(api: Api, produced: dict[str, str]) -> None:
    found = api.client.get("/assets/events", params={"asset_uri": ORDERS}).json()
    assert found["total_entries"] == 3
    events = found["asset_events"]
    assert sorted(e["source_map_index"] for e in events) == [0, 1, 2]
    assert [e["timestamp"] for e in events] == sorted((e["timestamp"] for e in events), reverse=True)
    assert all(e["asset_uri"] == ORDERS and e["source_run_id"] == produced["producer"] for e in events)
    assert all(
        [(r["dag_id"], r["dag_run_id"]) for r in e["created_dagruns"]] == [("asset_consumer", produced["consumer"])]
        for e in events
    )
    page = api.client.get("/assets/events", params={"asset_uri": ORDERS, "limit": 2, "offset": 2}).json()
    assert [e["id"] for e in page["asset_events"]] == [events[2]["id"]] and page["total_entries"] == 3
    every = api.client.get("/assets/events", params={"source_dag_id": "asset_producer"}).json()
    assert every["total_entries"] == 4 and {e["asset_uri"] for e in every["asset_events"]} == {ORDERS, PRICES}
    assert api.client.get("/assets/events", params={"source_dag_id": "nope"}).json() == {
        "asset_events": [],
        "total_entries": 0,
    }
    missing = api.client.get("/assets/events", params={"asset_uri": "s3://nope"})
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"] == "AssetNotFound" and "s3://nope" in missing.json()["detail"]
    assert api.client.get("/assets/events", params={"limit": 0}).status_code == 422


def test_upstream_asset_events_of_a_run(api: Api, produced: dict[str, str]) -> None:
    found = api.client.get(f"{api.run_path('asset_consumer', produced['consumer'])}/upstreamAssetEvents").json()
    assert found["total_entries"] == 4
    events = found["asset_events"]
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    assert sorted((e["asset_uri"], e["source_map_index"]) for e in events) == [
        (ORDERS, 0),
        (ORDERS, 1),
        (ORDERS, 2),
        (PRICES, -1),
    ]
    path = f"{api.run_path('asset_consumer', produced['consumer'])}/upstreamAssetEvents"
    page = api.client.get(path, params={"limit": 2, "offset": 3}).json()
    assert [e["id"] for e in page["asset_events"]] == [events[3]["id"]] and page["total_entries"] == 4
    producer = api.client.get(f"{api.run_path('asset_producer', produced['producer'])}/upstreamAssetEvents")
    assert producer.json() == {"asset_events": [], "total_entries": 0}
    missing_run = api.client.get(f"{api.run_path('asset_consumer', 'nope')}/upstreamAssetEvents")
    assert missing_run.status_code == 404 and missing_run.json()["type"] == "DagRunNotFound"
    assert api.client.get(f"{api.run_path('nope', 'nope')}/upstreamAssetEvents").json()["type"] == "DagNotFound"


def test_asset_pages_take_a_fixed_number_of_statements(api: Api, produced: dict[str, str]) -> None:
    with api.settings(), db.session_scope(api.db_url) as session:
        with counted(api.db_url) as statements:
            page = assets.asset_page(session, limit=100, offset=0)
        assert len(page.rows) == 2 and all(row.last_event for row in page.rows)
        assert len(statements) <= 6, statements
        with counted(api.db_url) as statements:
            events = assets.event_page(session, limit=100, offset=0)
        assert len(events.rows) == 4 and all(row.created_runs for row in events.rows)
        assert len(statements) <= 3, statements


def test_dag_list_with_latest_runs_and_asset_expression(api: Api, produced: dict[str, str]) -> None:
    plain = api.client.get("/dags").json()["dags"]
    assert all(dag["latest_runs"] is None for dag in plain)
    found = {dag["dag_id"]: dag for dag in api.client.get("/dags", params={"with_latest_runs": 5}).json()["dags"]}
    assert found["asset_producer"]["latest_runs"] == [
        {
            "dag_run_id": produced["producer"],
            "state": "success",
            "logical_date": found["asset_producer"]["latest_runs"][0]["logical_date"],
            "run_type": "manual",
        }
    ]
    assert [run["dag_run_id"] for run in found["asset_consumer"]["latest_runs"]] == [produced["consumer"]]
    assert found["asset_consumer"]["latest_runs"][0]["run_type"] == "asset_triggered"
    assert found["fan_out"]["latest_runs"] == []
    assert found["asset_consumer"]["timetable_summary"] == "Asset"
    expression: dict[str, Any] = found["asset_consumer"]["asset_expression"]
    assert [item["asset"]["uri"] for item in expression["all"]] == [ORDERS, PRICES]
    assert found["asset_producer"]["asset_expression"] is None
    one = api.client.get("/dags/asset_consumer").json()
    assert one["asset_expression"] == expression and one["latest_runs"] is None
    patched = api.client.patch("/dags/asset_consumer", json={"is_paused": False}).json()
    assert patched["asset_expression"] == expression and patched["is_paused"] is False
    assert api.client.get("/dags", params={"with_latest_runs": 101}).status_code == 422


def test_latest_runs_of_many_dags_in_one_query(api: Api, produced: dict[str, str]) -> None:
    """The statements of a page of one DAG and of a page of every DAG are the same: none is per DAG."""
    with api.settings(), db.session_scope(api.db_url) as session:
        with counted(api.db_url) as one:
            page = api_views.list_dags(session, limit=1, offset=2, latest_runs=5)
        assert [row.dag_id for row in page.rows] == ["asset_consumer"] and page.latest_runs
        with counted(api.db_url) as every:
            page = api_views.list_dags(session, limit=100, offset=0, latest_runs=5)
        assert len(page.rows) == 8 and len(page.latest_runs or {}) >= 3
    one, every = ([text for text in found if not text.startswith("BEGIN")] for found in (one, every))
    assert len(every) == len(one) <= 3, every
    ranked = [text for text in every if "dag_run" in text]
    assert len(ranked) == 1 and "row_number() OVER" in ranked[0], every
