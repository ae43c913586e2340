// The Assets page: every asset with the DAGs scheduled on it, the tasks that produce it and its latest event;
// a click on an asset shows its events, newest first, by page.
import { api, query } from "../api.js";
import { eventTable } from "../asset_events.js";
import { h, mount } from "../dom.js";
import { fmtDate } from "../format.js";
import { link, setCrumbs, urls } from "../nav.js";

const PAGE = 50;
const EVENTS_PAGE = 25;

function pager(offset, size, total, go) {
  const end = Math.min(offset + size, total);
  return [
    h("span", { class: "pager-info" }, total ? `${offset + 1}-${end} of ${total}` : ""),
    h("button", { class: "btn", disabled: offset === 0, onclick: () => go(Math.max(0, offset - size)) }, "Previous"),
    h("button", { class: "btn", disabled: end >= total, onclick: () => go(offset + size) }, "Next"),
  ];
}

export class AssetsView {
  constructor(root) {
    this.root = root;
    this.offset = 0;
    this.pattern = "";
    this.uri = null;
    this.eventsOffset = 0;
    this.tableBox = h("div", { class: "asset-table-box" });
    this.pager = h("div", { class: "pager" });
    this.eventsBox = h("section", { class: "asset-events", hidden: true });
    const search = h("input", {
      type: "search",
      placeholder: "Filter asset URIs",
      "aria-label": "Filter asset URIs",
      oninput: () => {
        clearTimeout(this.searchTimer);
        this.searchTimer = setTimeout(() => {
          this.pattern = search.value.trim();
          this.offset = 0;
          this.refreshAssets();
        }, 250);
      },
    });
    mount(
      root,
      h("div", { class: "page-head" }, h("h1", null, "Assets"), h("div", { class: "filters" }, search)),
      this.tableBox,
      this.pager,
      this.eventsBox,
    );
  }

  update(params) {
    const uri = params.uri || null;
    const crumbs = [{ label: "Assets", href: urls.assets() }];
    if (uri) crumbs.push({ label: uri });
    setCrumbs(crumbs);
    document.getElementById("panel").hidden = true;
    if (uri !== this.uri) this.eventsOffset = 0;
    this.uri = uri;
    this.refreshAssets();
    this.refreshEvents();
  }

  destroy() {
    this.destroyed = true;
    clearTimeout(this.searchTimer);
  }

  async refreshAssets() {
    const asked = (this.asked = (this.asked || 0) + 1);
    let found;
    try {
      found = await api("/assets" + query({ limit: PAGE, offset: this.offset, uri_pattern: this.pattern }));
    } catch (error) {
      if (!this.destroyed) mount(this.tableBox, h("p", { class: "error" }, `Could not load assets: ${error.message}`));
      return;
    }
    if (this.destroyed || asked !== this.asked) return;
    this.renderAssets(found);
    mount(
      this.pager,
      pager(this.offset, PAGE, found.total_entries, (offset) => {
        this.offset = offset;
        this.refreshAssets();
      }),
    );
  }

  renderAssets(found) {
    if (!found.assets.length) {
      mount(this.tableBox, h("p", { class: "muted" }, this.pattern ? "No asset matches." : "No assets yet."));
      return;
    }
    mount(
      this.tableBox,
      h(
        "table",
        { class: "table asset-table" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", null, "Asset"),
            h("th", null, "Group"),
            h("th", null, "Scheduled DAGs"),
            h("th", null, "Produced by"),
            h("th", null, "Latest event"),
          ),
        ),
        h("tbody", null, found.assets.map((asset) => this.row(asset))),
      ),
    );
  }

  row(asset) {
    const last = asset.last_event;
    return h(
      "tr",
      { dataset: { uri: asset.uri }, class: asset.uri === this.uri ? "selected" : "" },
      h(
        "td",
        null,
        h("div", { class: "mono asset-uri" }, link(urls.assets(asset.uri), asset.uri)),
        asset.name !== asset.uri ? h("div", { class: "muted small" }, asset.name) : null,
      ),
      h("td", null, asset.group),
      h(
        "td",
        { class: "consumers" },
        asset.consuming_dags.map((dagId) => h("div", null, link(urls.grid(dagId), dagId))),
      ),
      h(
        "td",
        { class: "producers" },
        asset.producing_tasks.map((t) => h("div", { class: "mono" }, link(urls.grid(t.dag_id), `${t.dag_id}.${t.task_id}`))),
      ),
      h(
        "td",
        { class: "last-event" },
        last
          ? [
              h("div", null, fmtDate(last.timestamp)),
              last.source_dag_id
                ? h("div", { class: "muted small mono" }, `${last.source_dag_id}.${last.source_task_id}`)
                : null,
            ]
          : h("span", { class: "muted" }, "never updated"),
      ),
    );
  }

  async refreshEvents() {
    const uri = this.uri;
    this.eventsBox.hidden = !uri;
    if (!uri) {
      this.eventsBox.replaceChildren();
      return;
    }
    const asked = (this.askedEvents = (this.askedEvents || 0) + 1);
    let found;
    try {
      found = await api("/assets/events" + query({ asset_uri: uri, limit: EVENTS_PAGE, offset: this.eventsOffset }));
    } catch (error) {
      if (!this.destroyed) mount(this.eventsBox, h("h2", null, uri), h("p", { class: "error" }, error.message));
      return;
    }
    if (this.destroyed || asked !== this.askedEvents) return;
    const events = found.asset_events;
    mount(
      this.eventsBox,
      h("h2", null, h("span", { class: "muted small" }, "Events of "), uri),
      events.length ? eventTable(events) : h("p", { class: "muted" }, "No events yet."),
      h(
        "div",
        { class: "pager events-pager" },
        pager(this.eventsOffset, EVENTS_PAGE, found.total_entries, (offset) => {
          this.eventsOffset = offset;
          this.refreshEvents();
        }),
      ),
    );
  }
}
