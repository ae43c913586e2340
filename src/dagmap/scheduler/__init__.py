"""The scheduling engine: pure decision functions (dependencies, expansion, run_state, retries, queueing)
and the thin shell (loop) that loads rows, decides and writes in bulk. Never imports user-facing code."""
