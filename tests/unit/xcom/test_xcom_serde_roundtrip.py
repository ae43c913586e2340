"""Property-based round trips of dagmap.xcom.serde: every supported type comes back equal and of its type."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pydantic
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.extra import pandas as hpd

from dagmap.xcom.serde import TAG, deserialize, serialize

# --- comparing values strictly: same types all the way down, NaN equal to NaN ---------------------------


def assert_same(expected: Any, actual: Any) -> None:
    assert type(actual) is type(expected), (expected, actual)
    if isinstance(expected, float):
        assert (math.isnan(expected) and math.isnan(actual)) or (
            expected == actual and math.copysign(1, expected) == math.copysign(1, actual)
        )
    elif isinstance(expected, list | tuple):
        assert len(actual) == len(expected)
        for left, right in zip(expected, actual, strict=True):
            assert_same(left, right)
    elif isinstance(expected, dict):
        assert len(actual) == len(expected)
        for (left_key, left), (right_key, right) in zip(expected.items(), actual.items(), strict=True):
            assert_same(left_key, right_key)
            assert_same(left, right)
    elif isinstance(expected, datetime | time):
        assert actual.replace(tzinfo=None) == expected.replace(tzinfo=None)
        assert actual.utcoffset() == expected.utcoffset()
        assert actual.fold == expected.fold
        if isinstance(expected.tzinfo, ZoneInfo):
            assert actual.tzinfo is expected.tzinfo  # ZoneInfo instances are cached by key
        else:
            assert (actual.tzinfo is None) == (expected.tzinfo is None)
    elif isinstance(expected, Decimal):
        assert str(actual) == str(expected)
    else:
        assert actual == expected


def round_trip(value: Any) -> Any:
    text = serialize(value)
    assert isinstance(text, str)
    json.loads(text, parse_constant=_refuse_constant)  # always strict JSON: no NaN or Infinity tokens
    return deserialize(text)


def _refuse_constant(name: str) -> Any:
    raise AssertionError(f"non-standard JSON constant {name} in the document")


# --- plain JSON -----------------------------------------------------------------------------------------

finite_floats = st.floats(allow_nan=False, allow_infinity=False)
plain_scalars = st.none() | st.booleans() | st.integers() | finite_floats | st.text()
plain_json = st.recursive(
    plain_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=30,
)
json_with_non_finite = st.recursive(
    plain_scalars | st.floats(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=30,
)


@settings(deadline=None)
@given(plain_json)
def test_plain_json_stays_plain_and_compact(value: Any) -> None:
    text = serialize(value)
    assert text == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert_same(value, deserialize(text))


@settings(deadline=None)
@given(json_with_non_finite)
def test_non_finite_floats_round_trip_in_strict_json(value: Any) -> None:
    assert_same(value, round_trip(value))


def test_a_large_list_of_ints_is_the_plain_json_list() -> None:
    value = list(range(10_000))
    text = serialize(value)
    assert text == json.dumps(value, separators=(",", ":"))
    assert deserialize(text) == value


@settings(deadline=None)
@given(st.text())
def test_any_string_is_storable_as_utf8(value: str) -> None:
    text = serialize({"s": value, "t": (value,)})
    text.encode("utf-8")  # lone surrogates are escaped, never left raw
    assert_same({"s": value, "t": (value,)}, deserialize(text))


def test_lone_surrogates_are_escaped_not_lost() -> None:
    value = ["\ud800", {"key\udfff": "x"}]
    text = serialize(value)
    text.encode("utf-8")
    assert deserialize(text) == value


# --- standard-library types -----------------------------------------------------------------------------

fixed_offsets = st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59))
fixed_timezones = fixed_offsets.map(timezone)
any_timezone = st.none() | st.just(UTC) | fixed_timezones | st.timezones()


@settings(deadline=None)
@given(st.datetimes(timezones=any_timezone, allow_imaginary=True))
@example(datetime(2000, 1, 1, tzinfo=timezone(timedelta(microseconds=1))))  # Python 3.11's fromisoformat drops it
@example(datetime(2000, 1, 1, tzinfo=timezone(timedelta(microseconds=-5))))
def test_datetimes_naive_and_aware(value: datetime) -> None:
    assert_same(value, round_trip(value))


@settings(deadline=None)
@given(st.times(timezones=st.none() | fixed_timezones | st.timezones()))
@example(time(1, 2, tzinfo=timezone(timedelta(microseconds=-5))))
def test_times(value: time) -> None:
    assert_same(value, round_trip(value))


@settings(deadline=None)
@given(st.dates(), st.timedeltas())
def test_dates_and_timedeltas(day: date, delta: timedelta) -> None:
    assert_same([day, delta], round_trip([day, delta]))


def test_a_utc_datetime_reads_well() -> None:
    value = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert json.loads(serialize(value)) == {TAG: "datetime", "value": "2024-05-01T12:30:00+00:00"}


@settings(deadline=None)
@given(st.decimals(allow_nan=True, allow_infinity=True))
def test_decimals_keep_their_exponent(value: Decimal) -> None:
    assert_same(value, round_trip(value))


hashables = st.recursive(
    st.none() | st.booleans() | st.integers() | finite_floats | st.text() | st.binary(max_size=8) | st.dates(),
    lambda children: st.tuples(children, children) | st.frozensets(children, max_size=3),
    max_leaves=8,
)


@settings(deadline=None)
@given(st.lists(hashables, max_size=6).map(tuple), st.sets(hashables, max_size=6), st.frozensets(hashables, max_size=6))
def test_tuples_sets_and_frozensets_are_kept(as_tuple: Any, as_set: Any, as_frozenset: Any) -> None:
    value = {"tuple": as_tuple, "set": as_set, "frozenset": as_frozenset}
    result = round_trip(value)
    assert_same(as_tuple, result["tuple"])
    assert type(result["set"]) is set and result["set"] == as_set
    assert type(result["frozenset"]) is frozenset and result["frozenset"] == as_frozenset


def test_equal_sets_give_the_same_document() -> None:
    assert serialize({3, 1, 2}) == serialize({2, 3, 1}) == '{"__dagmap_type__":"set","items":[1,2,3]}'


@settings(deadline=None)
@given(st.dictionaries(hashables, plain_json | hashables, max_size=6))
def test_dicts_with_any_hashable_keys(value: dict[Any, Any]) -> None:
    assert_same(value, round_trip(value))


user_dicts_with_the_tag = st.recursive(
    st.dictionaries(st.sampled_from([TAG, "items", "value", "x"]), plain_scalars, max_size=4),
    lambda children: st.dictionaries(st.sampled_from([TAG, "items", "x"]), children | st.lists(children), max_size=3),
    max_leaves=10,
)


@settings(deadline=None)
@given(user_dicts_with_the_tag)
def test_user_dicts_holding_the_tag_key_round_trip(value: dict[str, Any]) -> None:
    assert_same(value, round_trip(value))


def test_a_user_dict_that_looks_tagged_is_not_decoded_as_a_type() -> None:
    value = {TAG: "datetime", "value": "2024-01-01T00:00:00"}
    assert_same(value, round_trip(value))


@settings(deadline=None)
@given(st.binary(), st.binary().map(bytearray), st.uuids())
def test_bytes_bytearray_and_uuids(raw: bytes, mutable: bytearray, identifier: uuid.UUID) -> None:
    assert_same([raw, mutable, identifier], round_trip([raw, mutable, identifier]))


path_texts = st.lists(st.text(st.characters(blacklist_characters="/\\\0:"), min_size=1, max_size=5), max_size=4)


@settings(deadline=None)
@given(path_texts, st.booleans())
def test_paths_keep_their_flavour(parts: list[str], absolute: bool) -> None:
    for kind in (Path, PurePosixPath, PureWindowsPath):
        value = kind("/" if absolute else ".", *parts)
        result = round_trip(value)
        assert result == value
        assert isinstance(result, Path) if kind is Path else type(result) is kind


# --- user classes: re-imported by path ------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    PAIR = (1, 2)


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Permission(enum.Flag):
    READ = 1
    WRITE = 2


@pytest.mark.parametrize(
    "member", [Color.RED, Color.PAIR, Priority.HIGH, Permission.READ, Permission.READ | Permission.WRITE]
)
def test_enum_members(member: enum.Enum) -> None:
    result = round_trip({"member": member})["member"]
    assert type(result) is type(member) and result == member


@dataclasses.dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclasses.dataclass
class Shape:
    name: str
    points: list[Point]
    tags: frozenset[str] = frozenset()
    created: datetime | None = None
    area: float = dataclasses.field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.area = float(len(self.points))


points = st.builds(Point, finite_floats, finite_floats)
shapes = st.builds(
    Shape,
    name=st.text(),
    points=st.lists(points, max_size=4),
    tags=st.frozensets(st.text(), max_size=3),
    created=st.none() | st.datetimes(timezones=st.just(UTC)),
)


@settings(deadline=None)
@given(shapes)
def test_dataclasses_nested_frozen_and_with_non_init_fields(value: Shape) -> None:
    value.area = 42.0  # changed after creation: restored as stored, not recomputed
    result = round_trip(value)
    assert type(result) is Shape and result == value and result.area == 42.0
    assert all(type(point) is Point for point in result.points)


class Pair(NamedTuple):
    left: Any
    right: Any


@settings(deadline=None)
@given(plain_json, hashables)
def test_named_tuples(left: Any, right: Any) -> None:
    assert_same(Pair(left, right), round_trip(Pair(left, right)))


class Address(pydantic.BaseModel):
    city: str
    zip_code: str = pydantic.Field(alias="zipCode")


class Person(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")

    name: str
    born: date
    addresses: list[Address] = []
    scores: tuple[int, ...] = ()


class Scores(pydantic.RootModel[dict[str, float]]):
    pass


addresses = st.builds(lambda city, code: Address(city=city, zipCode=code), st.text(), st.text())
people = st.builds(
    lambda name, born, homes, scores, extra: Person(
        name=name, born=born, addresses=homes, scores=tuple(scores), **extra
    ),
    st.text(),
    st.dates(),
    st.lists(addresses, max_size=3),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["nickname", "team"]), st.text(), max_size=2),
)


@settings(deadline=None)
@given(people)
def test_pydantic_models_with_aliases_nesting_and_extras(value: Person) -> None:
    result = round_trip(value)
    assert type(result) is Person and result == value
    assert result.model_extra == value.model_extra


@settings(deadline=None)
@given(st.dictionaries(st.text(), finite_floats, max_size=4))
def test_pydantic_root_models(scores: dict[str, float]) -> None:
    value = Scores(scores)
    result = round_trip(value)
    assert type(result) is Scores and result == value


# --- numpy and pandas -----------------------------------------------------------------------------------

numpy_dtypes = (
    hnp.boolean_dtypes()
    | hnp.integer_dtypes()
    | hnp.unsigned_integer_dtypes()
    | hnp.floating_dtypes()
    | hnp.complex_number_dtypes()
    | hnp.datetime64_dtypes()
    | hnp.timedelta64_dtypes()
    | hnp.unicode_string_dtypes(max_len=4)
    | hnp.byte_string_dtypes(max_len=4)
)


@settings(deadline=None)
@given(hnp.arrays(numpy_dtypes, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)))
def test_numpy_arrays_keep_dtype_shape_and_bytes(value: np.ndarray) -> None:
    result = round_trip(value)
    assert type(result) is np.ndarray
    assert result.dtype == value.dtype and result.shape == value.shape
    assert result.tobytes() == value.tobytes()
    assert result.flags.writeable


def test_structured_and_fortran_ordered_arrays() -> None:
    structured = np.array([(1, 2.5), (3, -1.0)], dtype=[("id", "<i4"), ("score", "<f8")])
    result = round_trip(structured)
    assert result.dtype == structured.dtype and result.tolist() == structured.tolist()
    fortran = np.asfortranarray(np.arange(12, dtype=np.int16).reshape(3, 4))
    assert np.array_equal(round_trip(fortran), fortran)


@settings(deadline=None)
@given(numpy_dtypes.flatmap(lambda dtype: hnp.from_dtype(dtype).map(lambda item: dtype.type(item))))
def test_numpy_scalars_keep_their_dtype(value: np.generic) -> None:
    result = round_trip(value)
    assert type(result) is type(value) and result.dtype == value.dtype
    assert result.tobytes() == value.tobytes()


def test_common_numpy_scalars_read_as_numbers() -> None:
    assert json.loads(serialize(np.int64(7))) == {TAG: "numpy.scalar", "dtype": "<i8", "value": 7}


frame_columns = [
    hpd.column("ints", dtype=np.int64),
    hpd.column("floats", dtype=np.float64),
    hpd.column("flags", dtype=bool),
    hpd.column("labels", elements=st.text(max_size=5), dtype=object),
    hpd.column("stamps", dtype="datetime64[ns]"),
]
frame_indexes = hpd.range_indexes(max_size=6) | hpd.indexes(
    elements=st.integers(-100, 100), unique=True, max_size=6, name=st.none() | st.just("row")
)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=40, deadline=None)
@given(hpd.data_frames(frame_columns, index=frame_indexes), st.none() | st.text(max_size=3))
def test_pandas_data_frames_keep_index_and_column_names(frame: pd.DataFrame, columns_name: str | None) -> None:
    frame.columns.name = columns_name
    result = round_trip(frame)
    assert type(result) is pd.DataFrame
    # Strings come back with pandas' string dtype instead of object; every other dtype is kept.
    pd.testing.assert_frame_equal(result, frame, check_dtype=False, check_index_type=False)
    assert result.dtypes.drop("labels").equals(frame.dtypes.drop("labels"))
    assert list(result.columns) == list(frame.columns) and result.columns.name == frame.columns.name
    assert result.index.name == frame.index.name


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=40, deadline=None)
@given(
    hpd.series(dtype=np.float64, index=frame_indexes),
    st.none() | st.text(max_size=3) | st.integers() | st.tuples(st.text(max_size=2), st.integers()),
)
def test_pandas_series_keep_name_and_index(series: pd.Series, name: Any) -> None:
    series.name = name
    result = round_trip(series)
    assert type(result) is pd.Series
    pd.testing.assert_series_equal(result, series, check_index_type=False)


def test_pandas_multi_index_frame() -> None:
    index = pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["letter", "number"])
    frame = pd.DataFrame({"value": [1.5, 2.5], "when": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)}, index)
    pd.testing.assert_frame_equal(round_trip({"frame": frame})["frame"], frame)
