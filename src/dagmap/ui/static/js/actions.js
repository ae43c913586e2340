// Clearing and marking, shared by the instance, mapped and run panels: every clear is a dry run first,
// whose list of instances is shown for confirmation.
import { api, path } from "./api.js";
import { h, modal, toast } from "./dom.js";
import { plural } from "./format.js";

const SHOWN = 200;

function instanceList(instances) {
  const oneRun = new Set(instances.map((ti) => ti.dag_run_id)).size <= 1;
  const items = instances.slice(0, SHOWN).map((ti) =>
    h(
      "li",
      { class: "mono" },
      ti.task_id,
      ti.map_index !== undefined && ti.map_index !== null && ti.map_index >= 0 ? `[${ti.map_index}]` : "",
      !oneRun && ti.dag_run_id ? h("span", { class: "muted" }, `  ${ti.dag_run_id}`) : "",
    ),
  );
  if (instances.length > SHOWN) items.push(h("li", { class: "muted" }, `… and ${instances.length - SHOWN} more`));
  return h("ul", { class: "clear-list" }, items);
}

/**
 * Clear through `endpoint` with `body` (dry run first). Resolves to true when something was cleared.
 * `describe` names what is cleared in the dialog's title.
 */
export async function confirmClear(endpoint, body, describe) {
  let preview;
  try {
    preview = await api(endpoint, { method: "POST", body: { ...body, dry_run: true } });
  } catch (error) {
    toast(`Could not clear ${describe}: ${error.message}`, "error");
    return false;
  }
  const instances = preview.task_instances || [];
  if (!instances.length) {
    await modal(`Clear ${describe}`, h("p", null, "Nothing to clear."), [{ label: "Close", value: "cancel" }]);
    return false;
  }
  const answer = await modal(
    `Clear ${describe}`,
    [
      h("p", null, `${plural(instances.length, "task instance")} will be cleared and run again:`),
      instanceList(instances),
    ],
    [
      { label: "Cancel", value: "cancel" },
      { label: "Confirm clear", value: "confirm", class: "btn btn-primary" },
    ],
  );
  if (answer !== "confirm") return false;
  try {
    const done = await api(endpoint, { method: "POST", body: { ...body, dry_run: false } });
    toast(`Cleared ${plural((done.task_instances || instances).length, "task instance")}`);
    return true;
  } catch (error) {
    toast(`Could not clear ${describe}: ${error.message}`, "error");
    return false;
  }
}

export function clearInstance(dagId, runId, taskId, mapIndex, { includeDownstream = true, onlyFailed = false } = {}) {
  const key = mapIndex === null || mapIndex === undefined || mapIndex < 0 ? taskId : [taskId, mapIndex];
  const label = Array.isArray(key) ? `${taskId}[${mapIndex}]` : taskId;
  return confirmClear(
    path`/dags/${dagId}/clearTaskInstances`,
    { dag_run_id: runId, task_ids: [key], include_downstream: includeDownstream, only_failed: onlyFailed },
    label,
  );
}

export function clearRun(dagId, runId, { onlyFailed = false } = {}) {
  return confirmClear(
    path`/dags/${dagId}/dagRuns/${runId}/clear`,
    { only_failed: onlyFailed },
    onlyFailed ? `the failed tasks of ${runId}` : `run ${runId}`,
  );
}

export async function markInstance(dagId, runId, taskId, mapIndex, newState) {
  const label = mapIndex >= 0 ? `${taskId}[${mapIndex}]` : taskId;
  const answer = await modal(`Mark ${label} ${newState}`, h("p", null, `Set ${label} of ${runId} to ${newState}?`), [
    { label: "Cancel", value: "cancel" },
    { label: `Mark ${newState}`, value: "confirm", class: "btn btn-primary" },
  ]);
  if (answer !== "confirm") return false;
  try {
    await api(path`/dags/${dagId}/dagRuns/${runId}/taskInstances/${taskId}/${mapIndex}`, {
      method: "PATCH",
      body: { new_state: newState },
    });
    toast(`${label} marked ${newState}`);
    return true;
  } catch (error) {
    toast(`Could not mark ${label}: ${error.message}`, "error");
    return false;
  }
}

export async function markRun(dagId, runId, state) {
  const answer = await modal(`Mark run ${state}`, h("p", null, `Set run ${runId} to ${state}?`), [
    { label: "Cancel", value: "cancel" },
    { label: `Mark ${state}`, value: "confirm", class: "btn btn-primary" },
  ]);
  if (answer !== "confirm") return false;
  try {
    await api(path`/dags/${dagId}/dagRuns/${runId}`, { method: "PATCH", body: { state } });
    toast(`Run ${runId} marked ${state}`);
    return true;
  } catch (error) {
    toast(`Could not mark run ${runId}: ${error.message}`, "error");
    return false;
  }
}

export async function deleteRun(dagId, runId) {
  const answer = await modal(
    "Delete run",
    h("p", null, `Delete run ${runId} with its task instances, XComs and stored objects?`),
    [
      { label: "Cancel", value: "cancel" },
      { label: "Delete", value: "confirm", class: "btn btn-danger" },
    ],
  );
  if (answer !== "confirm") return false;
  try {
    await api(path`/dags/${dagId}/dagRuns/${runId}`, { method: "DELETE" });
    toast(`Run ${runId} deleted`);
    return true;
  } catch (error) {
    toast(`Could not delete run ${runId}: ${error.message}`, "error");
    return false;
  }
}
