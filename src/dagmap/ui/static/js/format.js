// Dates, durations and small text helpers.

export function fmtDate(value) {
  if (!value) return "";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z").replace(/Z$/, " UTC");
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || seconds === "") return "";
  const s = Number(seconds);
  if (Number.isNaN(s)) return String(seconds);
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s % 60)}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function json(value) {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

export function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** An asset condition (the API's asset_expression) as text: "a & (b | c)"; names where they differ from URIs. */
export function describeAssets(expression, top = true) {
  if (!expression || typeof expression !== "object") return "";
  const [kind, value] = Object.entries(expression)[0] || [];
  if (kind === "asset") return String(value && value.uri);
  if ((kind !== "all" && kind !== "any") || !Array.isArray(value)) return "";
  const text = value.map((item) => describeAssets(item, false)).join(kind === "all" ? " & " : " | ");
  return top || value.length === 1 ? text : `(${text})`;
}

/** The schedule of a DAG as the lists show it: its asset condition when it is scheduled on assets. */
export function describeSchedule(dag) {
  if (dag.asset_expression) return `Asset: ${describeAssets(dag.asset_expression)}`;
  return dag.timetable_summary ?? "";
}
