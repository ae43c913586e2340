"""Executor integration tests: the contract suite lives with the unit tests; make it importable here and in
worker processes (which receive this process's ``sys.path``)."""

from __future__ import annotations

import sys
from pathlib import Path

CONTRACT_DIR = str(Path(__file__).resolve().parents[2] / "unit" / "executors")
if CONTRACT_DIR not in sys.path:
    sys.path.insert(0, CONTRACT_DIR)
