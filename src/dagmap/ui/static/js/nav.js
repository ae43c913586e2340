// Navigation shared by the views: pushState links and URL builders for every page and panel.
import { h, mount } from "./dom.js";

let handler = () => {};

export function onNavigate(fn) {
  handler = fn;
}

export function navigate(url, { replace = false } = {}) {
  if (url === window.location.pathname + window.location.search) return;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  handler();
}

const enc = encodeURIComponent;

export const urls = {
  dags: () => "/",
  assets: (uri) => (uri ? `/assets?uri=${enc(uri)}` : "/assets"),
  grid: (dagId) => `/dags/${enc(dagId)}`,
  graph: (dagId, params = {}) => {
    const q = new URLSearchParams();
    if (params.runId) q.set("run_id", params.runId);
    if (params.taskId) q.set("task_id", params.taskId);
    if (params.mapIndex !== null && params.mapIndex !== undefined) q.set("map_index", String(params.mapIndex));
    const text = q.toString();
    return `/dags/${enc(dagId)}/graph${text ? `?${text}` : ""}`;
  },
  run: (dagId, runId) => `/dags/${enc(dagId)}/runs/${enc(runId)}`,
  task: (dagId, runId, taskId, mapIndex) =>
    `/dags/${enc(dagId)}/runs/${enc(runId)}/tasks/${enc(taskId)}` +
    (mapIndex !== null && mapIndex !== undefined ? `?map_index=${mapIndex}` : ""),
};

export function link(href, ...children) {
  return h("a", { href, "data-link": true }, ...children);
}

export function setCrumbs(items) {
  const nav = document.getElementById("crumbs");
  const parts = [];
  items.forEach((item, i) => {
    if (i) parts.push(h("span", { class: "crumb-sep" }, "/"));
    parts.push(item.href ? link(item.href, item.label) : h("span", null, item.label));
  });
  mount(nav, parts);
  document.title = ["dagmap", ...items.map((i) => i.label)].join(" · ");
}

/** The "auto-refresh" badge in the top bar. */
export function showRefreshing(active) {
  document.getElementById("refresh-indicator").hidden = !active;
}

/** Calls fn every `interval` ms while fn resolves to true; stop() ends it. */
export class Poller {
  constructor(fn, interval = 2500) {
    this.fn = fn;
    this.interval = interval;
    this.timer = null;
    this.stopped = false;
  }

  schedule(active) {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped || !active) return;
    this.timer = setTimeout(async () => {
      this.timer = null;
      if (this.stopped) return;
      let again = false;
      try {
        again = await this.fn();
      } catch {
        again = true; // a failed refresh (server restarting) tries again
      }
      if (!this.timer) this.schedule(again);
    }, this.interval);
  }

  get running() {
    return this.timer !== null;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = null;
  }
}
