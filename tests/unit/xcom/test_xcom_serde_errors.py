"""Errors of dagmap.xcom.serde name the type, the path inside the value, and the task when known."""

from __future__ import annotations

import ast
import collections
import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dagmap.errors import XComSerializationError
from dagmap.xcom.serde import TAG, deserialize, serialize, serialize_for_task


class Opaque:
    """A type dagmap does not know."""


@dataclasses.dataclass
class Holder:
    payload: Any


def error_for(value: Any) -> XComSerializationError:
    with pytest.raises(XComSerializationError) as caught:
        serialize(value)
    return caught.value


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (Opaque(), "value"),
        ({"rows": [1, 2, 3, Opaque()]}, "value['rows'][3]"),
        ([{"a": (1, Opaque())}], "value[0]['a'][1]"),
        ({"h": Holder(payload=[Opaque()])}, "value['h'].payload[0]"),
        ({1: {"x": Opaque()}}, "value[1]['x']"),
        ({(1, Opaque()): "key"}, "value.keys()[0][1]"),
        ({TAG: Opaque()}, f"value[{TAG!r}]"),
        ({"s": frozenset({Opaque()})}, "value['s'] (an item of the set)"),
    ],
)
def test_unknown_types_name_the_type_and_the_path(value: Any, path: str) -> None:
    error = error_for(value)
    type_name = f"{__name__}.Opaque"
    assert (error.details["type_name"], error.details["path"]) == (type_name, path)
    assert f"cannot serialize {type_name} at {path}: " in str(error)


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (collections.deque([1]), "collections.deque"),
        (complex(1, 2), "builtins.complex"),
        (object(), "builtins.object"),
        (memoryview(b"x"), "builtins.memoryview"),
        (range(3), "builtins.range"),
        (lambda: 1, "builtins.function"),
    ],
)
def test_builtin_and_stdlib_types_are_never_str_ed(value: Any, type_name: str) -> None:
    error = error_for({"v": value})
    assert error.details["type_name"] == type_name
    assert f"cannot serialize {type_name} at value['v']" in error.message


def test_classes_that_cannot_be_imported_again_are_refused() -> None:
    @dataclasses.dataclass
    class Local:
        x: int

    error = error_for([Local(1)])
    assert "cannot be imported again" in error.message and error.details["path"] == "value[0]"


def test_numpy_object_arrays_are_refused() -> None:
    error = error_for({"arr": np.array([1, "a", None], dtype=object)})
    assert error.details["type_name"] == "numpy.ndarray" and "dtype object" in error.message


def test_numpy_array_subclasses_are_refused() -> None:
    error = error_for(np.ma.masked_array([1, 2], mask=[False, True]))
    assert error.details["type_name"] == "numpy.ma.MaskedArray"


def test_data_frames_parquet_cannot_hold_are_refused() -> None:
    frame = pd.DataFrame({"o": [Opaque(), 1]})
    error = error_for({"df": frame})
    assert error.details["type_name"] == "pandas.DataFrame" and "Parquet" in error.message
    assert error.details["path"] == "value['df']"


def test_reference_cycles_are_refused() -> None:
    cyclic: list[Any] = [1]
    cyclic.append({"back": cyclic})
    error = error_for(cyclic)
    assert "cycle" in error.message and error.details["path"] == "value[1]['back']"


def test_shared_references_are_not_cycles() -> None:
    shared = [1, 2]
    assert deserialize(serialize([shared, shared, (shared,)])) == [[1, 2], [1, 2], ([1, 2],)]


def test_dict_subclasses_from_collections_are_stored_as_dicts() -> None:
    counts = collections.Counter("aab")
    nested = collections.defaultdict(list, {"x": [1]})
    assert deserialize(serialize([counts, nested])) == [{"a": 2, "b": 1}, {"x": [1]}]


def test_serialize_for_task_names_dag_task_map_index_and_key() -> None:
    with pytest.raises(XComSerializationError) as caught:
        serialize_for_task({"rows": [Opaque()]}, dag_id="etl", task_id="extract", map_index=3, key="return_value")
    error = caught.value
    assert (error.dag_id, error.task_id, error.map_index) == ("etl", "extract", 3)
    text = str(error)
    for fragment in ("'etl'", "'extract'", "map index 3", "'return_value'", f"{__name__}.Opaque", "value['rows'][0]"):
        assert fragment in text, text
    assert error.details["path"] == "value['rows'][0]"


def test_serialize_for_task_returns_the_same_document() -> None:
    text = serialize_for_task((1, "a"), dag_id="d", task_id="t", map_index=-1, key="k")
    assert text == serialize((1, "a"))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{not json", "not valid JSON"),
        (f'{{"{TAG}":"no_such_type"}}', "unknown tagged type 'no_such_type'"),
        (f'{{"{TAG}":"xcom_ref","path":"a"}}', "XComStorage"),
        (f'{{"{TAG}":"dataclass","class":"no_such_module_xyz:Thing","fields":{{}}}}', "cannot import"),
        (f'{{"{TAG}":"enum","class":"builtins:len","value":1}}', "is not a class"),
        (f'{{"{TAG}":"enum","class":"builtins:int","value":1}}', "is not a Enum"),
        (f'{{"{TAG}":"datetime"}}', "lacks field 'value'"),
        (f'{{"{TAG}":"bytes","base64":"***"}}', "invalid base64"),
        (f'{{"{TAG}":"path","kind":"Path","value":5}}', "invalid path: TypeError"),
        (f'{{"{TAG}":"tuple","items":5}}', "items is not a list"),
        (f'{{"{TAG}":"numpy.ndarray","dtype":"|O","shape":[1],"data":""}}', "dtype object"),
        (f'{{"{TAG}":"dataclass","class":"{__name__}:Holder","fields":{{"other":1}}}}', "fields of"),
    ],
)
def test_deserialize_errors_are_xcom_serialization_errors(text: str, fragment: str) -> None:
    with pytest.raises(XComSerializationError) as caught:
        deserialize(text)
    assert fragment in caught.value.message


def test_no_xcom_module_uses_pickle() -> None:
    package = Path(__file__).parents[3] / "src" / "dagmap" / "xcom"
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(name.split(".")[0] in {"pickle", "dill", "cloudpickle", "marshal"} for name in names)


def test_numpy_pandas_pyarrow_and_pydantic_are_imported_only_when_needed() -> None:
    script = textwrap.dedent(
        """
        import sys
        from dagmap.xcom.serde import serialize, deserialize
        import datetime, decimal
        value = {"a": [1, 2.5, None], "t": (datetime.datetime(2024, 1, 1), decimal.Decimal("1"))}
        assert deserialize(serialize(value)) == value
        heavy = {"numpy", "pandas", "pyarrow", "pydantic"} & set(sys.modules)
        assert not heavy, heavy
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
