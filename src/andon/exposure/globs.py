"""IAM-style wildcard matching (``*`` any run of characters, ``?`` one character).

Besides plain matching, exposure analysis asks two questions about a pattern and a prefix
``P`` (for example ``arn:aws:s3:::bucket/``, the prefix of every object of a bucket):

* :func:`matches_some_with_prefix` - does the pattern match *at least one* string starting
  with ``P``? (a ``Resource`` that reaches some object of the bucket)
* :func:`matches_all_with_prefix` - does it match *every* string starting with ``P``? (a
  ``NotResource`` or ``Deny`` that covers every object)
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=4096)
def _compile(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """Whether ``value`` matches the IAM wildcard ``pattern`` as a whole."""
    return _compile(pattern, ignore_case).fullmatch(value) is not None


def has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value


def _states_after(pattern: str, prefix: str) -> set[int]:
    """Pattern positions reachable after consuming ``prefix`` (NFA simulation)."""

    def closure(states: set[int]) -> set[int]:
        out = set(states)
        stack = list(states)
        while stack:
            s = stack.pop()
            if s < len(pattern) and pattern[s] == "*" and s + 1 not in out:
                out.add(s + 1)
                stack.append(s + 1)
        return out

    states = closure({0})
    for ch in prefix:
        nxt: set[int] = set()
        for s in states:
            if s >= len(pattern):
                continue
            p = pattern[s]
            if p == "*":
                nxt.add(s)
            elif p == "?" or p == ch:
                nxt.add(s + 1)
        states = closure(nxt)
        if not states:
            break
    return states


def matches_some_with_prefix(pattern: str, prefix: str) -> bool:
    """Whether ``pattern`` matches at least one string that starts with ``prefix``.

    Any pattern remainder can match some string, so it is enough that consuming the prefix
    leaves a live state (the end of the pattern counts only for the prefix itself, which is
    not an object key).
    """
    states = _states_after(pattern, prefix)
    return any(s < len(pattern) for s in states)


def matches_all_with_prefix(pattern: str, prefix: str) -> bool:
    """Whether ``pattern`` matches every string that starts with ``prefix`` (and more)."""
    states = _states_after(pattern, prefix)
    return any(all(c == "*" for c in pattern[s:]) and s < len(pattern) for s in states)


def covers(outer: str, inner: str) -> bool:
    """A sound, incomplete test that every string matched by ``inner`` is matched by ``outer``.

    True when the patterns are equal, when ``inner`` has no wildcard and ``outer`` matches it,
    or when ``outer`` is ``literal*`` and ``inner`` starts with that literal.
    """
    if outer == inner:
        return True
    if not has_wildcard(inner):
        return glob_match(outer, inner)
    if outer.endswith("*") and not has_wildcard(outer[:-1]):
        return inner.startswith(outer[:-1])
    return False
