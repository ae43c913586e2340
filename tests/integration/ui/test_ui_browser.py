"""The web UI in Chromium against a real ``dagmap api-server`` whose database holds real runs of DAGs with
mapped tasks: the DAG list, the grid and its mapped instances panel (paged), an instance's log and XCom,
clearing one mapped instance, pausing, triggering, auto-refresh, the graph, the token prompt and escaping."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from ui_harness import DAGMAP, RUN, ApiServer, Site, environment, need_chromium

need_chromium()

from playwright.sync_api import Page, expect  # noqa: E402

RUN_PATH = quote(RUN, safe="")


def mapped_rows(page: Page) -> list[int]:
    rows = page.locator("[data-panel=mapped] tbody tr")
    return list(rows.evaluate_all("rows => rows.map(r => Number(r.dataset.mapIndex))"))


def test_the_server_serves_the_pages_and_the_packaged_assets(site: Site) -> None:
    for path in ("/", "/dags/ui_fanout", "/dags/ui_fanout/graph", f"/dags/ui_fanout/runs/{RUN_PATH}/tasks/square"):
        response = httpx.get(site.base + path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        assert '<script type="module" src="/static/js/app.js">' in response.text
        assert "script-src 'self'" in response.headers["content-security-policy"]
    for asset, kind in (("/static/js/app.js", "javascript"), ("/static/app.css", "text/css")):
        response = httpx.get(site.base + asset)
        assert response.status_code == 200 and kind in response.headers["content-type"]
    assert httpx.get(site.base + "/api/v1/nope").headers["content-type"] == "application/problem+json"


def test_dag_list_shows_the_dags_and_the_import_error(site: Site, page: Page) -> None:
    page.goto(site.base + "/")
    for dag_id in ("mapping_failed_instance", "mapping_task_group", "ui_fanout"):
        row = page.locator(f"tr[data-dag-id='{dag_id}']")
        expect(row).to_be_visible()
        expect(row.get_by_role("link", name=dag_id, exact=True)).to_be_visible()
    fanout = page.locator("tr[data-dag-id='ui_fanout']")
    expect(fanout).to_contain_text("250 squares")
    expect(fanout.locator(".run-dot")).to_have_count(1)
    expect(page.locator("tr[data-dag-id='mapping_task_group'] .run-dot.state-failed")).to_have_count(1)
    errors = page.locator(".import-errors")
    expect(errors).to_contain_text("1 import error")
    expect(errors).to_contain_text("broken_for_ui.py")
    expect(errors.locator(".stack-trace")).to_contain_text("no_such_module_for_the_ui_test")
    page.get_by_label("Filter DAG ids").fill("fan")
    expect(page.locator("tr[data-dag-id]")).to_have_count(1)
    page.get_by_role("link", name="ui_fanout", exact=True).click()
    expect(page).to_have_url(site.base + "/dags/ui_fanout")


def test_pause_toggle_persists(site: Site, page: Page) -> None:
    page.goto(site.base + "/")
    toggle = page.get_by_role("switch", name="Pause toggle of mapping_failed_instance")
    expect(toggle).to_be_checked()  # checked = active, as in Airflow
    toggle.click()
    expect(toggle).not_to_be_checked()
    expect(toggle).to_be_enabled()
    assert site.api.get("/dags/mapping_failed_instance").json()["is_paused"] is True
    page.reload()
    toggle = page.get_by_role("switch", name="Pause toggle of mapping_failed_instance")
    expect(toggle).not_to_be_checked()
    toggle.click()
    expect(toggle).to_be_checked()
    expect(toggle).to_be_enabled()
    assert site.api.get("/dags/mapping_failed_instance").json()["is_paused"] is False


def test_grid_shows_mapped_counts_and_pages_through_every_mapped_instance(site: Site, page: Page) -> None:
    page.goto(site.base + "/dags/ui_fanout")
    cell = page.locator("a.cell-mapped[data-task-id='square']")
    expect(cell).to_have_text("[250]")
    expect(cell.locator(".state-bar-part.state-failed")).to_have_count(1)
    expect(page.locator("a.cell[data-task-id='total']")).to_have_class(re.compile(r"\bstate-success\b"))
    group = page.locator("tr.grid-group[data-group-id='report']")
    expect(group).to_contain_text("report")
    summarize = page.locator("tr.grid-row[data-task-id='report.summarize']")
    expect(summarize.locator("th")).to_have_text("summarize")
    group.get_by_role("button", name="report").click()  # folds the group
    expect(summarize).to_have_count(0)
    group.get_by_role("button", name="report").click()
    expect(summarize).to_be_visible()
    cell.click()
    expect(page).to_have_url(f"{site.base}/dags/ui_fanout/runs/{RUN_PATH}/tasks/square")
    panel = page.locator("[data-panel=mapped]")
    pager = panel.locator(".pager-info")
    expect(pager).to_have_text("1-100 of 250 · page 1 of 3")
    expect(panel.locator("tbody tr")).to_have_count(100)
    seen = mapped_rows(page)
    next_page = panel.get_by_role("button", name="Next", exact=True)
    next_page.click()
    expect(pager).to_have_text("101-200 of 250 · page 2 of 3")
    seen += mapped_rows(page)
    next_page.click()
    expect(pager).to_have_text("201-250 of 250 · page 3 of 3")
    expect(panel.locator("tbody tr")).to_have_count(50)
    expect(next_page).to_be_disabled()
    seen += mapped_rows(page)
    assert seen == list(range(250))
    expect(panel.locator("tr[data-map-index='203'] td").nth(1)).to_have_text("n=203")  # rendered_map_index

    panel.get_by_label("Filter by state").select_option("failed")
    expect(pager).to_have_text("1-1 of 1 · page 1 of 1")
    expect(panel.locator("tbody tr")).to_have_count(1)
    assert mapped_rows(page) == [137]
    panel.get_by_role("button", name="Clear square[137]").click()  # a row's own clear: a dry run first
    dialog = page.locator("dialog.modal")
    expect(dialog.locator(".clear-list li")).to_have_text(
        ["report.publish", "report.summarize", "square[137]", "total"]
    )
    dialog.get_by_role("button", name="Cancel").click()
    expect(page).to_have_url(f"{site.base}/dags/ui_fanout/runs/{RUN_PATH}/tasks/square")
    panel.get_by_label("Filter by state").select_option("")
    panel.get_by_label("Go to map index").fill("222")
    panel.get_by_role("button", name="Go").click()
    expect(pager).to_have_text("201-250 of 250 · page 3 of 3")
    expect(panel.locator("tr.highlight")).to_have_attribute("data-map-index", "222")


def test_instance_panel_shows_the_log_xcom_and_rendered_fields(site: Site, page: Page) -> None:
    page.goto(f"{site.base}/dags/ui_fanout/runs/{RUN_PATH}/tasks/square")
    page.locator("[data-panel=mapped] tr[data-map-index='7']").click()
    expect(page).to_have_url(f"{site.base}/dags/ui_fanout/runs/{RUN_PATH}/tasks/square?map_index=7")
    panel = page.locator("[data-panel=instance]")
    expect(panel.locator("h2")).to_contain_text("square [7]")
    expect(panel.locator("h2")).to_contain_text("n=7")
    expect(panel.locator(".panel-state")).to_have_text("success")
    expect(panel.get_by_label("Log")).to_contain_text("squaring 7")
    expect(panel.get_by_label("Log")).to_contain_text('<img src=x onerror="window.xss = 1">')  # text, not markup
    assert panel.locator("pre.log img, pre.log script").count() == 0
    assert page.evaluate("window.xss") is None
    panel.get_by_role("tab", name="XCom").click()
    expect(panel.locator("dl.xcom dt")).to_have_text("return_value")
    expect(panel.locator("dl.xcom dd")).to_have_text("49")
    panel.get_by_role("tab", name="Rendered").click()
    expect(panel.locator(".instance-body")).not_to_have_text("Loading…")
    panel.get_by_role("tab", name="Tries (1)").click()
    expect(panel.locator(".instance-body tbody tr")).to_have_count(1)

    # A deep link to the failed instance, and back to the list of all instances.
    page.goto(f"{site.base}/dags/ui_fanout/runs/{RUN_PATH}/tasks/square?map_index=137")
    expect(panel.locator(".panel-state")).to_have_text("failed")
    expect(panel.get_by_label("Log")).to_contain_text("137 is not welcome here")
    panel.get_by_label("Clear downstream too").uncheck()
    panel.get_by_role("button", name="Clear", exact=True).click()
    dialog = page.locator("dialog.modal")
    expect(dialog.locator(".clear-list li")).to_have_text(["square[137]"])  # without its downstream
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    panel.get_by_role("link", name="← all instances of square").click()
    expect(page.locator("[data-panel=mapped] tbody tr")).to_have_count(100)

    # The run's panel: clearing its failed tasks lists them first; cancelling changes nothing.
    before = site.states("ui_fanout")
    page.locator("[data-panel=mapped]").get_by_role("link", name=RUN).click()
    run_panel = page.locator("[data-panel=run]")
    expect(run_panel.locator(".panel-state")).to_have_text("success")
    run_panel.get_by_role("button", name="Clear failed").click()
    dialog = page.locator("dialog.modal")
    expect(dialog).to_contain_text("1 task instance will be cleared")
    expect(dialog.locator(".clear-list li")).to_have_text([re.compile(r"^square\[137\]")])
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert site.states("ui_fanout") == before
    failed = run_panel.locator(".failed-list")
    expect(failed.locator("h3")).to_have_text("Failed task instances (1)")
    failed.get_by_role("link", name="square[137]").click()
    expect(page).to_have_url(f"{site.base}/dags/ui_fanout/runs/{RUN_PATH}/tasks/square?map_index=137")

    # An unmapped task opens its single instance.
    page.locator("a.cell[data-task-id='total']").click()
    expect(panel.locator("h2")).to_have_text("total")
    panel.get_by_role("tab", name="XCom").click()
    expect(panel.locator("dl.xcom dd")).to_have_text(str(sum(n * n for n in range(250) if n != 137)))


def test_clearing_one_mapped_instance_resets_it_and_its_downstream(site: Site, page: Page) -> None:
    before = site.states("mapping_failed_instance")
    assert before[("divide", 1)]["state"] == "failed"
    page.goto(f"{site.base}/dags/mapping_failed_instance/runs/{RUN_PATH}/tasks/divide?map_index=1")
    panel = page.locator("[data-panel=instance]")
    expect(panel.locator(".panel-state")).to_have_text("failed")
    expect(panel.get_by_label("Log")).to_contain_text("ZeroDivisionError")
    panel.get_by_role("button", name="Clear", exact=True).click()
    dialog = page.locator("dialog.modal")
    expect(dialog).to_contain_text("3 task instances will be cleared")
    expect(dialog.locator(".clear-list li")).to_have_text(
        [re.compile(r"^divide\[1\]"), re.compile(r"^reduce_all_done"), re.compile(r"^reduce_default")]
    )
    assert site.states("mapping_failed_instance") == before  # the dry run changed nothing
    dialog.get_by_role("button", name="Confirm clear").click()
    expect(page.locator(".toast")).to_contain_text("Cleared 3 task instances")
    expect(panel.locator(".panel-state")).to_have_text("none")
    after = site.states("mapping_failed_instance")
    changed = {key for key in before if before[key]["state"] != after[key]["state"]}
    assert changed == {("divide", 1), ("reduce_all_done", -1), ("reduce_default", -1)}
    assert all(after[key]["state"] is None for key in changed)
    assert after[("divide", 0)] == before[("divide", 0)] and after[("divide", 2)] == before[("divide", 2)]
    # Marking the cleared instance failed, after a confirmation.
    panel.get_by_role("button", name="Mark failed").click()
    page.locator("dialog.modal").get_by_role("button", name="Mark failed").click()
    expect(panel.locator(".panel-state")).to_have_text("failed")
    assert site.states("mapping_failed_instance")[("divide", 1)]["state"] == "failed"
    # The grid shows the run waiting again (queued), with divide's counts updated.
    page.goto(site.base + "/dags/mapping_failed_instance")
    expect(page.locator("a.cell-mapped[data-task-id='divide']")).to_have_attribute(
        "title", re.compile(r"success: 2, failed: 1")
    )


def test_trigger_with_conf_shows_api_errors_and_auto_refreshes(site: Site, page: Page) -> None:
    page.goto(site.base + "/")
    page.locator("tr[data-dag-id='mapping_task_group']").get_by_role("button", name="Trigger").click()
    dialog = page.locator("dialog.trigger-dialog")
    dialog.get_by_label("Run conf (JSON)").fill("{not json")
    dialog.get_by_role("button", name="Trigger").click()
    expect(dialog.locator(".form-error")).to_contain_text("not valid JSON")
    dialog.get_by_label("Run conf (JSON)").fill(json.dumps({"note": "<b>bold?</b>"}))
    dialog.get_by_label("Run id", exact=True).fill(RUN)  # exists: the API answers 409
    dialog.get_by_role("button", name="Trigger").click()
    expect(dialog.locator(".form-error")).to_contain_text("409")
    expect(dialog.locator(".form-error")).to_contain_text(RUN)
    dialog.get_by_label("Run id", exact=True).fill("from-the-ui")
    dialog.get_by_role("button", name="Trigger").click()
    expect(page).to_have_url(f"{site.base}/dags/mapping_task_group/runs/from-the-ui")
    run = site.api.get("/dags/mapping_task_group/dagRuns/from-the-ui").json()
    assert run["conf"] == {"note": "<b>bold?</b>"} and run["state"] == "queued"
    run_panel = page.locator("[data-panel=run]")
    expect(run_panel.locator("pre.conf")).to_contain_text('"note": "<b>bold?</b>"')  # as text, not markup
    assert run_panel.locator("pre.conf b").count() == 0
    bar = page.locator("a.run-bar[data-run-id='from-the-ui']")
    expect(bar).to_have_class(re.compile(r"\bstate-queued\b"))
    expect(page.locator("#refresh-indicator")).to_be_visible()
    # A mapped task of a run that has not started has not expanded: its one instance waits at map index -1.
    unexpanded = page.locator("a.cell-mapped[data-task-id='pipeline.check'][data-run-id='from-the-ui']")
    expect(unexpanded).to_have_text("[ ]")
    unexpanded.click()
    expect(page.locator("[data-panel=mapped] .mapped-note")).to_contain_text("Not expanded yet")
    assert mapped_rows(page) == [-1]
    page.locator("a.run-bar[data-run-id='from-the-ui']").click()
    # Nothing runs it here: mark it failed behind the page's back; polling picks it up, then stops.
    marked = site.api.patch("/dags/mapping_task_group/dagRuns/from-the-ui", json={"state": "failed"})
    assert marked.status_code == 200, marked.text
    expect(bar).to_have_class(re.compile(r"\bstate-failed\b"))
    expect(run_panel.locator(".panel-state")).to_have_text("failed")
    expect(page.locator("#refresh-indicator")).to_be_hidden()
    # Triggered from the grid's header, the new run gets its column.
    page.locator(".page-head").get_by_role("button", name="Trigger").click()
    dialog.get_by_label("Run id", exact=True).fill("second-from-the-ui")
    dialog.get_by_role("button", name="Trigger").click()
    expect(page.locator("a.run-bar[data-run-id='second-from-the-ui']")).to_have_class(re.compile(r"\bstate-queued\b"))
    expect(page.locator("[data-panel=run] h2")).to_contain_text("second-from-the-ui")
    site.api.patch("/dags/mapping_task_group/dagRuns/second-from-the-ui", json={"state": "failed"})


def test_graph_draws_every_task_groups_and_mapped_stacks(site: Site, page: Page) -> None:
    tasks = site.api.get("/dags/mapping_task_group/tasks").json()["tasks"]
    page.goto(f"{site.base}/dags/mapping_task_group/graph?run_id={RUN_PATH}")
    nodes = page.locator("svg.graph g.node")
    expect(nodes).to_have_count(len(tasks))
    drawn = set(nodes.evaluate_all("nodes => nodes.map(n => n.dataset.taskId)"))
    assert drawn == {task["task_id"] for task in tasks}
    group = page.locator("svg.graph g.group-box[data-group-id='pipeline']")
    expect(group).to_contain_text("pipeline")
    expect(page.locator("svg.graph path.edge")).to_have_count(sum(len(task["downstream_task_ids"]) for task in tasks))
    # Every member of the group is drawn inside its frame, every other node outside it.
    box = group.locator("rect").bounding_box()
    assert box is not None
    for task in tasks:
        node = page.locator(f"svg.graph g.node[data-task-id='{task['task_id']}'] rect.card:not(.card-back)")
        rect = node.bounding_box()
        assert rect is not None
        inside = (
            box["x"] <= rect["x"]
            and rect["x"] + rect["width"] <= box["x"] + box["width"]
            and box["y"] <= rect["y"]
            and rect["y"] + rect["height"] <= box["y"] + box["height"]
        )
        overlaps = not (
            rect["x"] + rect["width"] <= box["x"]
            or box["x"] + box["width"] <= rect["x"]
            or rect["y"] + rect["height"] <= box["y"]
            or box["y"] + box["height"] <= rect["y"]
        )
        if task["task_group_id"] == "pipeline":
            assert inside, task["task_id"]
        else:
            assert not overlaps, task["task_id"]
    check = page.locator("svg.graph g.node[data-task-id='pipeline.check']")
    expect(check).to_contain_text("[3]")
    expect(check.locator("rect.card-back")).to_have_count(2)
    check.click()
    panel = page.locator("[data-panel=mapped]")
    expect(panel.locator("tbody tr")).to_have_count(3)
    panel.locator("tr[data-map-index='1']").click()
    instance = page.locator("[data-panel=instance]")
    expect(instance.locator(".panel-state")).to_have_text("failed")
    expect(instance.get_by_label("Log")).to_contain_text("2 is not allowed")
    expect(page).to_have_url(
        f"{site.base}/dags/mapping_task_group/graph?run_id={RUN_PATH}&task_id=pipeline.check&map_index=1"
    )


def test_layout_layers_by_longest_path_uncrosses_edges_and_routes_long_ones_aside(site: Site, page: Page) -> None:
    page.goto(site.base + "/")
    result: dict[str, Any] = page.evaluate(
        r"""async () => {
          const { layoutDag, crossings, edgePath, longestPathLayers } = await import("/static/js/layout.js");
          const ids = ["a", "b", "c", "x", "y"];
          const edges = [
            { source: "a", target: "b" }, { source: "b", target: "c" }, { source: "a", target: "c" },
            { source: "a", target: "y" }, { source: "x", target: "b" },
          ];
          const { layer } = longestPathLayers(ids, edges);
          const crossed = [
            { id: "p" }, { id: "q" }, { id: "r" }, { id: "s" },
          ];
          const crossEdges = [{ source: "p", target: "s" }, { source: "q", target: "r" }];
          const lay = layoutDag(crossed, crossEdges, []);
          // a -> c skips b's column: it must run beside b, not through it.
          const chain = layoutDag(ids.map((id) => ({ id })), edges, []);
          const lane = Number(edgePath(chain, "a", "c").match(/ L[-\d.]+,([-\d.]+) /)[1]);
          const b = chain.pos.get("b");
          return {
            layers: Object.fromEntries(ids.map((id) => [id, layer.get(id)])),
            crossings: crossings(lay, crossEdges),
            laneClear: lane < b.y || lane > b.y + chain.nodeHeight,
            nextColumnIsOneCurve: !edgePath(chain, "a", "b").includes(" L"),
          };
        }"""
    )
    assert result["layers"] == {"a": 0, "b": 1, "c": 2, "x": 0, "y": 1}
    assert result["crossings"] == 0
    assert result["laneClear"] and result["nextColumnIsOneCurve"]


def test_token_is_asked_once_and_kept_for_the_session(site: Site, page: Page) -> None:
    env = environment(site.home, site.dags, DAGMAP__API__AUTH_TOKEN="ui-s3cret")
    server = ApiServer(env, site.home / "api-server-token.log")
    try:
        page.goto(server.base + "/")
        dialog = page.locator("#token-dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_label("API token").fill("wrong")
        dialog.get_by_role("button", name="Use token").click()
        expect(dialog).to_contain_text("refused")
        dialog.get_by_label("API token").fill("ui-s3cret")
        dialog.get_by_role("button", name="Use token").click()
        expect(page.locator("tr[data-dag-id='ui_fanout']")).to_be_visible()
        expect(dialog).to_have_count(0)
        assert page.evaluate("sessionStorage.getItem('dagmap.token')") == "ui-s3cret"
        page.goto(server.base + "/dags/ui_fanout")
        expect(page.locator("a.cell-mapped[data-task-id='square']")).to_have_text("[250]")
        expect(page.locator("#token-dialog")).to_have_count(0)
    finally:
        server.close()


def test_the_log_of_a_running_try_is_followed(site: Site, page: Page, tmp_path: Path) -> None:
    go = tmp_path / "go"
    env = {**site.env, "UI_TEST_GO_FILE": str(go)}
    run_id = "manual__2024-02-01T00:00:00+00:00"
    logs = f"/dags/ui_follow/dagRuns/{quote(run_id, safe='')}/taskInstances/follow/logs/1"
    running = subprocess.Popen(
        [DAGMAP, "dags", "test", "ui_follow", "2024-02-01T00:00:00+00:00"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        ticks = wait_for_ticks(site, logs, running)
        page.goto(f"{site.base}/dags/ui_follow/runs/{quote(run_id, safe='')}/tasks/follow")
        panel = page.locator("[data-panel=instance]")
        expect(panel.locator(".panel-state")).to_have_text("running")
        log = panel.get_by_label("Log")
        expect(log).to_contain_text("waiting for the go file")
        expect(panel.locator(".log-controls")).to_contain_text("following")
        expect(log).to_contain_text(f"still waiting ({ticks + 4})")  # appended while the page stays open
        go.touch()
        expect(log).to_contain_text("got the go signal")
        expect(panel.locator(".panel-state")).to_have_text("success")
        expect(panel.locator(".log-controls")).not_to_contain_text("following")
        assert running.wait(60) == 0
    finally:
        go.touch()
        if running.poll() is None:
            running.kill()
            running.wait(10)


def wait_for_ticks(site: Site, logs: str, running: subprocess.Popen[bytes]) -> int:
    """The last tick in the try's log once its file is written live (a short try's log is kept in memory)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert running.poll() is None, "dags test ui_follow ended early"
        response = site.api.get(logs, params={"map_index": -1})
        if response.status_code == 200:
            ticks = re.findall(r"still waiting \((\d+)\)", response.json()["content"])
            if ticks:
                return int(ticks[-1])
        time.sleep(0.1)
    pytest.fail("the running try's log never appeared")
