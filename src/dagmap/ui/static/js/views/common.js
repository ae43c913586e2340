// Pieces shared by the grid and graph views: the DAG header with its view tabs and Trigger button.
import { api, path } from "../api.js";
import { h, mount } from "../dom.js";
import { describeSchedule } from "../format.js";
import { setCrumbs, urls } from "../nav.js";
import { triggerDialog } from "./dags.js";

export async function dagHeader(box, dagId, active) {
  setCrumbs([
    { label: "DAGs", href: urls.dags() },
    { label: dagId, href: urls.grid(dagId) },
  ]);
  let dag = null;
  try {
    dag = await api(path`/dags/${dagId}`);
  } catch (error) {
    mount(box, h("h1", null, dagId), h("p", { class: "error" }, error.message));
    return null;
  }
  mount(
    box,
    h(
      "div",
      { class: "page-head" },
      h("h1", null, dag.dag_id),
      dag.is_paused ? h("span", { class: "tag tag-paused" }, "paused") : null,
      h("span", { class: "muted mono small schedule" }, describeSchedule(dag)),
      h(
        "nav",
        { class: "view-tabs" },
        h("a", { href: urls.grid(dagId), "data-link": true, class: active === "grid" ? "active" : "" }, "Grid"),
        h("a", { href: urls.graph(dagId), "data-link": true, class: active === "graph" ? "active" : "" }, "Graph"),
      ),
      h("button", { class: "btn", onclick: () => triggerDialog(dag) }, "Trigger"),
    ),
    dag.description ? h("p", { class: "muted" }, dag.description) : null,
  );
  return dag;
}

