"""Three-valued logic for decisions that may be impossible to make from what was read."""

from __future__ import annotations

from enum import IntEnum


class Tri(IntEnum):
    """NO < MAYBE < YES. ``&`` is min, ``|`` is max, ``~`` swaps YES and NO."""

    NO = 0
    MAYBE = 1
    YES = 2

    def __and__(self, other: object) -> Tri:
        if not isinstance(other, Tri):
            return NotImplemented
        return Tri(min(self, other))

    def __or__(self, other: object) -> Tri:
        if not isinstance(other, Tri):
            return NotImplemented
        return Tri(max(self, other))

    def __invert__(self) -> Tri:  # type: ignore[override]
        return Tri(2 - int(self))

    @staticmethod
    def of(value: bool) -> Tri:
        return Tri.YES if value else Tri.NO
