"""Vectorized validators: a mask per value over a whole column.

For the identifiers that come in millions per object (VIN, Luhn numbers, My Number,
coordinates) the column path needs the checks of :mod:`andon.classify.validators` over whole
columns. Each mask takes a ``pyarrow`` array (or any sequence of ``str | None``) and returns a
``pyarrow.BooleanArray`` (nulls and non-strings are ``False``), and agrees with its scalar
check (``tests/classify/test_validators.py`` holds them to it). The masks are re-exported by
:mod:`andon.classify.validators`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from andon.classify.standards import (
    IMEI_RBI,
    LUHN_DOUBLE,
    MY_NUMBER_WEIGHTS,
    VIN_VALUES,
    VIN_WEIGHTS,
    VIN_YEAR_CODES,
)

__all__ = [
    "Mask",
    "as_string_array",
    "card_mask",
    "iccid_mask",
    "imei_mask",
    "latitude_mask",
    "longitude_mask",
    "luhn_mask",
    "my_number_mask",
    "vin_mask",
]

Mask = Any  # pyarrow.BooleanArray (pyarrow ships no type information)
_BoolArray = npt.NDArray[np.bool_]


def as_string_array(values: Any) -> Any:
    """A ``pyarrow`` string array from a pyarrow (chunked) array of any type or a sequence
    of ``str | None``; numbers are cast to their decimal text."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array([_text_or_none(v) for v in values], type=pa.string())
    if not pa.types.is_string(values.type):
        try:
            values = values.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return pa.nulls(len(values), type=pa.string())
    return values


def _text_or_none(v: object) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return None


def _lengths(arr: Any) -> npt.NDArray[np.int64]:
    lens = pc.fill_null(pc.binary_length(arr), 0)
    return np.asarray(lens.to_numpy(zero_copy_only=False), dtype=np.int64)


def _matrix(arr: Any, idx: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.uint8]:
    """Rows ``idx`` of ``arr`` (all ``width`` bytes long) as an ``(n, width)`` byte matrix."""
    fixed = arr.take(pa.array(idx)).cast(pa.binary()).cast(pa.binary(width))
    buf = np.frombuffer(fixed.buffers()[1], dtype=np.uint8)
    start = fixed.offset * width
    return buf[start : start + len(idx) * width].reshape(len(idx), width)


def _by_length(
    arr: Any, widths: range, check: Callable[[npt.NDArray[np.uint8]], _BoolArray]
) -> _BoolArray:
    lens = _lengths(arr)
    out = np.zeros(len(arr), dtype=np.bool_)
    for w in widths:
        idx = np.nonzero(lens == w)[0]
        if len(idx):
            out[idx] = check(_matrix(arr, idx, w))
    return out


def _digits_matrix_ok(m: npt.NDArray[np.uint8]) -> _BoolArray:
    return np.asarray(((m >= 48) & (m <= 57)).all(axis=1), dtype=np.bool_)


_DOUBLE_LUT = np.array(LUHN_DOUBLE, dtype=np.int64)


def _luhn_rows(m: npt.NDArray[np.uint8]) -> _BoolArray:
    ok = _digits_matrix_ok(m)
    d = np.clip(m.astype(np.int64) - 48, 0, 9)[:, ::-1]
    d[:, 1::2] = _DOUBLE_LUT[d[:, 1::2]]
    return np.asarray(ok & (d.sum(axis=1) % 10 == 0), dtype=np.bool_)


def _clean_digits(values: Any) -> Any:
    arr = as_string_array(values)
    return pc.replace_substring_regex(pc.utf8_trim_whitespace(arr), r"[ \-]", "")


def luhn_mask(values: Any, widths: range = range(2, 23)) -> Mask:
    """Luhn validity per value (spaces and hyphens removed), for lengths in ``widths``."""
    arr = _clean_digits(values)
    return pa.array(_by_length(arr, widths, _luhn_rows), type=pa.bool_())


def _and_regex(mask: Mask, arr: Any, pattern: str) -> Mask:
    match = pc.fill_null(pc.match_substring_regex(arr, pattern), False)
    return pc.and_(mask, match)


def imei_mask(values: Any) -> Mask:
    """:func:`is_imei` per value (IMEISV needs context and is not included)."""
    arr = _clean_digits(values)
    rbi = "|".join(sorted(IMEI_RBI))
    return _and_regex(luhn_mask(arr, range(15, 16)), arr, rf"^(?:{rbi})")


def iccid_mask(values: Any) -> Mask:
    arr = _clean_digits(values)
    return _and_regex(luhn_mask(arr, range(19, 21)), arr, r"^89")


# Issuer ranges and lengths as RE2 patterns, equivalent to :func:`card_brand`.
_CARD_RE2 = (
    r"^(?:4(?:[0-9]{12}|[0-9]{15}|[0-9]{18})"
    r"|(?:5[1-5][0-9]{2}|222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12}"
    r"|3[47][0-9]{13}"
    r"|35(?:2[89]|[3-8][0-9])[0-9]{12,15}"
    r"|36[0-9]{12,17}|30[0-5][0-9]{11}|(?:3095[0-9]{2}|3[89][0-9]{4})[0-9]{10,13}"
    r"|(?:6011|64[4-9][0-9]|65[0-9]{2}|62[0-9]{2})[0-9]{12,15})$"
)


def card_mask(values: Any) -> Mask:
    """:func:`is_payment_card` per value (Luhn + issuer range and length)."""
    arr = _clean_digits(values)
    rows = _by_length(arr, range(13, 20), _luhn_distinct_rows)
    return _and_regex(pa.array(rows, type=pa.bool_()), arr, _CARD_RE2)


def _luhn_distinct_rows(m: npt.NDArray[np.uint8]) -> _BoolArray:
    same = (m[:, 1:] == m[:, 1:2]).all(axis=1)
    return np.asarray(_luhn_rows(m) & ~same, dtype=np.bool_)


_MY_NUMBER_W = np.array(MY_NUMBER_WEIGHTS, dtype=np.int64)


def _my_number_rows(m: npt.NDArray[np.uint8]) -> _BoolArray:
    ok = _digits_matrix_ok(m)
    d = np.clip(m.astype(np.int64) - 48, 0, 9)
    check = (-(d[:, :11] @ _MY_NUMBER_W) % 11) % 10
    same = (d == d[:, :1]).all(axis=1)
    return np.asarray(ok & (check == d[:, 11]) & ~same, dtype=np.bool_)


def my_number_mask(values: Any) -> Mask:
    """:func:`is_my_number` per value."""
    arr = _clean_digits(values)
    return pa.array(_by_length(arr, range(12, 13), _my_number_rows), type=pa.bool_())


# Byte -> transliterated value (-1: not a VIN character); byte -> check digit value.
_VIN_VALUE_LUT = np.array([VIN_VALUES.get(chr(b), -1) for b in range(256)], dtype=np.int64)
_VIN_CHECK_LUT = np.array([int(chr(b)) if 48 <= b <= 57 else 10 if b == 88 else -1
                           for b in range(256)], dtype=np.int64)  # fmt: skip
_VIN_W = np.array(VIN_WEIGHTS, dtype=np.int64)
_VIN_YEAR = np.zeros(256, dtype=np.bool_)
_VIN_YEAR[[ord(c) for c in VIN_YEAR_CODES]] = True


def _vin_rows(m: npt.NDArray[np.uint8], require_check_digit: bool) -> _BoolArray:
    v = _VIN_VALUE_LUT[m]
    ok = (v >= 0).all(axis=1) & (m[:, 0] != 48) & _VIN_YEAR[m[:, 9]]
    ok &= ((m[:, 13:] >= 48) & (m[:, 13:] <= 57)).all(axis=1)
    ok &= (m >= 65).sum(axis=1) >= 2
    ok &= ~(m == m[:, :1]).all(axis=1)
    if require_check_digit:
        ok &= (np.clip(v, 0, None) @ _VIN_W) % 11 == _VIN_CHECK_LUT[m[:, 8]]
    return np.asarray(ok, dtype=np.bool_)


def vin_mask(values: Any, *, require_check_digit: bool = True) -> Mask:
    """:func:`is_valid_vin` per value (case-insensitive, surrounding blanks ignored)."""
    arr = pc.utf8_upper(pc.utf8_trim_whitespace(as_string_array(values)))
    rows = _by_length(arr, range(17, 18), lambda m: _vin_rows(m, require_check_digit))
    return pa.array(rows, type=pa.bool_())


def _floats(values: Any, min_decimals: int) -> Any:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array) and pa.types.is_floating(values.type):
        return values.cast(pa.float64())
    arr = pc.utf8_trim_whitespace(as_string_array(values))
    pattern = rf"^[+-]?[0-9]{{1,3}}\.[0-9]{{{min_decimals},}}$"
    ok = pc.fill_null(pc.match_substring_regex(arr, pattern), False)
    return pc.if_else(ok, arr, pa.scalar(None, pa.string())).cast(pa.float64())


def latitude_mask(values: Any, *, min_decimals: int = 0) -> Mask:
    """Per value: a decimal latitude in [-90, 90] (text needs ``min_decimals`` decimals)."""
    f = _floats(values, min_decimals)
    inside = pc.and_(pc.greater_equal(f, -90.0), pc.less_equal(f, 90.0))
    return pc.fill_null(inside, False)


def longitude_mask(values: Any, *, min_decimals: int = 0) -> Mask:
    """Per value: a decimal longitude in [-180, 180]."""
    f = _floats(values, min_decimals)
    inside = pc.and_(pc.greater_equal(f, -180.0), pc.less_equal(f, 180.0))
    return pc.fill_null(inside, False)
