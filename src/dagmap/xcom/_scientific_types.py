"""Tagged encodings of numpy arrays and scalars and pandas DataFrames and Series (as Parquet).

numpy, pandas and pyarrow are looked up in ``sys.modules`` when encoding (a value of theirs cannot exist
unless they are imported) and imported only when a document that needs them is decoded.
"""

from __future__ import annotations

import base64
import io
import sys
from typing import Any

from dagmap.xcom._common import TAG, ChildEncoder, DecodeError, UnsupportedValue, require
from dagmap.xcom._stdlib_types import decode_base64


def _has_readable_item(dtype: Any) -> bool:
    """Scalars whose ``item()`` is a bool, int, float, str or bytes that gives the same scalar back."""
    return dtype.kind in "biuUS" or (dtype.kind == "f" and dtype.itemsize <= 8)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- numpy ----------------------------------------------------------------------------------------------


def is_numpy_value(value: Any) -> bool:
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray | numpy.generic)


def encode_numpy(value: Any, child: ChildEncoder) -> dict[str, Any]:
    import numpy as np

    dtype = value.dtype
    if dtype.hasobject:
        raise UnsupportedValue(value, "numpy values of dtype object cannot be stored; convert them first")
    descr = child(np.lib.format.dtype_to_descr(dtype), ".dtype")
    if isinstance(value, np.generic):
        if _has_readable_item(dtype):
            return {TAG: "numpy.scalar", "dtype": descr, "value": child(value.item(), "")}
        return {TAG: "numpy.scalar", "dtype": descr, "data": _b64(value.tobytes())}
    if type(value) is not np.ndarray:
        raise UnsupportedValue(value, "only plain numpy.ndarray is supported, not its subclasses")
    return {TAG: "numpy.ndarray", "dtype": descr, "shape": list(value.shape), "data": _b64(value.tobytes())}


def _numpy_dtype(document: dict[str, Any]) -> Any:
    import numpy as np

    try:
        dtype = np.lib.format.descr_to_dtype(require(document, "dtype"))
    except (TypeError, ValueError) as error:
        raise DecodeError(f"invalid numpy dtype: {error}") from error
    if dtype.hasobject:
        raise DecodeError("numpy values of dtype object are never loaded")
    return dtype


def _decode_ndarray(document: dict[str, Any]) -> Any:
    import numpy as np

    dtype = _numpy_dtype(document)
    shape = require(document, "shape")
    if type(shape) is not list or not all(type(size) is int and size >= 0 for size in shape):
        raise DecodeError("invalid numpy shape")
    try:  # a bytearray buffer gives a writable array without another copy
        return np.frombuffer(bytearray(decode_base64(document, "data")), dtype=dtype).reshape(shape)
    except ValueError as error:
        raise DecodeError(f"invalid numpy array: {error}") from error


def _decode_numpy_scalar(document: dict[str, Any]) -> Any:
    import numpy as np

    dtype = _numpy_dtype(document)
    if "value" in document:
        return dtype.type(document["value"])
    try:
        return np.frombuffer(decode_base64(document, "data"), dtype=dtype)[0]
    except (ValueError, IndexError) as error:
        raise DecodeError(f"invalid numpy scalar: {error}") from error


# --- pandas ---------------------------------------------------------------------------------------------

_SERIES_COLUMN = "values"


def is_pandas_value(value: Any) -> bool:
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame | pandas.Series)


def _to_parquet(value: Any, frame: Any) -> str:
    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer, engine="pyarrow")
    except ImportError as error:
        raise UnsupportedValue(value, f"pyarrow is needed to store pandas values: {error}") from error
    except (ValueError, TypeError, NotImplementedError) as error:  # pyarrow's errors derive from these
        raise UnsupportedValue(value, f"it cannot be written as Parquet: {error}") from error
    return _b64(buffer.getvalue())


def encode_pandas(value: Any, child: ChildEncoder) -> dict[str, Any]:
    import pandas as pd

    if type(value) is pd.DataFrame:
        return {TAG: "pandas.DataFrame", "parquet": _to_parquet(value, value)}
    if type(value) is pd.Series:
        frame = value.to_frame(name=_SERIES_COLUMN)
        return {TAG: "pandas.Series", "name": child(value.name, ".name"), "parquet": _to_parquet(value, frame)}
    raise UnsupportedValue(value, "only plain pandas DataFrame and Series are supported, not their subclasses")


def _read_parquet(document: dict[str, Any]) -> Any:
    import pandas as pd

    try:
        return pd.read_parquet(io.BytesIO(decode_base64(document, "parquet")), engine="pyarrow")
    except (ValueError, TypeError, OSError) as error:
        raise DecodeError(f"invalid Parquet in {document[TAG]}: {error}") from error


def _decode_series(document: dict[str, Any]) -> Any:
    frame = _read_parquet(document)
    if list(frame.columns) != [_SERIES_COLUMN]:
        raise DecodeError("invalid pandas.Series: unexpected columns")
    series = frame[_SERIES_COLUMN]
    series.name = require(document, "name")
    return series


DECODERS = {
    "numpy.ndarray": _decode_ndarray,
    "numpy.scalar": _decode_numpy_scalar,
    "pandas.DataFrame": _read_parquet,
    "pandas.Series": _decode_series,
}
