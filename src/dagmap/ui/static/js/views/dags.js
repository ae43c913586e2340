// The DAG list: pause toggles, schedules (asset conditions spelled out), next runs, the latest runs' states (read
// with the DAGs, in one request), Trigger, and import errors.
import { api, path, query } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { describeSchedule, fmtDate, plural } from "../format.js";
import { Poller, link, navigate, setCrumbs, showRefreshing, urls } from "../nav.js";
import { isRunActive, stateName } from "../states.js";

const PAGE = 50;
const RECENT_RUNS = 8;

export class DagListView {
  constructor(root) {
    this.root = root;
    this.offset = 0;
    this.pattern = "";
    this.paused = "";
    this.poller = new Poller(() => this.refresh());
    this.errorsBox = h("section", { class: "import-errors", hidden: true });
    this.tableBox = h("div", { class: "dag-table-box" });
    this.pager = h("div", { class: "pager" });
    const search = h("input", {
      type: "search",
      placeholder: "Filter DAG ids",
      "aria-label": "Filter DAG ids",
      oninput: () => {
        clearTimeout(this.searchTimer);
        this.searchTimer = setTimeout(() => {
          this.pattern = search.value.trim();
          this.offset = 0;
          this.refresh();
        }, 250);
      },
    });
    const pausedSelect = h(
      "select",
      {
        "aria-label": "Paused filter",
        onchange: () => {
          this.paused = pausedSelect.value;
          this.offset = 0;
          this.refresh();
        },
      },
      h("option", { value: "" }, "All"),
      h("option", { value: "false" }, "Active"),
      h("option", { value: "true" }, "Paused"),
    );
    mount(
      root,
      h("div", { class: "page-head" }, h("h1", null, "DAGs"), h("div", { class: "filters" }, search, pausedSelect)),
      this.errorsBox,
      this.tableBox,
      this.pager,
    );
  }

  update() {
    setCrumbs([{ label: "DAGs", href: "/" }]);
    document.getElementById("panel").hidden = true;
    this.refresh();
  }

  destroy() {
    this.poller.stop();
    this.destroyed = true;
    showRefreshing(false);
  }

  async refresh() {
    const asked = (this.asked = (this.asked || 0) + 1); // typing in the filter: only the last answer is drawn
    let dags;
    let errors;
    try {
      [dags, errors] = await Promise.all([
        api(
          "/dags" +
            query({
              limit: PAGE,
              offset: this.offset,
              dag_id_pattern: this.pattern,
              paused: this.paused || undefined,
              with_latest_runs: RECENT_RUNS,
            }),
        ),
        api("/importErrors?limit=100"),
      ]);
    } catch (error) {
      if (!this.destroyed) mount(this.tableBox, h("p", { class: "error" }, `Could not load DAGs: ${error.message}`));
      return true;
    }
    if (this.destroyed) return false;
    if (asked !== this.asked) return this.poller.running;
    this.renderErrors(errors);
    this.renderTable(dags);
    const active = dags.dags.some((dag) => (dag.latest_runs || []).some((run) => isRunActive(run.state)));
    this.poller.schedule(active);
    showRefreshing(active);
    return active;
  }

  renderErrors(errors) {
    const list = errors.import_errors || [];
    this.errorsBox.hidden = list.length === 0;
    if (!list.length) return;
    mount(
      this.errorsBox,
      h("h2", null, `${plural(errors.total_entries ?? list.length, "import error")}`),
      list.map((error) =>
        h(
          "details",
          { class: "import-error", open: list.length <= 3 },
          h("summary", null, h("span", { class: "import-error-file" }, error.filename), " ", fmtDate(error.timestamp)),
          h("pre", { class: "stack-trace" }, error.stack_trace),
        ),
      ),
    );
  }

  renderTable(dags) {
    if (!dags.dags.length) {
      mount(this.tableBox, h("p", { class: "muted" }, this.pattern ? "No DAG matches." : "No DAGs yet."));
    } else {
      const rows = dags.dags.map((dag) => this.row(dag, dag.latest_runs || []));
      mount(
        this.tableBox,
        h(
          "table",
          { class: "table dag-table" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              h("th", { title: "On = scheduled, off = paused" }, "Active"),
              h("th", null, "DAG"),
              h("th", null, "Schedule"),
              h("th", null, "Next run"),
              h("th", null, "Latest runs"),
              h("th", null, ""),
            ),
          ),
          h("tbody", null, rows),
        ),
      );
    }
    const total = dags.total_entries;
    const end = Math.min(this.offset + PAGE, total);
    mount(
      this.pager,
      h("span", null, total ? `${this.offset + 1}-${end} of ${total}` : ""),
      h(
        "button",
        {
          class: "btn",
          disabled: this.offset === 0,
          onclick: () => {
            this.offset = Math.max(0, this.offset - PAGE);
            this.refresh();
          },
        },
        "Previous",
      ),
      h(
        "button",
        {
          class: "btn",
          disabled: end >= total,
          onclick: () => {
            this.offset += PAGE;
            this.refresh();
          },
        },
        "Next",
      ),
    );
  }

  row(dag, dagRuns) {
    const toggle = h("input", {
      type: "checkbox",
      role: "switch",
      class: "switch",
      checked: !dag.is_paused,
      "aria-label": `Pause toggle of ${dag.dag_id}`,
      title: dag.is_paused ? "Paused: click to unpause" : "Active: click to pause",
      dataset: { dagId: dag.dag_id },
    });
    toggle.addEventListener("change", async () => {
      const paused = !toggle.checked;
      toggle.disabled = true;
      try {
        const updated = await api(path`/dags/${dag.dag_id}`, { method: "PATCH", body: { is_paused: paused } });
        toggle.checked = !updated.is_paused;
        toggle.title = updated.is_paused ? "Paused: click to unpause" : "Active: click to pause";
        toast(`${dag.dag_id} ${updated.is_paused ? "paused" : "unpaused"}`);
      } catch (error) {
        toggle.checked = !paused;
        toast(`Could not ${paused ? "pause" : "unpause"} ${dag.dag_id}: ${error.message}`, "error");
      } finally {
        toggle.disabled = false;
      }
    });
    const recent = [...dagRuns].reverse(); // newest on the right
    return h(
      "tr",
      { dataset: { dagId: dag.dag_id }, class: dag.is_paused ? "paused" : "" },
      h("td", null, toggle),
      h(
        "td",
        null,
        h("div", { class: "dag-id" }, link(urls.grid(dag.dag_id), dag.dag_id)),
        dag.description ? h("div", { class: "muted small" }, dag.description) : null,
        (dag.tags || []).map((t) => h("span", { class: "tag" }, t.name)),
      ),
      h("td", { class: ["mono", "schedule", dag.asset_expression ? "schedule-assets" : ""] }, describeSchedule(dag)),
      h("td", null, fmtDate(dag.next_dagrun)),
      h(
        "td",
        { class: "recent-runs" },
        recent.map((run) =>
          h(
            "a",
            {
              href: urls.run(dag.dag_id, run.dag_run_id),
              "data-link": true,
              class: ["run-dot", `state-${stateName(run.state)}`],
              title: `${run.dag_run_id}: ${stateName(run.state)}`,
              "aria-label": `run ${run.dag_run_id} ${stateName(run.state)}`,
            },
            "",
          ),
        ),
      ),
      h(
        "td",
        { class: "actions" },
        h("button", { class: "btn", onclick: () => triggerDialog(dag) }, "Trigger"),
        link(urls.graph(dag.dag_id), "Graph"),
      ),
    );
  }
}

/** The Trigger dialog: optional JSON conf and run id; the API's error detail is shown on 400/409/422. */
export function triggerDialog(dag) {
  const conf = h("textarea", { name: "conf", rows: 8, spellcheck: "false", "aria-label": "Run conf (JSON)" }, "{}");
  const runId = h("input", { name: "dag_run_id", placeholder: "(generated)", "aria-label": "Run id" });
  const error = h("div", { class: "form-error", role: "alert", hidden: true });
  const submit = h("button", { class: "btn btn-primary", type: "submit" }, "Trigger");
  const cancel = h("button", { class: "btn", type: "button", onclick: () => dialog.close() }, "Cancel");
  const form = h(
    "form",
    { method: "dialog" },
    h("h2", null, `Trigger ${dag.dag_id}`),
    h("label", null, "Conf (JSON object)", conf),
    h("label", null, "Run id (optional)", runId),
    error,
    h("div", { class: "modal-buttons" }, cancel, submit),
  );
  const dialog = h("dialog", { class: "modal trigger-dialog" }, form);
  const showError = (message) => {
    error.hidden = false;
    error.textContent = message;
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    let parsed = {};
    const text = conf.value.trim();
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        showError(`The conf is not valid JSON: ${e.message}`);
        return;
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        showError("The conf must be a JSON object.");
        return;
      }
    }
    const body = { conf: parsed };
    if (runId.value.trim()) body.dag_run_id = runId.value.trim();
    submit.disabled = true;
    try {
      const run = await api(path`/dags/${dag.dag_id}/dagRuns`, { method: "POST", body });
      dialog.close();
      toast(`Triggered ${dag.dag_id}: ${run.dag_run_id}`);
      navigate(urls.run(dag.dag_id, run.dag_run_id));
    } catch (e) {
      showError(`${e.status ? `${e.status}: ` : ""}${e.message}`);
    } finally {
      submit.disabled = false;
    }
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
  conf.focus();
}
