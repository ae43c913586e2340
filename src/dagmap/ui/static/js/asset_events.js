// Asset events as a table, shared by the Assets page and the run panel: when, which asset, the task instance that
// produced it (a link to it), its extra, and the runs it triggered.
import { h } from "./dom.js";
import { fmtDate, json } from "./format.js";
import { link, urls } from "./nav.js";
import { stateName } from "./states.js";

function source(event) {
  if (!event.source_dag_id || !event.source_task_id || !event.source_run_id) return h("span", { class: "muted" }, "—");
  const mapIndex = event.source_map_index !== null && event.source_map_index >= 0 ? event.source_map_index : null;
  const text = `${event.source_dag_id}.${event.source_task_id}${mapIndex === null ? "" : `[${mapIndex}]`}`;
  return h(
    "span",
    null,
    h(
      "a",
      {
        href: urls.task(event.source_dag_id, event.source_run_id, event.source_task_id, mapIndex),
        "data-link": true,
        class: "event-source mono",
      },
      text,
    ),
    h("div", { class: "muted small" }, link(urls.run(event.source_dag_id, event.source_run_id), event.source_run_id)),
  );
}

function triggered(event) {
  const runs = event.created_dagruns || [];
  if (!runs.length) return h("span", { class: "muted" }, "—");
  return h(
    "ul",
    { class: "plain-list" },
    runs.map((run) =>
      h(
        "li",
        null,
        h("span", { class: ["run-dot", `state-${stateName(run.state)}`], title: stateName(run.state) }),
        h(
          "a",
          { href: urls.run(run.dag_id, run.dag_run_id), "data-link": true, class: "triggered-run" },
          `${run.dag_id}: ${run.dag_run_id}`,
        ),
      ),
    ),
  );
}

/** A table of events; `withAsset` adds the asset's URI (a link to the asset's events). */
export function eventTable(events, { withAsset = false } = {}) {
  return h(
    "table",
    { class: "table event-table" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", null, "Time"),
        withAsset ? h("th", null, "Asset") : null,
        h("th", null, "Source task instance"),
        h("th", null, "Extra"),
        h("th", null, "Triggered runs"),
      ),
    ),
    h(
      "tbody",
      null,
      events.map((event) =>
        h(
          "tr",
          { dataset: { eventId: String(event.id) } },
          h("td", { class: "nowrap" }, fmtDate(event.timestamp)),
          withAsset ? h("td", { class: "mono" }, link(urls.assets(event.asset_uri), event.asset_uri)) : null,
          h("td", null, source(event)),
          h(
            "td",
            null,
            Object.keys(event.extra || {}).length ? h("pre", { class: "code extra" }, json(event.extra)) : "",
          ),
          h("td", null, triggered(event)),
        ),
      ),
    ),
  );
}
