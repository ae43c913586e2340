// The UI's entry point: a client-side router over the page paths that the server answers with this shell.
import { h, mount } from "./dom.js";
import { onNavigate } from "./nav.js";
import { AssetsView } from "./views/assets.js";
import { DagListView } from "./views/dags.js";
import { GridView } from "./views/grid.js";
import { GraphView } from "./views/graph.js";

const view = document.getElementById("view");
let current = null; // {key, instance}

/** Parse the location into a route: {name, key, params}. */
export function parseRoute(loc = window.location) {
  let parts;
  try {
    parts = loc.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    return { name: "missing", key: "missing", params: {} }; // a malformed %-escape
  }
  const search = new URLSearchParams(loc.search);
  const mapIndex = search.has("map_index") ? Number(search.get("map_index")) : null;
  if (parts.length === 0) return { name: "dags", key: "dags", params: {} };
  if (parts[0] === "assets" && parts.length === 1) {
    return { name: "assets", key: "assets", params: { uri: search.get("uri") } };
  }
  if (parts[0] === "dags" && parts.length >= 2) {
    const dagId = parts[1];
    if (parts[2] === "graph") {
      return {
        name: "graph",
        key: `graph:${dagId}`,
        params: { dagId, runId: search.get("run_id"), taskId: search.get("task_id"), mapIndex },
      };
    }
    const params = { dagId, runId: null, taskId: null, mapIndex };
    if (parts[2] === "runs" && parts[3]) {
      params.runId = parts[3];
      if (parts[4] === "tasks" && parts[5]) params.taskId = parts[5];
    }
    return { name: "grid", key: `grid:${dagId}`, params };
  }
  return { name: "missing", key: "missing", params: {} };
}

const VIEWS = { dags: DagListView, assets: AssetsView, grid: GridView, graph: GraphView };

function route() {
  const r = parseRoute();
  if (current && current.key === r.key) {
    current.instance.update(r.params);
    return;
  }
  if (current) current.instance.destroy();
  current = null;
  const View = VIEWS[r.name];
  if (!View) {
    mount(view, h("h1", null, "Not found"), h("p", null, h("a", { href: "/", "data-link": true }, "All DAGs")));
    return;
  }
  const instance = new View(view);
  current = { key: r.key, instance };
  instance.update(r.params);
}

onNavigate(route);

// Links marked data-link stay in the page (ctrl/cmd/middle clicks still open a new tab).
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-link]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  const href = link.getAttribute("href");
  if (href !== window.location.pathname + window.location.search) history.pushState(null, "", href);
  route();
});
window.addEventListener("popstate", route);
route();
