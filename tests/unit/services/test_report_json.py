"""``dags test --json`` shows typed return values readably: no base64 Parquet, no silent loss of structure."""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from dagmap.services.dag_test import _jsonable


def test_plain_json_is_unchanged() -> None:
    value = {"a": [1, 2.5, None, True], "b": {"c": "d"}}
    assert _jsonable(value) == value


def test_typed_values_become_readable_json() -> None:
    frame = pd.DataFrame({"x": [1, 2, 3, 4, 5, 6], "y": list("abcdef")})
    shown = _jsonable(
        {
            "frame": frame,
            "array": np.arange(3),
            "big": np.zeros((20, 20)),
            "when": datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.UTC),
            "pair": (1, 2),
            "money": Decimal("1.50"),
        }
    )
    assert shown["frame"] == {
        "type": "DataFrame",
        "shape": [6, 2],
        "columns": ["x", "y"],
        "head": [{"x": i, "y": c} for i, c in zip(range(1, 6), "abcde", strict=False)],
    }
    assert shown["array"] == [0, 1, 2]
    assert shown["big"] == {"type": "numpy.ndarray", "shape": [20, 20]}
    assert shown["when"] == "2024-01-02T03:04:00+00:00"
    assert shown["pair"] == [1, 2]
    assert shown["money"] == "1.50"
