"""A run with 10,000 mapped instances: listed by page with its total, summarized in the grid and the graph,
each with a fixed number of SQL statements (never one per instance)."""

from __future__ import annotations

import pytest
from api_harness import Api, counted

from dagmap.services import api_summaries, api_views
from dagmap.store import db

WIDE = 10_000


@pytest.fixture(scope="module")
def wide_run(api: Api) -> str:
    run_id = f"wide-{api.kind}"
    api.trigger("api_wide", run_id)
    return run_id


def test_list_10000_instances_by_page(api: Api, wide_run: str) -> None:
    path = f"{api.run_path('api_wide', wide_run)}/taskInstances"
    first = api.client.get(path, params={"limit": 1000}).json()
    assert first["total_entries"] == WIDE + 1
    assert [ti["map_index"] for ti in first["task_instances"][:2]] == [0, 1]
    last = api.client.get(f"{path}/one/listMapped", params={"limit": 1000, "offset": 9500}).json()
    assert last["total_entries"] == WIDE
    assert [ti["map_index"] for ti in last["task_instances"]] == list(range(9500, WIDE))
    assert api.client.get(f"{path}/one/listMapped", params={"offset": WIDE}).json() == {
        "task_instances": [],
        "total_entries": WIDE,
    }


def test_grid_and_graph_of_10000_instances(api: Api, wide_run: str) -> None:
    grid = api.client.get("/dags/api_wide/grid").json()
    assert grid["dag_runs"][-1]["dag_run_id"] == wide_run
    one = next(task for task in grid["tasks"] if task["task_id"] == "one")
    assert one["instances"][wide_run] == {"state": None, "counts": {"none": WIDE}, "total": WIDE, "expanded": True}
    graph = api.client.get("/dags/api_wide/graph", params={"dag_run_id": wide_run}).json()
    assert next(node for node in graph["nodes"] if node["id"] == "one")["counts"] == {"none": WIDE}


def test_reads_of_10000_instances_take_a_fixed_number_of_statements(api: Api, wide_run: str) -> None:
    with api.settings(), db.session_scope(api.db_url) as session:
        with counted(api.db_url) as statements:
            page = api_views.list_instances(session, "api_wide", wide_run, limit=1000, offset=9000)
        assert len(page.rows) == 1000 and page.total == WIDE + 1
        paged = [text for text in statements if "task_instance" in text]
        assert len(paged) == 1 and "OVER" in paged[0] and "LIMIT" in paged[0], statements
        assert len(statements) <= 4, statements
        with counted(api.db_url) as statements:
            found = api_summaries.grid(session, "api_wide", limit=25)
        assert sum(found.tasks[0]["instances"][wide_run]["counts"].values()) == WIDE
        assert len(statements) <= 4, statements
        with counted(api.db_url) as statements:
            api_summaries.graph(session, "api_wide", wide_run)
        assert len(statements) <= 5, statements
