"""Reading through the real API server: DAGs, tasks, runs, task instances (paged, mapped), one instance, its
tries, log and XComs, the graph and grid summaries, health, and the 404s that name what is missing."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import quote

from api_harness import DAGMAP, RUN, Api, server_env


def test_health_and_version(api: Api) -> None:
    health = api.client.get("/health").json()
    assert health["metadatabase"] == {"status": "healthy"}
    assert health["scheduler"] == {"status": "unhealthy", "latest_scheduler_heartbeat": None}
    assert api.client.get("/version").json()["version"]


def test_import_errors_recorded_by_the_dag_processor(api: Api) -> None:
    broken = api.dags / "broken_dag.py"
    broken.write_text("from dagmap import DAG\n\nraise RuntimeError('cannot load me')\n")
    env = server_env(api.home, api.db_url, api.dags)
    try:
        done = subprocess.run([DAGMAP, "dag-processor", "--once"], env=env, capture_output=True, text=True, timeout=120)
    finally:
        broken.unlink()
    assert done.returncode == 0, done.stdout + done.stderr
    found = api.client.get("/importErrors").json()
    errors = {Path(e["filename"]).name: e for e in found["import_errors"]}
    assert found["total_entries"] == len(errors) >= 1
    assert "cannot load me" in errors["broken_dag.py"]["stack_trace"]
    assert isinstance(errors["broken_dag.py"]["import_error_id"], int)
    assert api.client.get("/importErrors", params={"offset": len(errors)}).json()["import_errors"] == []
    assert all(dag["is_active"] for dag in api.client.get("/dags").json()["dags"])


def test_dags_list_filter_and_one(api: Api) -> None:
    found = api.client.get("/dags").json()
    ids = [dag["dag_id"] for dag in found["dags"]]
    assert ids == [
        "api_teardown",
        "api_wide",
        "asset_consumer",
        "asset_producer",
        "fan_out",
        "mapping_failed_instance",
        "mapping_params_conf",
        "mapping_reducer",
    ]
    assert found["total_entries"] == 8
    page = api.client.get("/dags", params={"limit": 2, "offset": 1}).json()
    assert [d["dag_id"] for d in page["dags"]] == ids[1:3] and page["total_entries"] == 8
    assert [d["dag_id"] for d in api.client.get("/dags", params={"dag_id_pattern": "reduc"}).json()["dags"]] == [
        "mapping_reducer"
    ]
    tagged = api.client.get("/dags", params={"tags": "wide"}).json()
    assert [d["dag_id"] for d in tagged["dags"]] == ["api_wide"] and tagged["dags"][0]["tags"] == [
        {"name": "api"},
        {"name": "wide"},
    ]
    dag = api.client.get("/dags/mapping_reducer").json()
    assert dag["dag_id"] == "mapping_reducer" and dag["fileloc"].endswith("mapping_reducer.py")
    assert dag["owners"] == ["dagmap"] and dag["timetable_summary"] == "None"
    missing = api.client.get("/dags/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    problem = missing.json()
    assert problem["status"] == 404 and problem["title"] == "Not Found" and "'nope'" in problem["detail"]


def test_tasks_in_topological_order(api: Api) -> None:
    found = api.client.get("/dags/mapping_reducer/tasks").json()
    assert found["total_entries"] == 3
    square = found["tasks"][0]
    assert square["task_id"] == "square" and square["is_mapped"] is True
    assert square["expand"] and "4" in square["expand"]
    assert sorted(square["downstream_task_ids"]) == ["inspect", "passthrough"]
    assert found["tasks"][1]["expand"] is None
    assert api.client.get("/dags/nope/tasks").status_code == 404


def test_graph_with_and_without_a_run(api: Api) -> None:
    shape = api.client.get("/dags/mapping_failed_instance/graph").json()
    assert {node["id"] for node in shape["nodes"]} == {"divide", "reduce_all_done", "reduce_default"}
    assert all(node["state"] is None and node["counts"] is None for node in shape["nodes"])
    assert {(e["source"], e["target"]) for e in shape["edges"]} == {
        ("divide", "reduce_all_done"),
        ("divide", "reduce_default"),
    }
    states = api.client.get("/dags/mapping_failed_instance/graph", params={"dag_run_id": RUN}).json()
    nodes = {node["id"]: node for node in states["nodes"]}
    assert nodes["divide"]["counts"] == {"success": 2, "failed": 1} and nodes["divide"]["state"] == "failed"
    assert nodes["reduce_default"]["state"] == "upstream_failed"
    assert nodes["divide"]["expanded"] is True and nodes["reduce_default"]["expanded"] is None
    missing = api.client.get("/dags/mapping_failed_instance/graph", params={"dag_run_id": "nope"})
    assert missing.status_code == 404 and "'nope'" in missing.json()["detail"]


def test_grid_counts_per_task_and_run(api: Api) -> None:
    grid = api.client.get("/dags/mapping_reducer/grid").json()
    runs = [run["dag_run_id"] for run in grid["dag_runs"]]
    assert RUN in runs
    tasks = {task["task_id"]: task for task in grid["tasks"]}
    assert list(tasks) == ["square", "inspect", "passthrough"]
    assert tasks["square"]["instances"][RUN] == {
        "state": "success",
        "counts": {"success": 4},
        "total": 4,
        "expanded": True,
    }
    assert tasks["inspect"]["instances"][RUN]["expanded"] is None
    assert tasks["square"]["is_mapped"] and not tasks["inspect"]["is_mapped"]


def test_runs_list_and_one(api: Api) -> None:
    found = api.client.get("/dags/mapping_failed_instance/dagRuns", params={"state": "failed"}).json()
    assert RUN in [run["dag_run_id"] for run in found["dag_runs"]]
    run = api.client.get(api.run_path("mapping_failed_instance")).json()
    assert run["state"] == "failed" and run["run_type"] == "manual"
    assert run["logical_date"].startswith("2024-01-01T00:00:00")
    assert api.client.get("/dags/mapping_reducer/dagRuns", params={"state": "bogus"}).status_code == 400
    assert api.client.get("/dags/nope/dagRuns").status_code == 404
    missing = api.client.get(api.run_path("mapping_reducer", "nope"))
    assert missing.status_code == 404 and "mapping_reducer" in missing.json()["detail"]


def test_instances_paged_and_list_mapped(api: Api) -> None:
    path = api.run_path("mapping_reducer") + "/taskInstances"
    every = api.client.get(path).json()
    assert every["total_entries"] == 6
    keys = [(ti["task_id"], ti["map_index"]) for ti in every["task_instances"]]
    assert keys == [("inspect", -1), ("passthrough", -1), *[("square", i) for i in range(4)]]
    page = api.client.get(path, params={"limit": 2, "offset": 3}).json()
    assert [(ti["task_id"], ti["map_index"]) for ti in page["task_instances"]] == keys[3:5]
    assert page["total_entries"] == 6
    only = api.client.get(path, params={"task_id": "square", "state": "success"}).json()
    assert only["total_entries"] == 4
    mapped = api.client.get(f"{path}/square/listMapped", params={"limit": 2, "offset": 1}).json()
    assert [ti["map_index"] for ti in mapped["task_instances"]] == [1, 2] and mapped["total_entries"] == 4
    failed = api.client.get(
        api.run_path("mapping_failed_instance") + "/taskInstances/divide/listMapped", params={"state": "failed"}
    ).json()
    assert [ti["map_index"] for ti in failed["task_instances"]] == [1]
    assert api.client.get(path, params={"limit": 1001}).status_code == 422
    assert api.client.get(path, params={"state": "bogus"}).status_code == 400
    not_mapped = api.client.get(f"{path}/inspect/listMapped")
    assert not_mapped.status_code == 404 and "inspect" in not_mapped.json()["detail"]


def test_one_instance_and_its_errors(api: Api) -> None:
    path = api.run_path("mapping_reducer") + "/taskInstances"
    inspect = api.client.get(f"{path}/inspect").json()
    assert inspect["state"] == "success" and inspect["map_index"] == -1 and inspect["try_number"] == 1
    square = api.client.get(f"{path}/square/2").json()
    assert square["map_index"] == 2 and square["rendered_fields"]["op_kwargs"] == {"x": 2}
    mapped = api.client.get(f"{path}/square")
    assert mapped.status_code == 404
    assert "'square'" in mapped.json()["detail"] and "listMapped" in mapped.json()["detail"]
    beyond = api.client.get(f"{path}/square/99")
    assert beyond.status_code == 404
    assert "task 'square'" in beyond.json()["detail"] and "map index 99" in beyond.json()["detail"]
    unknown = api.client.get(f"{path}/nope/0")
    assert unknown.status_code == 404 and "'nope'" in unknown.json()["detail"]


def test_tries_logs_with_offset_and_xcoms(api: Api) -> None:
    path = api.run_path("mapping_failed_instance") + "/taskInstances/divide"
    tries = api.client.get(f"{path}/1/tries").json()
    assert [(t["try_number"], t["state"]) for t in tries["task_instances"]] == [(1, "failed")]
    log = api.client.get(f"{path}/logs/1", params={"map_index": 1}).json()
    assert "ZeroDivisionError" in log["content"]
    size = len(log["content"].encode())
    assert log["next_offset"] == size
    rest = api.client.get(f"{path}/logs/1", params={"map_index": 1, "offset": 10}).json()
    assert rest == {"content": log["content"].encode()[10:].decode(), "next_offset": size}
    end = api.client.get(f"{path}/logs/1", params={"map_index": 1, "offset": size}).json()
    assert end == {"content": "", "next_offset": size}
    no_try = api.client.get(f"{path}/logs/5", params={"map_index": 1})
    assert no_try.status_code == 404 and "try 5" in no_try.json()["detail"]
    no_index = api.client.get(f"{path}/logs/1")
    assert no_index.status_code == 404 and "divide" in no_index.json()["detail"]

    reducer = api.run_path("mapping_reducer") + "/taskInstances"
    one = api.client.get(f"{reducer}/square/xcomEntries", params={"map_index": 2}).json()
    assert [(x["key"], x["map_index"], x["value"]) for x in one["xcom_entries"]] == [("return_value", 2, 4)]
    every = api.client.get(f"{reducer}/square/xcomEntries").json()
    assert [x["value"] for x in every["xcom_entries"]] == [0, 1, 4, 9] and every["total_entries"] == 4
    inspect = {x["key"]: x["value"] for x in api.client.get(f"{reducer}/inspect/xcomEntries").json()["xcom_entries"]}
    assert inspect["return_value"]["slice"] == [1, 4] and inspect["len"] == 4  # a dict return: multiple outputs


def test_run_ids_with_reserved_characters_in_the_path(api: Api) -> None:
    encoded = quote(RUN, safe="")
    assert api.client.get(f"/dags/mapping_reducer/dagRuns/{encoded}").json()["dag_run_id"] == RUN


def test_numbers_too_large_for_the_database_are_refused_not_overflowed(api: Api) -> None:
    """Found by schemathesis: integers past the database's INTEGER made the driver overflow (a 500)."""
    huge = 2**70
    instances = f"{api.run_path('mapping_reducer', RUN)}/taskInstances/square"
    for method, path, body in [
        ("GET", f"/dags?offset={huge}", None),
        ("GET", f"{instances}/{huge}", None),
        ("GET", f"{instances}/{huge}/tries", None),
        ("GET", f"{instances}/logs/1?map_index={huge}", None),
        ("GET", f"{instances}/logs/{huge}", None),
        ("GET", f"{instances}/xcomEntries?map_index={huge}", None),
        ("PATCH", f"{instances}/{huge}", {"new_state": "failed"}),
        ("POST", "/pools", {"name": "big", "slots": huge}),
        ("POST", "/dags/mapping_reducer/clearTaskInstances", {"task_ids": [["square", huge]]}),
    ]:
        answer = api.client.request(method, path, json=body)
        assert answer.status_code == 422, (method, path, answer.status_code, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_mapped_task_that_has_not_expanded_says_so(api: Api) -> None:
    """Its one placeholder at map index -1 is counted, and ``expanded`` tells it from a one-item expansion."""
    api.trigger("fan_out", "not-expanded")  # `add` maps over what `numbers` will return: not known yet
    grid = api.client.get("/dags/fan_out/grid").json()
    add = next(task for task in grid["tasks"] if task["task_id"] == "add")
    assert add["instances"]["not-expanded"] == {"state": None, "counts": {"none": 1}, "total": 1, "expanded": False}
    graph = api.client.get("/dags/fan_out/graph", params={"dag_run_id": "not-expanded"}).json()
    assert next(node for node in graph["nodes"] if node["id"] == "add")["expanded"] is False
