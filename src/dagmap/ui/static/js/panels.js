// The details panel beside the grid and the graph: a run, a mapped task's instances (paged), or one task
// instance (state, tries, log, XCom, rendered fields, clear and mark).
import { clearInstance, clearRun, deleteRun, markInstance, markRun } from "./actions.js";
import { api, path, query } from "./api.js";
import { eventTable } from "./asset_events.js";
import { h, mount } from "./dom.js";
import { fmtDate, fmtDuration, json } from "./format.js";
import { Poller, link, navigate } from "./nav.js";
import { TI_STATES, describeCounts, isActive, isRunActive, normalizeCounts, stateBadge, stateBar } from "./states.js";

export const MAPPED_PAGE = 100;
const FAILED_SHOWN = 50;
const EVENTS_SHOWN = 50;

function ti(dagId, runId) {
  return path`/dags/${dagId}/dagRuns/${runId}/taskInstances`;
}

function field(label, value) {
  return [h("dt", null, label), h("dd", null, value === null || value === undefined || value === "" ? "—" : value)];
}

function label(taskId, mapIndex) {
  return mapIndex !== null && mapIndex !== undefined && mapIndex >= 0 ? `${taskId}[${mapIndex}]` : taskId;
}

/** The <aside id="panel"> and whichever sub-panel the URL asks for. */
export class Panel {
  constructor({ urlFor, onChange }) {
    this.el = document.getElementById("panel");
    this.urlFor = urlFor; // ({runId, taskId, mapIndex}) -> URL of the view with that panel open
    this.onChange = onChange; // something was cleared or marked: refresh the view
    this.current = null;
    this.key = null;
  }

  show(spec) {
    const key = JSON.stringify([spec.kind, spec.dagId, spec.runId, spec.taskId, spec.mapIndex]);
    if (key === this.key) {
      this.current.touch?.(spec);
      return;
    }
    this.hide();
    this.key = key;
    const ctx = { urlFor: this.urlFor, onChange: () => this.changed() };
    const Kind = { run: RunPanel, mapped: MappedPanel, instance: InstancePanel }[spec.kind];
    this.current = new Kind(spec, ctx);
    const close = h(
      "button",
      { class: "btn-close", "aria-label": "Close panel", title: "Close", onclick: () => navigate(this.urlFor({})) },
      "×",
    );
    mount(this.el, h("div", { class: "panel-close" }, close), this.current.el);
    this.el.hidden = false;
    this.current.refresh();
  }

  changed() {
    this.current?.refresh();
    this.onChange();
  }

  hide() {
    this.current?.destroy();
    this.current = null;
    this.key = null;
    this.el.hidden = true;
    this.el.replaceChildren();
  }
}

class RunPanel {
  constructor(spec, ctx) {
    this.spec = spec;
    this.ctx = ctx;
    this.el = h("section", { class: "run-panel", "data-panel": "run" });
    this.poller = new Poller(() => this.refresh());
  }

  destroy() {
    this.poller.stop();
  }

  async refresh() {
    const { dagId, runId } = this.spec;
    let run;
    let failed;
    let upstream;
    try {
      [run, failed, upstream] = await Promise.all([
        api(path`/dags/${dagId}/dagRuns/${runId}`),
        api(`${ti(dagId, runId)}${query({ state: "failed", limit: FAILED_SHOWN })}`),
        // the events that triggered the run (none for runs not triggered by assets)
        api(path`/dags/${dagId}/dagRuns/${runId}/upstreamAssetEvents` + query({ limit: EVENTS_SHOWN })),
      ]);
    } catch (error) {
      mount(this.el, h("h2", null, runId), h("p", { class: "error" }, error.message));
      return false;
    }
    const act = (fn) => async () => {
      if (await fn()) this.ctx.onChange();
    };
    mount(
      this.el,
      h("h2", null, h("span", { class: "muted small" }, "Run "), runId),
      h("div", { class: "panel-state" }, stateBadge(run.state)),
      h(
        "div",
        { class: "panel-actions" },
        h("button", { class: "btn", onclick: act(() => clearRun(dagId, runId)) }, "Clear run"),
        h("button", { class: "btn", onclick: act(() => clearRun(dagId, runId, { onlyFailed: true })) }, "Clear failed"),
        h("button", { class: "btn", onclick: act(() => markRun(dagId, runId, "success")) }, "Mark success"),
        h("button", { class: "btn", onclick: act(() => markRun(dagId, runId, "failed")) }, "Mark failed"),
        h(
          "button",
          {
            class: "btn btn-danger",
            onclick: async () => {
              if (await deleteRun(dagId, runId)) {
                navigate(this.ctx.urlFor({}));
                this.ctx.onChange();
              }
            },
          },
          "Delete",
        ),
      ),
      h(
        "dl",
        { class: "fields" },
        field("Run type", run.run_type),
        field("Logical date", fmtDate(run.logical_date)),
        field(
          "Data interval",
          run.data_interval_start ? `${fmtDate(run.data_interval_start)} – ${fmtDate(run.data_interval_end)}` : "",
        ),
        field("Queued at", fmtDate(run.queued_at)),
        field("Started", fmtDate(run.start_date)),
        field("Ended", fmtDate(run.end_date)),
        field("Note", run.note),
      ),
      this.failedList(failed),
      this.upstreamEvents(upstream),
      h("h3", null, "Conf"),
      h("pre", { class: "code conf" }, json(run.conf ?? {})),
    );
    const active = isRunActive(run.state);
    this.poller.schedule(active);
    return active;
  }

  upstreamEvents(upstream) {
    const events = upstream.asset_events || [];
    if (!events.length) return null;
    const total = upstream.total_entries ?? events.length;
    return h(
      "section",
      { class: "upstream-events" },
      h("h3", null, `Triggered by ${total} asset event${total === 1 ? "" : "s"}`),
      eventTable(events, { withAsset: true }),
      total > events.length
        ? h("p", { class: "muted" }, `… and ${total - events.length} more (the first ${events.length} are shown)`)
        : null,
    );
  }

  failedList(failed) {
    const items = failed.task_instances || [];
    if (!items.length) return null;
    const { runId } = this.spec;
    const more = (failed.total_entries ?? items.length) - items.length;
    return h(
      "section",
      { class: "failed-list" },
      h("h3", null, `Failed task instances (${failed.total_entries ?? items.length})`),
      h(
        "ul",
        null,
        items.map((item) => {
          const mapIndex = item.map_index >= 0 ? item.map_index : null;
          const text = label(item.task_id, item.map_index);
          return h(
            "li",
            { class: "mono" },
            link(this.ctx.urlFor({ runId, taskId: item.task_id, mapIndex }), text),
            item.rendered_map_index ? h("span", { class: "muted" }, ` ${item.rendered_map_index}`) : null,
          );
        }),
        more > 0 ? h("li", { class: "muted" }, `… and ${more} more (filter a mapped task's panel by state)`) : null,
      ),
    );
  }
}

class MappedPanel {
  constructor(spec, ctx) {
    this.spec = spec;
    this.ctx = ctx;
    this.offset = 0;
    this.state = "";
    this.poller = new Poller(() => this.refresh());
    const { dagId, runId, taskId } = spec;
    this.filter = h("select", {
      "aria-label": "Filter by state",
      onchange: () => {
        this.state = this.filter.value;
        this.offset = 0;
        this.refresh();
      },
    });
    this.jump = h("input", { type: "number", min: 0, placeholder: "map index", "aria-label": "Go to map index" });
    const jumpForm = h(
      "form",
      {
        class: "jump",
        onsubmit: (event) => {
          event.preventDefault();
          const index = Number(this.jump.value);
          if (!Number.isInteger(index) || index < 0) return;
          if (this.state) navigate(ctx.urlFor({ runId, taskId, mapIndex: index }));
          else {
            this.offset = Math.floor(index / MAPPED_PAGE) * MAPPED_PAGE;
            this.highlight = index;
            this.refresh();
          }
        },
      },
      this.jump,
      h("button", { class: "btn", type: "submit" }, "Go"),
    );
    const act = (fn) => async () => {
      if (await fn()) ctx.onChange();
    };
    this.summary = h("div", { class: "mapped-summary" });
    this.note = h("p", { class: "muted small mapped-note" });
    this.tableBox = h("div", { class: "mapped-table-box" });
    this.pager = h("div", { class: "pager" });
    this.el = h(
      "section",
      { class: "mapped-panel", "data-panel": "mapped" },
      h("h2", null, taskId, h("span", { class: "muted small" }, " mapped instances")),
      h("div", { class: "muted small" }, "Run ", link(ctx.urlFor({ runId }), runId)),
      this.summary,
      h(
        "div",
        { class: "panel-actions" },
        h("button", { class: "btn", onclick: act(() => clearInstance(dagId, runId, taskId, null)) }, "Clear all"),
        h(
          "button",
          { class: "btn", onclick: act(() => clearInstance(dagId, runId, taskId, null, { onlyFailed: true })) },
          "Clear failed",
        ),
      ),
      h("div", { class: "mapped-controls" }, h("label", null, "State ", this.filter), jumpForm),
      this.note,
      this.tableBox,
      this.pager,
    );
    this.renderFilter();
  }

  touch(spec) {
    this.spec = spec;
    this.renderFilter();
  }

  renderFilter() {
    const counts = normalizeCounts(this.spec.counts);
    const total = this.spec.total ?? Object.values(counts).reduce((a, b) => a + b, 0);
    mount(
      this.filter,
      h("option", { value: "" }, `all (${total})`),
      TI_STATES.map((s) =>
        h("option", { value: s, selected: this.state === s }, counts[s] !== undefined ? `${s} (${counts[s]})` : s),
      ),
    );
    this.filter.value = this.state;
    mount(this.summary, stateBar(counts), h("span", { class: "small" }, describeCounts(counts)));
  }

  destroy() {
    this.poller.stop();
  }

  async refresh() {
    const { dagId, runId, taskId } = this.spec;
    const asked = (this.asked = (this.asked || 0) + 1); // pages clicked quickly: only the last answer is drawn
    let page;
    try {
      page = await api(
        path`/dags/${dagId}/dagRuns/${runId}/taskInstances/${taskId}/listMapped` +
          query({ limit: MAPPED_PAGE, offset: this.offset, state: this.state }),
      );
    } catch (error) {
      mount(this.tableBox, h("p", { class: "error" }, error.message));
      return false;
    }
    if (asked !== this.asked) return this.poller.running;
    let rows = page.task_instances || [];
    let total = page.total_entries ?? rows.length;
    if (!total && !this.state) {
      // Not expanded (yet), or expanded to nothing: the task's one instance is at map index -1.
      try {
        const single = await api(`${ti(dagId, runId)}${path`/${taskId}`}`);
        rows = [single];
        total = 1;
      } catch {
        rows = [];
      }
    }
    this.renderRows(rows, total);
    const active = rows.some((r) => isActive(r.state)) || Object.keys(normalizeCounts(this.spec.counts)).some(isActive);
    this.poller.schedule(active);
    return active;
  }

  renderRows(rows, total) {
    const { runId, taskId } = this.spec;
    const placeholder = rows.length === 1 && rows[0].map_index === -1;
    this.note.textContent = !placeholder
      ? ""
      : rows[0].state === "skipped"
        ? "Expanded to no instance: the task was skipped (its one instance is at map index -1)."
        : "Not expanded yet: the task has one instance at map index -1 until its input is known.";
    if (!rows.length) {
      mount(this.tableBox, h("p", { class: "muted" }, this.state ? `No ${this.state} instance.` : "No instances yet."));
    } else {
      mount(
        this.tableBox,
        h(
          "table",
          { class: "table mapped-table" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ["Map index", "Name", "State", "Try", "Duration", "Started", ""].map((c) => h("th", null, c)),
            ),
          ),
          h(
            "tbody",
            null,
            rows.map((row) => {
              const href = this.ctx.urlFor({ runId, taskId, mapIndex: row.map_index });
              return h(
                "tr",
                {
                  class: ["clickable", row.map_index === this.highlight ? "highlight" : ""],
                  dataset: { mapIndex: String(row.map_index) },
                  onclick: (event) => {
                    if (!event.target.closest("a, button")) navigate(href);
                  },
                },
                h("td", { class: "mono" }, link(href, String(row.map_index))),
                h("td", null, row.rendered_map_index ?? ""),
                h("td", null, stateBadge(row.state)),
                h("td", null, `${row.try_number}${row.max_tries ? ` / ${row.max_tries + 1}` : ""}`),
                h("td", null, fmtDuration(row.duration)),
                h("td", { class: "small" }, fmtDate(row.start_date)),
                h(
                  "td",
                  null,
                  h(
                    "button",
                    {
                      class: "btn btn-small",
                      title: "Clear this instance and its downstream (shows what first)",
                      "aria-label": `Clear ${taskId}[${row.map_index}]`,
                      onclick: async (event) => {
                        event.stopPropagation();
                        const { dagId } = this.spec;
                        if (await clearInstance(dagId, runId, taskId, row.map_index)) this.ctx.onChange();
                      },
                    },
                    "Clear",
                  ),
                ),
              );
            }),
          ),
        ),
      );
    }
    const end = Math.min(this.offset + rows.length, total);
    const pages = Math.max(1, Math.ceil(total / MAPPED_PAGE));
    const pageNo = Math.floor(this.offset / MAPPED_PAGE) + 1;
    const go = (offset) => () => {
      this.offset = offset;
      this.highlight = null;
      this.refresh();
    };
    mount(
      this.pager,
      h(
        "span",
        { class: "pager-info" },
        total ? `${this.offset + 1}-${end} of ${total}` : "0",
        ` · page ${pageNo} of ${pages}`,
      ),
      h("button", { class: "btn", disabled: this.offset === 0, onclick: go(0), "aria-label": "First page" }, "«"),
      h(
        "button",
        { class: "btn", disabled: this.offset === 0, onclick: go(Math.max(0, this.offset - MAPPED_PAGE)) },
        "Previous",
      ),
      h("button", { class: "btn", disabled: end >= total, onclick: go(this.offset + MAPPED_PAGE) }, "Next"),
      h(
        "button",
        { class: "btn", disabled: end >= total, onclick: go((pages - 1) * MAPPED_PAGE), "aria-label": "Last page" },
        "»",
      ),
    );
  }
}

class InstancePanel {
  constructor(spec, ctx) {
    this.spec = spec;
    this.ctx = ctx;
    this.tab = "log";
    this.poller = new Poller(() => this.refresh());
    this.logPoller = new Poller(() => this.followLog(), 2000);
    this.head = h("div", { class: "instance-head" });
    this.body = h("div", { class: "instance-body" });
    this.tabs = h("div", { class: "tabs", role: "tablist" });
    this.el = h("section", { class: "instance-panel", "data-panel": "instance" }, this.head, this.tabs, this.body);
    this.logTry = null;
    this.logText = null;
  }

  destroy() {
    this.poller.stop();
    this.logPoller.stop();
  }

  get mapIndex() {
    return this.spec.mapIndex ?? -1;
  }

  async refresh() {
    const { dagId, runId, taskId } = this.spec;
    let instance;
    let tries = [];
    try {
      instance = await api(`${ti(dagId, runId)}${path`/${taskId}/${this.mapIndex}`}`);
    } catch (error) {
      mount(this.head, h("h2", null, label(taskId, this.mapIndex)), h("p", { class: "error" }, error.message));
      return false;
    }
    try {
      const data = await api(`${ti(dagId, runId)}${path`/${taskId}/${this.mapIndex}`}/tries`);
      tries = Array.isArray(data) ? data : data.tries || data.task_instances || [];
    } catch {
      tries = [];
    }
    const previous = this.instance;
    this.instance = instance;
    this.tries = tries;
    this.renderHead();
    const changed = !previous || previous.try_number !== instance.try_number || previous.state !== instance.state;
    if (changed || !this.rendered) this.renderTab();
    this.rendered = true;
    const active = isActive(instance.state);
    this.poller.schedule(active);
    return active;
  }

  renderHead() {
    const { dagId, runId, taskId } = this.spec;
    const t = this.instance;
    const act = (fn) => async () => {
      if (await fn()) this.ctx.onChange();
    };
    const downstream = h("input", {
      type: "checkbox",
      checked: this.includeDownstream !== false, // kept across the refreshes of a running instance
      "aria-label": "Clear downstream too",
      onchange: () => {
        this.includeDownstream = downstream.checked;
      },
    });
    mount(
      this.head,
      this.spec.mapped
        ? h(
            "div",
            { class: "small" },
            link(this.ctx.urlFor({ runId, taskId }), `← all instances of ${taskId}`),
          )
        : null,
      h(
        "h2",
        null,
        taskId,
        this.mapIndex >= 0 ? h("span", { class: "map-index" }, ` [${this.mapIndex}]`) : null,
        t.rendered_map_index ? h("span", { class: "muted small" }, ` ${t.rendered_map_index}`) : null,
      ),
      h("div", { class: "muted small" }, "Run ", link(this.ctx.urlFor({ runId }), runId)),
      h("div", { class: "panel-state" }, stateBadge(t.state)),
      h(
        "div",
        { class: "panel-actions" },
        h(
          "button",
          {
            class: "btn btn-primary",
            onclick: act(() =>
              clearInstance(dagId, runId, taskId, this.mapIndex, { includeDownstream: downstream.checked }),
            ),
          },
          "Clear",
        ),
        h("label", { class: "small" }, downstream, " downstream"),
        ["success", "failed"].map((state) =>
          h(
            "button",
            { class: "btn", onclick: act(() => markInstance(dagId, runId, taskId, this.mapIndex, state)) },
            `Mark ${state}`,
          ),
        ),
      ),
      h(
        "dl",
        { class: "fields" },
        field("Try", `${t.try_number}${t.max_tries === undefined || t.max_tries === null ? "" : ` of ${t.max_tries + 1}`}`),
        field("Started", fmtDate(t.start_date)),
        field("Ended", fmtDate(t.end_date)),
        field("Duration", fmtDuration(t.duration)),
        field("Operator", t.operator),
        field("Host", t.hostname),
        field("Pool", t.pool),
        field("Queue", t.queue),
      ),
    );
    const tabs = [
      ["log", "Log"],
      ["xcom", "XCom"],
      ["rendered", "Rendered"],
      ["tries", `Tries (${this.tries.length})`],
    ];
    mount(
      this.tabs,
      tabs.map(([key, text]) =>
        h(
          "button",
          {
            role: "tab",
            class: ["tab", this.tab === key ? "active" : ""],
            "aria-selected": this.tab === key ? "true" : "false",
            onclick: () => {
              this.tab = key;
              this.renderHead();
              this.renderTab();
            },
          },
          text,
        ),
      ),
    );
  }

  renderTab() {
    this.logPoller.stop();
    this.logPoller = new Poller(() => this.followLog(), 2000);
    if (this.tab === "log") this.renderLog();
    else if (this.tab === "xcom") this.renderXcom();
    else if (this.tab === "rendered") this.renderRendered();
    else this.renderTries();
  }

  renderTries() {
    if (!this.tries.length) {
      mount(this.body, h("p", { class: "muted" }, "Not run yet."));
      return;
    }
    mount(
      this.body,
      h(
        "table",
        { class: "table" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ["Try", "State", "Started", "Ended", "Duration", "Host"].map((c) => h("th", null, c)),
          ),
        ),
        h(
          "tbody",
          null,
          this.tries.map((t) =>
            h(
              "tr",
              null,
              h("td", null, String(t.try_number)),
              h("td", null, stateBadge(t.state)),
              h("td", { class: "small" }, fmtDate(t.start_date)),
              h("td", { class: "small" }, fmtDate(t.end_date)),
              h("td", null, fmtDuration(t.duration)),
              h("td", null, t.hostname ?? ""),
            ),
          ),
        ),
      ),
    );
  }

  renderLog() {
    const numbers = [...new Set([...this.tries.map((t) => t.try_number), this.instance.try_number])]
      .filter((n) => n > 0)
      .sort((a, b) => a - b);
    if (!numbers.length) {
      mount(this.body, h("p", { class: "muted" }, "Not run yet: no log."));
      return;
    }
    if (!numbers.includes(this.logTry)) this.logTry = numbers[numbers.length - 1];
    const select = h(
      "select",
      {
        "aria-label": "Try",
        onchange: () => {
          this.logTry = Number(select.value);
          this.renderTab();
        },
      },
      numbers.map((n) => h("option", { value: String(n), selected: n === this.logTry }, `Try ${n}`)),
    );
    this.logText = h("pre", { class: "log", "aria-label": "Log" });
    this.logStatus = h("span", { class: "muted small" });
    this.logOffset = 0;
    mount(this.body, h("div", { class: "log-controls" }, select, this.logStatus), this.logText);
    this.loadLog(this.logText);
  }

  logFollowing() {
    return this.logTry === this.instance.try_number && isActive(this.instance.state);
  }

  async loadLog(target) {
    const { dagId, runId, taskId } = this.spec;
    let data;
    try {
      data = await api(
        `${ti(dagId, runId)}${path`/${taskId}/logs/${this.logTry}`}` +
          query({ map_index: this.mapIndex, offset: this.logOffset }),
      );
    } catch (error) {
      if (target === this.logText) this.logStatus.textContent = `Could not read the log: ${error.message}`;
      return this.logFollowing();
    }
    if (target !== this.logText) return false; // another try or tab was chosen meanwhile
    const atBottom = target.scrollHeight - target.scrollTop - target.clientHeight < 20;
    if (data.content) target.appendChild(document.createTextNode(data.content));
    if (data.next_offset !== undefined && data.next_offset !== null) this.logOffset = data.next_offset;
    if (!target.textContent) target.textContent = "";
    if (atBottom) target.scrollTop = target.scrollHeight;
    const following = this.logFollowing();
    this.logStatus.textContent = following ? "following…" : "";
    this.logPoller.schedule(following);
    return following;
  }

  followLog() {
    return this.loadLog(this.logText);
  }

  async renderXcom() {
    const { dagId, runId, taskId } = this.spec;
    mount(this.body, h("p", { class: "muted" }, "Loading…"));
    let data;
    try {
      data = await api(`${ti(dagId, runId)}${path`/${taskId}/xcomEntries`}` + query({ map_index: this.mapIndex }));
    } catch (error) {
      mount(this.body, h("p", { class: "error" }, error.message));
      return;
    }
    if (this.tab !== "xcom") return;
    const entries = data.xcom_entries || [];
    if (!entries.length) {
      mount(this.body, h("p", { class: "muted" }, "No XCom."));
      return;
    }
    mount(
      this.body,
      h(
        "dl",
        { class: "xcom" },
        entries.map((e) => [
          h("dt", { class: "mono" }, e.key),
          h("dd", null, h("pre", { class: "code" }, json(e.value))),
        ]),
      ),
    );
  }

  renderRendered() {
    const fields = this.instance.rendered_fields;
    if (!fields || !Object.keys(fields).length) {
      mount(this.body, h("p", { class: "muted" }, "No rendered fields."));
      return;
    }
    mount(
      this.body,
      h(
        "dl",
        { class: "rendered" },
        Object.entries(fields).map(([k, v]) => [
          h("dt", { class: "mono" }, k),
          h("dd", null, h("pre", { class: "code" }, json(v))),
        ]),
      ),
    );
  }
}

