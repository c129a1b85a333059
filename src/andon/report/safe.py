"""Making untrusted text (bucket names, tags, policy fragments) inert in every output.

Resource names and tags are chosen by whoever controls the account, so they may hold terminal
escape sequences, HTML or spreadsheet formulas. Each output escapes what its readers would
interpret:

* terminal: control characters (C0, DEL, C1, bidi overrides) become ``\\xNN`` / ``\\uNNNN``
  and rich markup is escaped;
* JSON: ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e``, ``\\u0026`` (the same
  values to a JSON parser, inert if pasted into HTML), control characters as JSON escapes;
* CSV: control characters escaped and a leading ``= + - @`` (a formula) prefixed with ``'``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rich.markup import escape as _rich_escape

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def _escape_control(match: re.Match[str]) -> str:
    ch = match.group(0)
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text: object) -> str:
    """Text with every control or invisible formatting character made visible."""
    return _CONTROL.sub(_escape_control, str(text))


def terminal(text: object) -> str:
    """Text safe to print through rich: no control characters, no live markup."""
    return _rich_escape(plain(text))


def csv_cell(text: object) -> str:
    s = plain(text)
    if s[:1] in ("=", "+", "-", "@"):
        return "'" + s
    return s


def json_dumps(value: Any, *, indent: int | None = 2) -> str:
    """JSON with HTML-significant characters escaped (still the same values when parsed)."""
    text = json.dumps(value, indent=indent, ensure_ascii=False, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    # ensure_ascii=False keeps DEL, C1 and bidi controls raw: escape them too.
    return re.sub(
        r"[\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]",
        lambda m: f"\\u{ord(m.group(0)):04x}",
        text,
    )
