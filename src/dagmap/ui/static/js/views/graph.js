// The graph of a DAG for a chosen run: layered left to right, task groups as labelled frames, a mapped task
// as a stack of cards with its number of instances and a bar of their states.
import { api, path, query } from "../api.js";
import { h, mount, s } from "../dom.js";
import { Poller, navigate, showRefreshing, urls } from "../nav.js";
import { Panel } from "../panels.js";
import {
  STATE_COLORS,
  STATE_ORDER,
  describeCounts,
  isActive,
  isRunActive,
  mappedCount,
  normalizeCounts,
  stateName,
} from "../states.js";
import { dagHeader } from "./common.js";
import { edgePath, layoutDag } from "../layout.js";

function truncate(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export class GraphView {
  constructor(root) {
    this.root = root;
    this.head = h("div", { class: "dag-head" });
    this.controls = h("div", { class: "graph-controls" });
    this.canvas = h("div", { class: "graph-box" });
    mount(root, this.head, this.controls, this.canvas);
    this.poller = new Poller(() => this.refresh());
    this.panel = new Panel({
      urlFor: ({ runId, taskId, mapIndex }) =>
        urls.graph(this.dagId, { runId: runId ?? this.runId, taskId, mapIndex }),
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
      dagHeader(this.head, this.dagId, "graph");
      try {
        this.runs = (await api(path`/dags/${this.dagId}/dagRuns` + query({ limit: 25 }))).dag_runs;
      } catch {
        this.runs = [];
      }
    }
    if (!first && params.runId && !this.runs.some((r) => r.dag_run_id === params.runId)) {
      try {
        this.runs = (await api(path`/dags/${this.dagId}/dagRuns` + query({ limit: 25 }))).dag_runs;
      } catch {
        // keep the list shown
      }
    }
    const runId = params.runId || this.runs[0]?.dag_run_id || null;
    const runChanged = runId !== this.runId;
    this.runId = runId;
    this.renderControls();
    if (first || runChanged) await this.refresh();
    else {
      if (this.graph) this.draw();
      this.openPanel();
    }
  }

  renderControls() {
    const fit = h(
      "label",
      { class: "small" },
      h("input", {
        type: "checkbox",
        checked: this.canvas.classList.contains("fit"),
        onchange: (event) => this.canvas.classList.toggle("fit", event.target.checked),
      }),
      " fit to width",
    );
    if (!this.runs.length) {
      mount(this.controls, h("span", { class: "muted" }, "No runs yet: the graph shows the DAG's structure."), fit);
      return;
    }
    const select = h(
      "select",
      {
        "aria-label": "Run",
        onchange: () => navigate(urls.graph(this.dagId, { runId: select.value })),
      },
      this.runs.map((r) =>
        h(
          "option",
          { value: r.dag_run_id, selected: r.dag_run_id === this.runId },
          `${r.dag_run_id} (${stateName(r.state)})`,
        ),
      ),
    );
    mount(this.controls, h("label", null, "Run ", select), fit);
  }

  async refresh() {
    let graph;
    try {
      graph = await api(path`/dags/${this.dagId}/graph` + query({ dag_run_id: this.runId }));
    } catch (error) {
      if (!this.destroyed) mount(this.canvas, h("p", { class: "error" }, `Could not load the graph: ${error.message}`));
      return true;
    }
    if (this.destroyed) return false;
    this.graph = graph;
    this.draw();
    this.openPanel();
    let runActive = false;
    if (this.runId) {
      try {
        const run = await api(path`/dags/${this.dagId}/dagRuns/${this.runId}`);
        runActive = isRunActive(run.state);
        const known = this.runs.find((r) => r.dag_run_id === this.runId);
        if (known && known.state !== run.state) {
          known.state = run.state;
          this.renderControls();
        }
      } catch {
        runActive = false;
      }
    }
    const active = runActive || graph.nodes.some((n) => isActive(n.state));
    this.poller.schedule(active);
    showRefreshing(active);
    return active;
  }

  openPanel() {
    const { taskId, mapIndex } = this.params;
    if (!this.runId || !taskId || !this.graph) {
      this.panel.hide();
      return;
    }
    const node = this.graph.nodes.find((n) => n.id === taskId);
    const mapped = Boolean(node?.is_mapped);
    if (mapped && (mapIndex === null || mapIndex === undefined)) {
      const counts = normalizeCounts(node?.counts);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      this.panel.show({ kind: "mapped", dagId: this.dagId, runId: this.runId, taskId, counts, total });
    } else {
      const spec = { kind: "instance", dagId: this.dagId, runId: this.runId, taskId, mapIndex: mapIndex ?? -1, mapped };
      this.panel.show(spec);
    }
  }

  draw() {
    const { nodes, edges, groups } = this.graph;
    if (!nodes.length) {
      mount(this.canvas, h("p", { class: "muted" }, "This DAG has no tasks."));
      return;
    }
    const lay = layoutDag(nodes, edges, groups || []);
    const W = lay.nodeWidth;
    const H = lay.nodeHeight;
    const labels = new Map((groups || []).map((g) => [g.id, g]));
    const frames = lay.boxes.map((b) => {
      const group = labels.get(b.id);
      return s(
        "g",
        { class: ["group-box", group?.is_mapped ? "group-mapped" : ""].join(" "), "data-group-id": b.id },
        s("rect", { x: b.x, y: b.y, width: b.width, height: b.height, rx: 8 }),
        s(
          "text",
          { x: b.x + 8, y: b.y + 15, class: "group-label" },
          `${group?.label ?? b.id}${group?.is_mapped ? " [ ]" : ""}`,
        ),
      );
    });
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const arrows = edges
      .filter((e) => lay.pos.has(e.source) && lay.pos.has(e.target))
      .map((e) => {
        // A setup's edge to its teardown is dashed, as in Airflow.
        const setupEdge = byId.get(e.source)?.is_setup && byId.get(e.target)?.is_teardown;
        return s(
          "path",
          {
            class: setupEdge ? "edge edge-setup" : "edge",
            d: edgePath(lay, e.source, e.target),
            "marker-end": "url(#arrow)",
            "data-source": e.source,
            "data-target": e.target,
          },
          e.label ? s("title", null, e.label) : null,
        );
      });
    const cards = nodes.map((n) => this.node(n, lay.pos.get(n.id), W, H));
    const svg = s(
      "svg",
      {
        class: "graph",
        width: lay.width,
        height: lay.height,
        viewBox: `0 0 ${lay.width} ${lay.height}`,
        role: "img",
        "aria-label": `Graph of ${this.dagId}`,
      },
      s(
        "defs",
        null,
        s(
          "marker",
          {
            id: "arrow",
            viewBox: "0 0 10 10",
            refX: 9,
            refY: 5,
            markerWidth: 7,
            markerHeight: 7,
            orient: "auto-start-reverse",
          },
          s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-head" }),
        ),
      ),
      frames,
      arrows,
      cards,
    );
    mount(this.canvas, svg);
  }

  node(n, p, W, H) {
    const state = stateName(n.state);
    const counts = normalizeCounts(n.counts);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const selected = this.params.taskId === n.id;
    const shown = n.group_id && n.id.startsWith(`${n.group_id}.`) ? n.id.slice(n.group_id.length + 1) : n.label || n.id;
    const parts = [];
    if (n.is_mapped) {
      parts.push(s("rect", { class: "card card-back", x: 8, y: -8, width: W, height: H, rx: 6 }));
      parts.push(s("rect", { class: "card card-back", x: 4, y: -4, width: W, height: H, rx: 6 }));
    }
    parts.push(s("rect", { class: "card", x: 0, y: 0, width: W, height: H, rx: 6 }));
    const stripe = STATE_COLORS[state] || "#fff";
    parts.push(s("rect", { class: "card-state", x: 0, y: 0, width: 6, height: H, rx: 2, fill: stripe }));
    parts.push(s("text", { class: "node-label", x: 14, y: 20 }, truncate(shown, 24)));
    parts.push(
      s(
        "text",
        { class: "node-sub", x: 14, y: 37 },
        truncate(`${n.operator || ""}${n.is_setup ? " · setup" : ""}${n.is_teardown ? " · teardown" : ""}`, 28),
      ),
    );
    if (n.is_mapped) {
      const count = this.runId ? mappedCount(counts, total, n.expanded) : "[ ]"; // without a run, the number is not known
      parts.push(s("text", { class: "node-count", x: W - 8, y: 20, "text-anchor": "end" }, count));
      let x = 6;
      const width = W - 12;
      for (const st of STATE_ORDER) {
        const c = counts[st];
        if (!c || !total) continue;
        const w = (c / total) * width;
        const bar = { class: "count-bar", x, y: H - 11, width: Math.max(w, 1), height: 6, fill: STATE_COLORS[st] };
        parts.push(s("rect", bar));
        x += w;
      }
    } else {
      parts.push(s("text", { class: "node-state", x: W - 8, y: 37, "text-anchor": "end" }, this.runId ? state : ""));
    }
    const summary = n.is_mapped ? `${total} instances: ${describeCounts(counts)}` : state;
    const title = `${n.id}\n${n.operator || ""}\n${summary}`;
    return s(
      "g",
      {
        class: ["node", n.is_mapped ? "node-mapped" : "", selected ? "selected" : "", this.runId ? "clickable" : ""]
          .filter(Boolean)
          .join(" "),
        transform: `translate(${p.x},${p.y})`,
        "data-task-id": n.id,
        tabindex: this.runId ? 0 : undefined,
        role: this.runId ? "button" : undefined,
        "aria-label": `${n.id}${n.is_mapped ? ` [${total}]` : ""} ${state}`,
        onclick: () => this.runId && navigate(urls.graph(this.dagId, { runId: this.runId, taskId: n.id })),
        onkeydown: (event) => {
          if (event.key !== "Enter" || !this.runId) return;
          navigate(urls.graph(this.dagId, { runId: this.runId, taskId: n.id }));
        },
      },
      s("title", null, title),
      parts,
    );
  }
}
