// Task instance and run states, in Airflow's colours (the CSS classes state-<name> carry the same colours).
import { h } from "./dom.js";

export const STATE_COLORS = {
  success: "#008000",
  failed: "#ff0000",
  running: "#32cd32",
  queued: "#808080",
  scheduled: "#d2b48c",
  up_for_retry: "#ffd700",
  up_for_reschedule: "#40e0d0",
  upstream_failed: "#ffa500",
  skipped: "#ff69b4",
  removed: "#d3d3d3",
  restarting: "#ee82ee",
  deferred: "#9370db",
  none: "#ffffff",
};

// The order of a stacked bar: finished first, then what is still to come.
export const STATE_ORDER = [
  "success",
  "failed",
  "upstream_failed",
  "skipped",
  "removed",
  "up_for_retry",
  "up_for_reschedule",
  "running",
  "restarting",
  "deferred",
  "queued",
  "scheduled",
  "none",
];

export const TI_STATES = STATE_ORDER.filter((s) => s !== "none");

const ACTIVE = new Set([
  "running",
  "queued",
  "scheduled",
  "up_for_retry",
  "up_for_reschedule",
  "restarting",
  "deferred",
]);

export function stateName(state) {
  return state || "none";
}

/** Is this state one that will change without anyone acting (a reason to poll)? */
export function isActive(state) {
  return ACTIVE.has(state);
}

export function isRunActive(state) {
  return state === "running" || state === "queued";
}

export function stateBadge(state) {
  const name = stateName(state);
  return h("span", { class: ["badge", `state-${name}`], title: name }, name);
}

/** {state: n} with a missing state ("null", "", "none") under "none". */
export function normalizeCounts(counts) {
  const out = {};
  for (const [key, n] of Object.entries(counts || {})) {
    const name = !key || key === "null" || key === "None" ? "none" : key;
    out[name] = (out[name] || 0) + Number(n || 0);
  }
  return out;
}

/** A proportional stacked bar of {state: n}. */
export function stateBar(counts) {
  const norm = normalizeCounts(counts);
  const bar = h("span", { class: "state-bar", title: describeCounts(norm) });
  for (const state of STATE_ORDER) {
    const n = norm[state];
    if (!n) continue;
    bar.appendChild(h("span", { class: ["state-bar-part", `state-${state}`], style: { flexGrow: String(n) } }));
  }
  return bar;
}

export function describeCounts(counts) {
  const norm = normalizeCounts(counts);
  return STATE_ORDER.filter((s) => norm[s])
    .map((s) => `${s}: ${norm[s]}`)
    .join(", ");
}

/**
 * How a mapped task's number of instances reads: "[N]" once it has expanded, "[ ]" while it has not (the API
 * then counts its one placeholder instance at map index -1), "[0]" when that placeholder ended (a zero-length
 * expansion, or an upstream that failed or skipped). `expanded` comes from the API; without it (older
 * servers) a lone placeholder with no state reads as not expanded.
 */
export function mappedCount(counts, total, expanded) {
  const norm = normalizeCounts(counts);
  const sum = total ?? Object.values(norm).reduce((a, b) => a + b, 0);
  if (expanded === true) return `[${sum}]`;
  if (expanded === false) return norm.none || norm.scheduled ? "[ ]" : "[0]";
  return sum === 1 && norm.none === 1 ? "[ ]" : `[${sum}]`;
}
