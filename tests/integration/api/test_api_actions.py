"""Writing through the real API server: trigger (conf, run ids, unknown fields), pause, clear one mapped
instance and run it again, clear a run, mark runs and instances, delete a run, pools."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api_harness import RUN, Api

from dagmap.model.keys import TaskInstanceKey
from dagmap.states import TaskInstanceState
from dagmap.store import db
from dagmap.store.queries import task_instances


def _states(api: Api, dag_id: str, run_id: str) -> dict[tuple[str, int], str | None]:
    found = api.client.get(f"{api.run_path(dag_id, run_id)}/taskInstances").json()["task_instances"]
    return {(ti["task_id"], ti["map_index"]): ti["state"] for ti in found}


def _move(api: Api, key: TaskInstanceKey, state: TaskInstanceState) -> None:
    """Put an instance in flight as a worker would (no status -> queued/running), through the guarded module."""
    with api.settings(), db.session_scope() as session:
        moved = task_instances.set_states(
            session, key.dag_id, key.run_id, [key.task_id], state, from_states=[None],
            ranges=[(key.map_index, key.map_index)],
        )  # fmt: skip
    assert moved == 1


def test_trigger_conf_run_ids_and_unknown_fields(api: Api) -> None:
    run = api.trigger("mapping_params_conf", "conf-ok", conf={"count": 2}, note="from the API")
    assert run["state"] == "queued" and run["conf"] == {"count": 2} and run["note"] == "from the API"
    assert run["dag_run_id"] == "conf-ok" and run["run_type"] == "manual"
    post: Callable[..., Any] = api.client.post
    bad_conf = post("/dags/mapping_params_conf/dagRuns", json={"conf": {"count": 0}})
    assert bad_conf.status_code == 400 and "count" in bad_conf.json()["detail"]
    assert bad_conf.headers["content-type"] == "application/problem+json"
    again = post("/dags/mapping_params_conf/dagRuns", json={"dag_run_id": "conf-ok"})
    assert again.status_code == 409 and "conf-ok" in again.json()["detail"]
    bad_id = post("/dags/mapping_params_conf/dagRuns", json={"dag_run_id": "has space"})
    assert bad_id.status_code == 400 and "run id" in bad_id.json()["detail"]
    unknown = post("/dags/mapping_params_conf/dagRuns", json={"dag_run_id": "x", "config": {}})
    assert unknown.status_code == 422 and "config" in unknown.json()["detail"]
    assert post("/dags/nope/dagRuns", json={}).status_code == 404
    dated = api.trigger("mapping_params_conf", "dated", logical_date="2024-02-03T04:05:06+02:00")
    assert dated["logical_date"].startswith("2024-02-03T02:05:06")
    naive = post("/dags/mapping_params_conf/dagRuns", json={"logical_date": "2024-02-03T04:05:06"})
    assert naive.status_code == 422 and "logical_date" in naive.json()["detail"]
    # run the triggered run: conf drives the expansion
    assert api.drive("mapping_params_conf", "conf-ok") == "success"
    greet = api.client.get(f"{api.run_path('mapping_params_conf', 'conf-ok')}/taskInstances/greet/listMapped").json()
    assert [ti["map_index"] for ti in greet["task_instances"]] == [0, 1]


def test_pause_and_unpause(api: Api) -> None:
    paused = api.client.patch("/dags/mapping_params_conf", json={"is_paused": True}).json()
    assert paused["is_paused"] is True
    assert [d["dag_id"] for d in api.client.get("/dags", params={"paused": "true"}).json()["dags"]] == [
        "mapping_params_conf"
    ]
    assert api.client.patch("/dags/mapping_params_conf", json={"is_paused": False}).json()["is_paused"] is False
    assert api.client.patch("/dags/mapping_params_conf", json={"paused": True}).status_code == 422
    assert api.client.patch("/dags/nope", json={"is_paused": True}).status_code == 404


def test_clear_one_mapped_instance_then_run_it_again(api: Api) -> None:
    api.trigger("mapping_failed_instance", "clear-one")
    assert api.drive("mapping_failed_instance", "clear-one") == "failed"
    body = {"dag_run_id": "clear-one", "task_ids": [["divide", 1]]}
    preview = api.client.post("/dags/mapping_failed_instance/clearTaskInstances", json=body).json()
    expected = [
        {"dag_id": "mapping_failed_instance", "dag_run_id": "clear-one", "task_id": task_id, "map_index": index}
        for task_id, index in (("divide", 1), ("reduce_all_done", -1), ("reduce_default", -1))
    ]
    assert preview == {"task_instances": expected}
    assert _states(api, "mapping_failed_instance", "clear-one")[("divide", 1)] == "failed"  # a dry run
    stored = api.home / "xcom" / "mapping_failed_instance" / "clear-one"
    assert (stored / "reduce_all_done" / "-1" / "return_value.json").is_file()
    cleared = api.client.post(
        "/dags/mapping_failed_instance/clearTaskInstances", json={**body, "dry_run": False}
    ).json()
    assert cleared == {"task_instances": expected}
    assert _states(api, "mapping_failed_instance", "clear-one") == {
        ("divide", 0): "success",
        ("divide", 1): None,
        ("divide", 2): "success",
        ("reduce_all_done", -1): None,
        ("reduce_default", -1): None,
    }
    assert api.client.get(api.run_path("mapping_failed_instance", "clear-one")).json()["state"] == "queued"
    assert not (stored / "reduce_all_done" / "-1").exists()  # its object-store XCom went with the clear
    assert (stored / "divide" / "0" / "return_value.json").is_file()
    xcoms = api.client.get(f"{api.run_path('mapping_failed_instance', 'clear-one')}/taskInstances/divide/xcomEntries")
    assert [x["map_index"] for x in xcoms.json()["xcom_entries"]] == [0, 2]
    assert api.drive("mapping_failed_instance", "clear-one") == "failed"  # 10 / 0 fails again
    tries = api.client.get(f"{api.run_path('mapping_failed_instance', 'clear-one')}/taskInstances/divide/1/tries")
    assert [(t["try_number"], t["state"]) for t in tries.json()["task_instances"]] == [(1, "failed"), (2, "failed")]
    zero = api.client.get(f"{api.run_path('mapping_failed_instance', 'clear-one')}/taskInstances/divide/0").json()
    assert zero["try_number"] == 1  # not cleared: not run again
    bad = api.client.post("/dags/mapping_failed_instance/clearTaskInstances", json={"task_ids": [["nope", 0]]})
    assert bad.status_code == 404 and "'nope'" in bad.json()["detail"]
    extra = api.client.post("/dags/mapping_failed_instance/clearTaskInstances", json={"dryrun": False})
    assert extra.status_code == 422


def test_clear_a_run_only_failed(api: Api) -> None:
    path = api.run_path("mapping_failed_instance", RUN) + "/clear"
    preview = api.client.post(path, json={"only_failed": True}).json()
    assert preview["total_entries"] == 2
    assert sorted((ti["task_id"], ti["map_index"], ti["state"]) for ti in preview["task_instances"]) == [
        ("divide", 1, "failed"),
        ("reduce_default", -1, "upstream_failed"),
    ]
    assert api.client.post(api.run_path("mapping_failed_instance", "nope") + "/clear", json={}).status_code == 404


def test_mark_instances(api: Api) -> None:
    api.trigger("mapping_reducer", "mark-instances")  # queued: no scheduler runs it here
    path = f"{api.run_path('mapping_reducer', 'mark-instances')}/taskInstances/square"
    skipped = api.client.patch(f"{path}/1", json={"new_state": "skipped"})
    assert skipped.status_code == 200 and skipped.json()["state"] == "skipped"
    failed = api.client.patch(f"{path}/2", json={"new_state": "failed"}).json()
    assert failed["state"] == "failed" and failed["end_date"] is not None
    marked = api.client.patch(f"{path}/2", json={"new_state": "success"})  # by hand, as in Airflow
    assert marked.status_code == 200 and marked.json()["state"] == "success"
    _move(api, TaskInstanceKey("mapping_reducer", "mark-instances", "square", 3), TaskInstanceState.RUNNING)
    running = api.client.patch(f"{path}/3", json={"new_state": "failed"})
    assert running.status_code == 409 and "running" in running.json()["detail"]
    assert "map index 3" in running.json()["detail"]
    assert api.client.patch(f"{path}/0", json={"new_state": "running"}).status_code == 422
    assert api.client.patch(f"{path}/0", json={"new_state": "failed", "x": 1}).status_code == 422
    missing = api.client.patch(f"{path}/42", json={"new_state": "failed"})
    assert missing.status_code == 404 and "map index 42" in missing.json()["detail"]
    states = _states(api, "mapping_reducer", "mark-instances")
    assert [states[("square", i)] for i in range(4)] == [None, "skipped", "success", "running"]


def test_mark_runs(api: Api) -> None:
    api.trigger("mapping_reducer", "mark-failed")
    run = api.client.patch(api.run_path("mapping_reducer", "mark-failed"), json={"state": "failed"}).json()
    assert run["state"] == "failed" and run["end_date"] is not None
    assert set(_states(api, "mapping_reducer", "mark-failed").values()) == {"failed"}

    api.trigger("mapping_reducer", "mark-success")
    _move(api, TaskInstanceKey("mapping_reducer", "mark-success", "square", 0), TaskInstanceState.QUEUED)
    run = api.client.patch(api.run_path("mapping_reducer", "mark-success"), json={"state": "success"}).json()
    assert run["state"] == "success"
    states = _states(api, "mapping_reducer", "mark-success")
    assert set(states.values()) == {"success"}  # every instance, started or not, as Airflow marks them

    again = api.client.patch(api.run_path("mapping_reducer", "mark-success"), json={"state": "queued"}).json()
    assert again["state"] == "queued" and again["end_date"] is None
    assert set(_states(api, "mapping_reducer", "mark-success").values()) == {None}
    assert api.drive("mapping_reducer", "mark-success") == "success"

    bad = api.client.patch(api.run_path("mapping_reducer", "mark-success"), json={"state": "running"})
    assert bad.status_code == 422
    assert api.client.patch(api.run_path("mapping_reducer", "nope"), json={"state": "failed"}).status_code == 404


def test_delete_run(api: Api) -> None:
    api.trigger("mapping_reducer", "to-delete")
    _move(api, TaskInstanceKey("mapping_reducer", "to-delete", "square", 0), TaskInstanceState.QUEUED)
    busy = api.client.delete(api.run_path("mapping_reducer", "to-delete"))
    assert busy.status_code == 409 and "square" in busy.json()["detail"]
    api.client.patch(api.run_path("mapping_reducer", "to-delete"), json={"state": "failed"})
    gone = api.client.delete(api.run_path("mapping_reducer", "to-delete"))
    assert gone.status_code == 204 and gone.content == b""
    assert api.client.get(api.run_path("mapping_reducer", "to-delete")).status_code == 404
    assert api.client.delete(api.run_path("mapping_reducer", "to-delete")).status_code == 404


def test_pools(api: Api) -> None:
    created = api.client.post("/pools", json={"name": "api_pool", "slots": 3, "description": "for the tests"})
    assert created.status_code == 200
    assert created.json() == {
        "name": "api_pool",
        "slots": 3,
        "description": "for the tests",
        "occupied_slots": 0,
        "running_slots": 0,
        "queued_slots": 0,
        "open_slots": 3,
    }
    assert api.client.post("/pools", json={"name": "api_pool", "slots": 1}).status_code == 409
    assert api.client.post("/pools", json={"name": "p", "slots": -1}).status_code == 422
    assert api.client.patch("/pools/api_pool", json={"slots": 5}).json()["open_slots"] == 5
    names = [pool["name"] for pool in api.client.get("/pools").json()["pools"]]
    assert "api_pool" in names and "default_pool" in names
    assert api.client.get("/pools/api_pool").json()["description"] == "for the tests"
    assert api.client.delete("/pools/api_pool").status_code == 204
    missing = api.client.get("/pools/api_pool")
    assert missing.status_code == 404 and "api_pool" in missing.json()["detail"]
    assert api.client.delete("/pools/default_pool").status_code == 400


def test_marking_a_run_failed_leaves_its_teardowns_to_run(api: Api) -> None:
    """As Airflow: the work is failed at once, the teardown still cleans up, then the run ends failed."""
    dag_id, run_id = "api_teardown", "mark-failed-teardown"
    api.trigger(dag_id, run_id)
    created = api.client.patch(f"{api.run_path(dag_id, run_id)}/taskInstances/create/-1", json={"new_state": "success"})
    assert created.status_code == 200, created.text
    run = api.client.patch(api.run_path(dag_id, run_id), json={"state": "failed"}).json()
    assert run["state"] == "queued"  # not ended: its teardown has not run yet
    states = _states(api, dag_id, run_id)
    assert {state for (task_id, _), state in states.items() if task_id == "work"} == {"failed"}
    assert states[("delete", -1)] is None
    assert api.drive(dag_id, run_id) == "failed"
    states = _states(api, dag_id, run_id)
    assert states[("delete", -1)] == "success" and states[("create", -1)] == "success"
