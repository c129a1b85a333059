"""Published tables the scalar validators and the vectorized masks share.

Kept apart from :mod:`andon.classify.validators` (which re-exports them) so that
:mod:`andon.classify.masks` can use them without importing the validators. Sources are listed
in the :mod:`andon.classify.validators` module doc.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# VIN (ISO 3779): position weights and transliteration of letters (I, O, Q are not used).
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_LETTER_VALUES = dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9),
        strict=True,
    )
)
VIN_VALUES: Mapping[str, int] = MappingProxyType(
    {**{str(d): d for d in range(10)}, **_VIN_LETTER_VALUES}
)
# Model-year codes at position 10: never U, Z or 0.
VIN_YEAR_CODES = frozenset("ABCDEFGHJKLMNPRSTVWXY123456789")

# Luhn: the value of a doubled digit (2d, minus 9 when above 9).
LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)

# Reporting Body Identifiers in use or formerly used (GSMA TS.06 Appendix A); test IMEIs
# (00, 02-09) are left out.
IMEI_RBI = frozenset(
    {"01", "10", "30", "33", "35", "44", "45", "49", "50", "51", "52", "53", "54", "86",
     "91", "98", "99"}
)  # fmt: skip

# My Number: weights of the first eleven digits; the check digit is
# ``(11 - sum mod 11) mod 10`` with 0 when the remainder is 0 or 1 (as ``stdnum.jp.in_``).
MY_NUMBER_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
