"""Column names as the column path reads them: words, keywords, context, coordinate roles.

A name is a CSV header, a Parquet column (``pos.lat`` for struct fields) or a JSON key path
(``$.driver.phone``, ``$.trips[*].lat``, ``$.{key}.email`` where a key was a value and was
folded by the reader). Keywords and context are read from the end of a key path
(:func:`name_part`); folded keys carry no words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from andon.classify.jsonpaths import FOLDED_KEY
from andon.classify.model import DataType

D = DataType
_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+|[^\x00-\x7f]+")
_SEGMENTS = re.compile(r"[.\[\]*]+")
# Words that point away from a type that only the values suggest.
DENY_BY_VALUE: Mapping[DataType, frozenset[str]] = {
    D.PAYMENT_CARD: frozenset({"serial", "imei", "iccid", "sim", "device", "terminal", "id",
                               "tracking", "order", "invoice", "barcode", "jan", "ean", "isbn"}),
    D.IP_ADDRESS: frozenset({"version", "ver", "build", "release", "firmware", "fw", "sw"}),
    D.PHONE_NUMBER: frozenset({"ts", "time", "timestamp", "date", "epoch", "id", "serial"}),
}  # fmt: skip
_LAT, _LON = frozenset({"lat", "latitude"}), frozenset({"lon", "lng", "long", "longitude"})


def keyword_name(name: str) -> str:
    """The name detectors' name keywords are matched against: folded keys left out
    (``$.{key}.email`` → ``$.email``)."""
    return name.replace("." + FOLDED_KEY, "") if FOLDED_KEY in name else name


def name_part(name: str) -> str:
    """The part of a name keywords are read from: JSON key paths keep their last two
    segments (``$.driver.phone`` → ``driver.phone``; folded keys are not segments), other
    names are whole."""
    if name.startswith("$"):
        segments = [
            s
            for s in _SEGMENTS.split(keyword_name(name)[1:])
            if s and not s.isdigit() and s != FOLDED_KEY
        ]
        return ".".join(segments[-2:])
    return name


def context(name: str) -> bytes:
    """The text a column name gives its values as context (as keywords near a value)."""
    return name_part(name).encode("utf-8", "replace")


def tokens(name: str) -> list[str]:
    """Lower-case word tokens of a column name, camelCase and snake_case aware."""
    return [t.lower() for t in _TOKEN.findall(name_part(name))]


def geo_role(name: str) -> tuple[str, str] | None:
    """``("lat" | "lon", stem)`` for a latitude or longitude column; two columns pair when
    their stems are equal (``start_lat`` / ``start_lon``, ``$.pos.lat`` / ``$.pos.lng``)."""
    for cjk, kind in (("緯度", "lat"), ("経度", "lon")):
        if cjk in name:
            return kind, name.replace(cjk, "{}").lower()
    for match in _TOKEN.finditer(name):
        word = match.group().lower()
        role: str | None = "lat" if word in _LAT else "lon" if word in _LON else None
        if role:
            return role, (name[: match.start()] + "{}" + name[match.end() :]).lower()
    return None


def pair_name(lat: str, lon: str, kind: str) -> str:
    """Where a pair is: the common parent of JSON paths (``$.pos``), else ``lat,lon``."""
    if kind == "json":
        same = next((i for i, (a, b) in enumerate(zip(lat, lon, strict=False)) if a != b), 0)
        parent = lat[:same].rsplit(".", 1)[0]
        if len(parent) > 1:
            return parent
    return f"{lat},{lon}"
