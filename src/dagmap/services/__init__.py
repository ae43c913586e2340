"""Use-cases shared by the CLI and the API (run a DAG test, list DAGs, ...): wiring of store, SDK and engine."""
