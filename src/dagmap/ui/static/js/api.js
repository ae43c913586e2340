// The REST API client: JSON in and out, problem+json errors as ApiError, and the bearer token asked for
// once on a 401 and kept in sessionStorage.
import { h } from "./dom.js";

const BASE = "/api/v1";
const TOKEN_KEY = "dagmap.token";

export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
    this.detail = detail;
  }
}

let asking = null; // one token prompt at a time, whatever the number of requests that got a 401

function askToken(wrong) {
  if (!asking) {
    asking = new Promise((resolve) => {
      const input = h("input", {
        type: "password",
        name: "token",
        autocomplete: "off",
        placeholder: "DAGMAP__API__AUTH_TOKEN",
        "aria-label": "API token",
      });
      const dialog = h(
        "dialog",
        { class: "modal", id: "token-dialog" },
        h(
          "form",
          { method: "dialog" },
          h("h2", null, "API token"),
          h(
            "p",
            null,
            wrong
              ? "The token was refused. Enter the API token again."
              : "This server requires a token (the value of DAGMAP__API__AUTH_TOKEN).",
          ),
          input,
          h("div", { class: "modal-buttons" }, h("button", { class: "btn btn-primary", value: "ok" }, "Use token")),
        ),
      );
      dialog.addEventListener("close", () => {
        const token = input.value.trim();
        dialog.remove();
        if (token) sessionStorage.setItem(TOKEN_KEY, token);
        asking = null;
        resolve(token);
      });
      document.body.appendChild(dialog);
      dialog.showModal();
    });
  }
  return asking;
}

/** Path segments are encoded: run ids hold ':' and '+'. */
export function path(strings, ...values) {
  return strings.reduce((out, str, i) => out + str + (i < values.length ? encodeURIComponent(values[i]) : ""), "");
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") q.set(key, String(value));
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}

async function send(url, method, body, token) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(BASE + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** One API call; a 401 asks for the token (one prompt for all pending calls) and tries again with it. */
export async function api(url, { method = "GET", body } = {}) {
  let response;
  for (let attempt = 0; ; attempt++) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    response = await send(url, method, body, token);
    if (response.status !== 401 || attempt >= 5) break;
    if (sessionStorage.getItem(TOKEN_KEY) === token) {
      // Nobody entered a new token meanwhile: this one is missing or wrong.
      sessionStorage.removeItem(TOKEN_KEY);
      const entered = await askToken(Boolean(token));
      if (!entered) throw new ApiError(401, "Unauthorized", "an API token is needed");
    }
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    let detail = data && data.detail;
    if (Array.isArray(detail)) detail = detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
    else if (detail && typeof detail !== "string") detail = JSON.stringify(detail);
    throw new ApiError(response.status, data && data.title, detail || text || response.statusText);
  }
  return data;
}
