// The grid: one column per recent run (oldest on the left), one row per task (task groups indented); a
// mapped task's cell shows its number of instances and a stacked bar of their states.
import { api, path, query } from "../api.js";
import { h, mount } from "../dom.js";
import { fmtDate, fmtDuration } from "../format.js";
import { Poller, showRefreshing, urls } from "../nav.js";
import { Panel } from "../panels.js";
import {
  STATE_COLORS,
  STATE_ORDER,
  describeCounts,
  isActive,
  isRunActive,
  mappedCount,
  normalizeCounts,
  stateBar,
  stateName,
} from "../states.js";
import { dagHeader } from "./common.js";

const RUNS = 25;

/** Rows of the grid: tasks in the API's order, each task group gathered where its first task appears. */
export function gridRows(tasks, groups) {
  const byId = new Map((groups || []).map((g) => [g.id, g]));
  const chain = (groupId) => {
    const out = [];
    let id = groupId;
    const seen = new Set();
    while (id && !seen.has(id)) {
      seen.add(id);
      out.unshift(id);
      id = byId.get(id)?.parent_id ?? (id.includes(".") ? id.slice(0, id.lastIndexOf(".")) : null);
    }
    return out;
  };
  const root = { children: [], groups: new Map() };
  for (const task of tasks) {
    let node = root;
    for (const gid of chain(task.group_id)) {
      if (!node.groups.has(gid)) {
        const label = byId.get(gid)?.label ?? gid.split(".").pop();
        const group = { kind: "group", id: gid, label, children: [], groups: new Map() };
        node.groups.set(gid, group);
        node.children.push(group);
      }
      node = node.groups.get(gid);
    }
    node.children.push({ kind: "task", task });
  }
  const rows = [];
  const walk = (node, depth) => {
    for (const child of node.children) {
      if (child.kind === "group") {
        const tasksInside = [];
        const collect = (g) => g.children.forEach((c) => (c.kind === "group" ? collect(c) : tasksInside.push(c.task)));
        collect(child);
        rows.push({ kind: "group", id: child.id, label: child.label, depth, tasks: tasksInside });
        walk(child, depth + 1);
      } else rows.push({ kind: "task", task: child.task, depth });
    }
  };
  walk(root, 0);
  return rows;
}

function parentGroup(groupId) {
  return groupId.includes(".") ? groupId.slice(0, groupId.lastIndexOf(".")) : null;
}

function legend() {
  return h(
    "div",
    { class: "legend", "aria-label": "State colours" },
    STATE_ORDER.map((state) =>
      h("span", { class: "legend-item" }, h("span", { class: ["legend-swatch", `state-${state}`] }), state),
    ),
  );
}

export class GridView {
  constructor(root) {
    this.root = root;
    this.head = h("div", { class: "dag-head" });
    this.gridBox = h("div", { class: "grid-box" });
    mount(root, this.head, this.gridBox);
    this.poller = new Poller(() => this.refresh());
    this.collapsed = new Set();
    this.panel = new Panel({
      urlFor: ({ runId, taskId, mapIndex }) => {
        if (runId && taskId) return urls.task(this.dagId, runId, taskId, mapIndex);
        if (runId) return urls.run(this.dagId, runId);
        return urls.grid(this.dagId);
      },
      onChange: () => this.refresh(),
    });
  }

  destroy() {
    this.destroyed = true;
    this.poller.stop();
    this.panel.hide();
    showRefreshing(false);
  }

  async update(params) {
    const first = this.dagId === undefined;
    this.dagId = params.dagId;
    this.params = params;
    if (first) {
      dagHeader(this.head, this.dagId, "grid");
      try {
        const graph = await api(path`/dags/${this.dagId}/graph`);
        this.groups = graph.groups || [];
      } catch {
        this.groups = [];
      }
      await this.refresh();
    } else if (params.runId && this.grid && !this.grid.dag_runs.some((r) => r.dag_run_id === params.runId)) {
      await this.refresh(); // a run triggered from this page, or one newer than the grid shown
    } else {
      this.renderSelection();
      this.openPanel();
    }
  }

  async refresh() {
    let grid;
    try {
      grid = await api(path`/dags/${this.dagId}/grid` + query({ limit: RUNS }));
    } catch (error) {
      if (!this.destroyed) mount(this.gridBox, h("p", { class: "error" }, `Could not load the grid: ${error.message}`));
      return true;
    }
    if (this.destroyed) return false;
    this.grid = grid;
    this.render();
    this.openPanel();
    const active =
      grid.dag_runs.some((r) => isRunActive(r.state)) ||
      grid.tasks.some((t) => Object.values(t.instances || {}).some((i) => isActive(i.state)));
    this.poller.schedule(active);
    showRefreshing(active);
    return active;
  }

  taskInfo(taskId) {
    return this.grid?.tasks.find((t) => t.task_id === taskId);
  }

  openPanel() {
    const { runId, taskId, mapIndex } = this.params;
    if (!runId || !this.grid) {
      this.panel.hide();
      return;
    }
    if (!taskId) {
      this.panel.show({ kind: "run", dagId: this.dagId, runId });
      return;
    }
    const task = this.taskInfo(taskId);
    const cell = task?.instances?.[runId];
    const mapped = Boolean(task?.is_mapped);
    if (mapped && (mapIndex === null || mapIndex === undefined)) {
      this.panel.show({ kind: "mapped", dagId: this.dagId, runId, taskId, counts: cell?.counts, total: cell?.total });
    } else {
      this.panel.show({ kind: "instance", dagId: this.dagId, runId, taskId, mapIndex: mapIndex ?? -1, mapped });
    }
  }

  render() {
    const { dag_runs: runs, tasks } = this.grid;
    if (!tasks.length) {
      mount(this.gridBox, h("p", { class: "muted" }, "This DAG has no tasks."));
      return;
    }
    const rows = gridRows(tasks, this.groups);
    const hidden = (row) => {
      const gid = row.kind === "task" ? row.task.group_id : parentGroup(row.id);
      if (!gid) return false;
      for (const c of this.collapsed) if (gid === c || gid.startsWith(`${c}.`)) return true;
      return false;
    };
    // Run bars are as tall as the run took, relative to the longest shown (as in Airflow's grid).
    const seconds = (run) =>
      run.start_date ? ((run.end_date ? Date.parse(run.end_date) : Date.now()) - Date.parse(run.start_date)) / 1000 : 0;
    const longest = Math.max(0, ...runs.map(seconds));
    const header = h(
      "tr",
      null,
      h("th", { class: "grid-task-head" }, runs.length ? "Task \\ run" : "No runs yet"),
      runs.map((run) =>
        h(
          "th",
          { class: "grid-run-head" },
          h(
            "a",
            {
              href: urls.run(this.dagId, run.dag_run_id),
              "data-link": true,
              class: ["run-bar", `state-${stateName(run.state)}`],
              style: { height: `${Math.round(10 + 30 * (longest ? seconds(run) / longest : 1))}px` },
              title: [run.dag_run_id, stateName(run.state), fmtDate(run.logical_date), fmtDuration(seconds(run))].join(
                "\n",
              ),
              "aria-label": `run ${run.dag_run_id}`,
              dataset: { runId: run.dag_run_id },
            },
            "",
          ),
        ),
      ),
    );
    const body = rows
      .filter((row) => !hidden(row))
      .map((row) => (row.kind === "group" ? this.groupRow(row, runs) : this.taskRow(row, runs)));
    mount(
      this.gridBox,
      h("table", { class: "grid" }, h("thead", null, header), h("tbody", null, body)),
      legend(),
    );
    this.renderSelection();
  }

  groupRow(row, runs) {
    const collapsed = this.collapsed.has(row.id);
    return h(
      "tr",
      { class: "grid-group", dataset: { groupId: row.id } },
      h(
        "th",
        { class: "grid-task", style: { paddingLeft: `${0.5 + row.depth * 1.2}rem` } },
        h(
          "button",
          {
            class: "group-toggle",
            "aria-expanded": collapsed ? "false" : "true",
            onclick: () => {
              if (collapsed) this.collapsed.delete(row.id);
              else this.collapsed.add(row.id);
              this.render();
            },
          },
          collapsed ? "▸ " : "▾ ",
          row.label,
        ),
      ),
      runs.map((run) => {
        const counts = {};
        for (const task of row.tasks) {
          for (const [state, n] of Object.entries(normalizeCounts(task.instances?.[run.dag_run_id]?.counts))) {
            counts[state] = (counts[state] || 0) + n;
          }
        }
        return h("td", { class: "grid-cell group-cell", title: describeCounts(counts) }, stateBar(counts));
      }),
    );
  }

  taskRow(row, runs) {
    const task = row.task;
    const prefix = task.group_id ? `${task.group_id}.` : null;
    const name = prefix && task.task_id.startsWith(prefix) ? task.task_id.slice(prefix.length) : task.task_id;
    return h(
      "tr",
      { class: "grid-row", dataset: { taskId: task.task_id } },
      h(
        "th",
        { class: "grid-task", style: { paddingLeft: `${0.5 + row.depth * 1.2}rem` }, title: task.task_id },
        name,
        task.is_mapped ? h("span", { class: "mapped-mark", title: "mapped" }, " [ ]") : null,
      ),
      runs.map((run) => this.cell(task, run)),
    );
  }

  cell(task, run) {
    const info = task.instances?.[run.dag_run_id];
    const href = urls.task(this.dagId, run.dag_run_id, task.task_id, null);
    const state = stateName(info?.state);
    const attrs = {
      href,
      "data-link": true,
      dataset: { runId: run.dag_run_id, taskId: task.task_id },
      "aria-label": `${task.task_id} in ${run.dag_run_id}: ${state}`,
    };
    if (!info) return h("td", { class: "grid-cell" }, h("span", { class: "cell-empty" }, ""));
    if (task.is_mapped) {
      return h(
        "td",
        { class: "grid-cell" },
        h(
          "a",
          {
            ...attrs,
            class: "cell-mapped",
            style: { borderColor: state === "none" ? "" : STATE_COLORS[state] || "" },
            title: `${task.task_id}: ${info.total} instances\n${describeCounts(info.counts)}`,
          },
          h("span", { class: "mapped-count" }, mappedCount(info.counts, info.total, info.expanded)),
          stateBar(info.counts),
        ),
      );
    }
    return h(
      "td",
      { class: "grid-cell" },
      h("a", { ...attrs, class: ["cell", `state-${state}`], title: `${task.task_id}: ${state}` }, ""),
    );
  }

  renderSelection() {
    const { runId, taskId } = this.params;
    for (const el of this.gridBox.querySelectorAll(".selected")) el.classList.remove("selected");
    if (!runId) return;
    for (const el of this.gridBox.querySelectorAll("[data-run-id]")) {
      if (el.dataset.runId === runId && (!taskId || el.dataset.taskId === taskId || !el.dataset.taskId)) {
        if (!taskId || el.dataset.taskId === taskId) el.classList.add("selected");
      }
    }
  }
}

