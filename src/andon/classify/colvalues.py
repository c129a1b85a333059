"""Column values as the column path handles them: Arrow strings, canonical forms, cheap
pre-filters, coordinate numbers and pairs, and the shapes of names and addresses in columns
named as such. Pure functions over ``pyarrow`` arrays and numpy; nothing here keeps a value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped,unused-ignore]

from andon.classify import validators as v
from andon.classify.model import DataType

D = DataType

# Vectorized validators (distinct values at once) for the check-digit types.
MASKS: Mapping[DataType, Callable[[Any], Any]] = {
    D.VIN: partial(v.vin_mask, require_check_digit=False),
    D.IMEI: v.imei_mask,
    D.ICCID: v.iccid_mask,
    D.PAYMENT_CARD: v.card_mask,
    D.JP_MY_NUMBER: v.my_number_mask,
}
# Cheap supersets of what the vectorized masks accept (the detectors' value_regex is narrower:
# an IMEI may be written with spaces).
PREFILTER: Mapping[DataType, str] = {
    D.VIN: r"^[A-Za-z0-9]{17}$",
    D.IMEI: r"^[0-9][0-9 -]{13,20}[0-9]$",
    D.ICCID: r"^89[0-9 -]{16,24}[0-9]$",
    D.PAYMENT_CARD: r"^[0-9][0-9 -]{11,24}[0-9]$",
    D.JP_MY_NUMBER: r"^[0-9][0-9 -]{10,16}[0-9]$",
}
_JA = "\u3005\u3041-\u30ff\u4e00-\u9fff"  # 々, kana, kanji
# Something every by-value type has (digits, @, a PEM header, a key prefix, a prefecture): a
# cheap RE2 pass before the per-type checks (long patterns take RE2 long to compile).
ANY_VALUE = r"[0-9]{3}|@|-----BEGIN|^A[KS]IA|[0-9]\.[0-9]|:[0-9A-Fa-f]*:|[都道府県]"
_BARE_NAME = re.compile(
    r"[^\W\d_][^\W\d_'’.-]*(?:[ 　][^\W\d_][^\W\d_'’.-]*){1,3}"
    rf"|[{_JA}・ー]{{2,12}}(?:[ 　][{_JA}]{{1,8}})?"
)
_NOT_A_NAME = frozenset({"null", "none", "n/a", "na", "nil", "unknown", "test", "-", "?"})


def is_person_name(value: str, *, bare: bool = False) -> bool:
    """A name as written in a name column: 1-4 words of letters (Latin, kana, kanji), no
    digits; ``bare`` (a column called just ``name``) wants 2-4 words or Japanese script."""
    s = value.strip()
    if not 2 <= len(s) <= 60 or s.lower() in _NOT_A_NAME or any(c.isdigit() for c in s):
        return False
    if bare:
        return _BARE_NAME.fullmatch(s) is not None
    return all(c.isalpha() or c in " 　'’.・-" for c in s) and len(s.split()) <= 4


def loose_address(value: str) -> bool:
    """An address in a column named as one: a JP municipality, or letters with a number."""
    s = value.strip()
    if v.is_jp_address(s, require_prefecture=False):
        return True
    return 8 <= len(s) <= 200 and any(c.isdigit() for c in s) and any(c.isalpha() for c in s)


def re2(pattern: str) -> str:
    """A pattern for RE2 (``pyarrow.compute``): Python's ``\\uXXXX`` escapes as ``\\x{XXXX}``."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", r"\\x{\1}", pattern)


def np_bool(arr: Any) -> np.ndarray:
    """A boolean Arrow array as numpy (null is False)."""
    return np.asarray(arr.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def canonical(values: Any) -> Any:
    """Trimmed values, NFKC-normalized when any is not ASCII (full-width digits, half-width
    kana): the form that is validated, redacted and normalized."""
    values = pc.utf8_trim_whitespace(values)
    if not pa.types.is_string(values.type):  # large strings: distinct values are few
        values = values.cast(pa.string())
    if len(values) and not pc.all(pc.string_is_ascii(values)).as_py():
        values = pc.utf8_normalize(values, "NFKC")
    return values


def vector_normal(dtype: DataType, values: Any) -> list[str]:
    """Normalized values for the masked types, as the detectors' ``score`` gives them."""
    if dtype is D.VIN:
        return list(pc.utf8_upper(values).to_pylist())
    return list(pc.replace_substring(pc.replace_substring(values, " ", ""), "-", "").to_pylist())


def as_strings(arr: Any) -> Any | None:
    """The column as strings (integers cast), or None for types never inspected."""
    t = arr.type
    if pa.types.is_dictionary(t):
        return as_strings(arr.dictionary_decode())
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return arr
    if pa.types.is_integer(t) or pa.types.is_string_view(t):
        return pc.cast(arr, pa.string())
    return None


def sample(arr: Any, n: int) -> Any:
    """At most ``n`` non-null values, evenly spread over the column."""
    values = arr.drop_null()
    if len(values) > n:
        values = values.take(np.linspace(0, len(values) - 1, n).astype(np.int64))
    return values


def numbers(arr: Any) -> np.ndarray:
    """Float64 values (NaN where missing or not a plain decimal number)."""
    if pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type):
        return np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), float)
    strings = as_strings(arr)
    if strings is None:
        return np.full(len(arr), np.nan)
    try:
        out = pc.cast(strings, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        strings = pc.utf8_trim_whitespace(strings)
        ok = pc.match_substring_regex(strings, r"^[-+]?[0-9]{1,3}(?:\.[0-9]+)?$")
        out = pc.cast(pc.if_else(ok, strings, pa.scalar(None, strings.type)), pa.float64())
    return np.asarray(out.to_numpy(zero_copy_only=False), float)


def geo_ok(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Rows whose latitude and longitude are in range and not (0, 0)."""
    with np.errstate(invalid="ignore"):
        inside = (np.abs(lat) <= 90) & (np.abs(lon) <= 180) & ~((lat == 0) & (lon == 0))
    return np.asarray(inside, bool)


_NUM = r"[-+]?[0-9]{1,3}\.[0-9]+"
_INLINE = (
    rf"^\s*[\[(]?\s*(?P<lat>{_NUM})\s*[, ]\s*(?P<lon>{_NUM})\s*[\])]?\s*$",
    rf"(?i)^\s*POINT\s*\(\s*(?P<lon>{_NUM})\s+(?P<lat>{_NUM})\s*\)\s*$",  # WKT: lon first
)


def inline_pairs(strings: Any) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes of ``lat, lon`` / ``[lat, lon]`` / WKT ``POINT (lon lat)``
    cells (NaN elsewhere)."""
    lat, lon = np.full(len(strings), np.nan), np.full(len(strings), np.nan)
    for pattern in _INLINE:
        parts = pc.extract_regex(strings, pattern)
        hit = np_bool(pc.is_valid(parts)) & np.isnan(lat)
        if hit.any():
            for out, key in ((lat, "lat"), (lon, "lon")):
                got = pc.cast(pc.struct_field(parts, key), pa.float64())
                out[hit] = np.asarray(got.to_numpy(zero_copy_only=False), float)[hit]
    return lat, lon


def leaf_columns(columns: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Columns as (name, Array): chunks combined, struct columns as ``parent.child``."""
    for name, col in columns.items():
        arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        if isinstance(arr, pa.DictionaryArray) and len(arr.dictionary) > len(arr):
            arr = arr.dictionary_decode()
        if pa.types.is_struct(arr.type):
            yield from leaf_columns({f"{name}.{f.name}": arr.field(f.name) for f in arr.type})
        else:
            yield name, arr


def string_buffers(arr: Any) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (from the first value) and data bytes of a string or large_string array."""
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset : arr.offset + len(arr) + 1]
    buf = arr.buffers()[2]
    data = np.frombuffer(buf, dtype=np.uint8) if buf is not None else np.zeros(0, np.uint8)
    start = int(offsets[0])
    return offsets.astype(np.int64) - start, data[start : int(offsets[-1])]
