#!/usr/bin/env bash
# Runs the mapping_elt example end to end: a throwaway moto S3 server and DAGMAP_HOME, a random number (2-8)
# of CSV files for 2022-04-12, `dagmap dags test`, checks of the run, the warehouse and the bucket; then the
# same day again (files uploaded anew) to check that nothing doubles. Stops moto and removes everything.
# Exits non-zero when a run or a check fails.
# Usage: scripts/demo_elt.sh   (BIN=venv/bin; SEED=n for the same files; KEEP=1 keeps the work folder;
#        DEMO_WAREHOUSE_URI=postgresql://... loads into that database instead of DuckDB)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/.venv/bin}"
DAY=20220412
LOGICAL_DATE=2022-04-12

for tool in dagmap python moto_server; do
    if [ ! -x "$BIN/$tool" ]; then
        echo "demo-elt: $BIN/$tool not found; run 'make venv' first" >&2
        exit 2
    fi
done
HELPER=("$BIN/python" "$ROOT/scripts/demo_elt_helper.py")

WORK="$(mktemp -d "${TMPDIR:-/tmp}/dagmap-demo-elt.XXXXXX")"
MOTO_PID=""
cleanup() {
    if [ -n "$MOTO_PID" ]; then
        kill "$MOTO_PID" 2>/dev/null || true
        wait "$MOTO_PID" 2>/dev/null || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then
        echo "demo-elt: kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# Everything the runs write goes under $WORK: metadata DB, logs, XComs and the DuckDB warehouse.
export DAGMAP_HOME="$WORK/home"
export DAGMAP__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$DAGMAP_HOME/dagmap.db"
mkdir -p "$DAGMAP_HOME"
unset AIRFLOW_CONN_S3 AIRFLOW_CONN_WAREHOUSE DAGMAP_CONN_WAREHOUSE ELT_BUCKET
if [ -n "${DEMO_WAREHOUSE_URI:-}" ]; then
    export DAGMAP_CONN_WAREHOUSE="$DEMO_WAREHOUSE_URI"
fi

PORT="$("${HELPER[@]}" free-port)"
"$BIN/moto_server" -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
if ! "${HELPER[@]}" wait-http "http://127.0.0.1:$PORT/moto-api/" 30; then
    echo "demo-elt: moto_server did not start; its log:" >&2
    tail -n 20 "$WORK/moto.log" >&2
    exit 1
fi
export DAGMAP_CONN_S3="{\"conn_type\": \"aws\", \"login\": \"demo-key\", \"password\": \"demo-secret\",
    \"extra\": {\"endpoint_url\": \"http://127.0.0.1:$PORT\", \"region_name\": \"us-east-1\"}}"
BUCKET="demo-elt-$(date +%s)-$$"
SEED="${SEED:-$RANDOM}"

run_day() { # $1: label; runs the DAG for $DAY and checks everything against the manifest
    local label="$1" status=0 start elapsed
    "${HELPER[@]}" upload "$BUCKET" "$DAY" "$WORK/manifest.json" --seed "$SEED"
    echo "demo-elt: $label: dagmap dags test mapping_elt $LOGICAL_DATE ..."
    start="${EPOCHREALTIME:-$(date +%s)}"
    "$BIN/dagmap" dags test mapping_elt "$LOGICAL_DATE" --dags-folder "$ROOT/examples/dags" \
        --conf "{\"bucket\": \"$BUCKET\"}" --json >"$WORK/report-$label.json" 2>"$WORK/run-$label.log" || status=$?
    elapsed=$(awk -v start="$start" -v end="${EPOCHREALTIME:-$(date +%s)}" 'BEGIN { printf "%.1f", end - start }')
    if [ "$status" -ne 0 ]; then
        echo "demo-elt: $label: 'dagmap dags test' exited $status after ${elapsed}s; last lines of its output:" >&2
        tail -n 40 "$WORK/run-$label.log" >&2
        exit 1
    fi
    echo "demo-elt: $label: the run took ${elapsed}s"
    "${HELPER[@]}" check "$WORK/report-$label.json" "$WORK/manifest.json" --label "$label"
}

run_day "first run"
run_day "same day again"
echo "demo-elt: OK"
