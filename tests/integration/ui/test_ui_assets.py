"""Assets in the web UI (Chromium, real api-server): the DAG list reads every DAG's latest runs in one request
and spells out an asset schedule; the Assets page lists assets with their consumers, producers and latest event,
an asset's events link to the task instances that produced them and the runs they triggered; the panel of an
asset-triggered run lists its triggering events. Asset names and extras are shown as text."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from ui_harness import RUN, Site, need_chromium

from dagmap.config import reset_settings
from dagmap.store import db

need_chromium()

from playwright.sync_api import Page, Request, expect  # noqa: E402

ORDERS = "s3://ui/orders.parquet"
PRICES = "s3://ui/prices.parquet"


@pytest.fixture(scope="module")
def consumer_run(site: Site) -> Iterator[str]:
    """The asset-triggered run the scheduler creates from the producer's events (one scheduler step, here)."""
    from dagmap.scheduler import maintenance
    from dagmap.store.queries._sql import utcnow

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGMAP_HOME", str(site.home))
        patch.setenv("DAGMAP__CORE__DAGS_FOLDER", str(site.dags))
        patch.delenv("DAGMAP__DATABASE__SQL_ALCHEMY_CONN", raising=False)
        reset_settings()
        db.dispose_engines()
        try:
            with db.session_scope() as session:
                assert maintenance.create_asset_triggered_runs(session, utcnow()) == 1
        finally:
            db.dispose_engines()
            reset_settings()
    runs = site.api.get("/dags/ui_asset_consumer/dagRuns").json()["dag_runs"]
    assert [run["run_type"] for run in runs] == ["asset_triggered"]
    yield runs[0]["dag_run_id"]


def test_dag_list_reads_latest_runs_in_one_request_and_shows_asset_schedules(
    site: Site, page: Page, consumer_run: str
) -> None:
    requests: list[str] = []

    def record(request: Request) -> None:
        if "/api/v1/" in request.url:
            requests.append(request.url)

    page.on("request", record)
    page.goto(site.base + "/")
    consumer = page.locator("tr[data-dag-id='ui_asset_consumer']")
    expect(consumer.locator(".schedule")).to_have_text(f"Asset: {ORDERS} & {PRICES}")
    expect(consumer.locator(".run-dot")).to_have_count(1)
    expect(page.locator("tr[data-dag-id='ui_asset_producer'] .run-dot.state-success")).to_have_count(1)
    expect(page.locator("tr[data-dag-id='mapping_task_group'] .run-dot.state-failed")).to_have_count(1)
    assert not [url for url in requests if "/dagRuns" in url], requests
    assert len([url for url in requests if "/api/v1/dags?" in url and "with_latest_runs=" in url]) == 1, requests
    page.get_by_role("link", name="ui_asset_consumer", exact=True).click()
    expect(page.locator(".page-head .schedule")).to_have_text(f"Asset: {ORDERS} & {PRICES}")


def test_assets_page_lists_assets_and_an_asset_s_events(site: Site, page: Page, consumer_run: str) -> None:
    page.goto(site.base + "/")
    page.get_by_role("navigation", name="main").get_by_role("link", name="Assets").click()
    expect(page).to_have_url(site.base + "/assets")
    rows = page.locator(".asset-table tbody tr")
    expect(rows).to_have_count(2)
    orders = page.locator(f"tr[data-uri='{ORDERS}']")
    expect(orders.locator(".consumers")).to_have_text("ui_asset_consumer")
    expect(orders.locator(".producers")).to_have_text("ui_asset_producer.extract")
    expect(orders.locator(".last-event")).to_contain_text("ui_asset_producer.extract")
    prices = page.locator(f"tr[data-uri='{PRICES}']")
    expect(prices).to_contain_text("<img src=x onerror=alert(1)>prices")  # the name, as text
    expect(page.locator(".asset-table img")).to_have_count(0)
    prices.get_by_role("link", name=PRICES).click()
    expect(page).to_have_url(site.base + "/assets?uri=" + quote(PRICES, safe=""))
    events = page.locator(".asset-events tbody tr")
    expect(events).to_have_count(1)
    expect(events.locator(".extra")).to_have_text('{\n  "rows": "<b>7</b>"\n}')
    expect(page.locator(".asset-events b")).to_have_count(0)
    orders.get_by_role("link", name=ORDERS).click()
    expect(events).to_have_count(25)  # a page of the 30 events of the mapped producer, newest first
    pager = page.locator(".asset-events .pager")
    expect(pager.locator(".pager-info")).to_have_text("1-25 of 30")
    expect(events.locator("a.triggered-run")).to_have_text([f"ui_asset_consumer: {consumer_run}"] * 25)
    pager.get_by_role("button", name="Next").click()
    expect(pager.locator(".pager-info")).to_have_text("26-30 of 30")
    expect(events).to_have_count(5)
    shown = {int(text.split("[")[1].rstrip("]")) for text in events.locator("a.event-source").all_inner_texts()}
    pager.get_by_role("button", name="Previous").click()
    expect(events).to_have_count(25)
    first = {int(text.split("[")[1].rstrip("]")) for text in events.locator("a.event-source").all_inner_texts()}
    assert shown | first == set(range(30)) and not shown & first
    index = min(first)
    events.get_by_role("link", name=f"ui_asset_producer.extract[{index}]", exact=True).click()
    expect(page).to_have_url(
        f"{site.base}/dags/ui_asset_producer/runs/{quote(RUN, safe='')}/tasks/extract?map_index={index}"
    )
    expect(page.locator("#panel")).to_contain_text(f"extract[{index}]")


def test_run_panel_lists_the_triggering_asset_events(site: Site, page: Page, consumer_run: str) -> None:
    page.goto(f"{site.base}/dags/ui_asset_consumer/runs/{quote(consumer_run, safe='')}")
    section = page.locator("[data-panel=run] .upstream-events")
    expect(section.locator("h3")).to_have_text("Triggered by 31 asset events")
    expect(section.locator("tbody tr")).to_have_count(31)
    sources = set(section.locator("a.event-source").all_inner_texts())
    assert sources == {f"ui_asset_producer.extract[{n}]" for n in range(30)} | {"ui_asset_producer.load"}
    expect(section.locator("a.triggered-run").first).to_have_text(f"ui_asset_consumer: {consumer_run}")
    producer = page.goto(f"{site.base}/dags/ui_asset_producer/runs/{quote(RUN, safe='')}")
    assert producer is not None
    expect(page.locator("[data-panel=run] .fields")).to_be_visible()
    expect(page.locator("[data-panel=run] .upstream-events")).to_have_count(0)
