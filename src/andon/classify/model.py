"""The classification model: data types, where they were seen, and per-object results.

Nothing here holds raw content. A :class:`TypeTally` keeps a count, at most
``MAX_SAMPLES`` *redacted* samples and at most ``MAX_LOCATIONS`` locations (object key plus
line, record, column or JSON path) - the same evidence Amazon Macie reports (1-15 sample
locations per finding). Distinct data subjects are counted in mergeable sketches of keyed
hashes (:mod:`andon.classify.subjects`), never as values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

MAX_SAMPLES = 5
MAX_LOCATIONS = 15


class DataType(StrEnum):
    """Stable, documented ids of the kinds of data Andon recognizes."""

    VIN = "vin"
    JP_CHASSIS_NUMBER = "jp_chassis_number"
    GEO_COORDINATES = "geo_coordinates"
    IMEI = "imei"
    ICCID = "iccid"
    PHONE_NUMBER = "phone_number"
    EMAIL = "email"
    PAYMENT_CARD = "payment_card"
    JP_MY_NUMBER = "jp_my_number"
    JP_DRIVERS_LICENSE = "jp_drivers_license"
    JP_POSTAL_CODE = "jp_postal_code"
    ADDRESS = "address"
    PERSON_NAME = "person_name"
    IP_ADDRESS = "ip_address"
    AWS_ACCESS_KEY = "aws_access_key"
    AWS_SECRET_KEY = "aws_secret_key"
    PRIVATE_KEY = "private_key"
    API_TOKEN = "api_token"


class SubjectKind(StrEnum):
    """Whom a data type identifies, for counting distinct subjects."""

    VEHICLE = "vehicle"
    DEVICE = "device"
    PERSON = "person"


# Which identifiers count distinct subjects of which kind. A person is estimated from the
# strongest single identifier type seen (the maximum over the types, never their sum, since
# one person may appear with an e-mail and a phone number).
SUBJECT_OF: Mapping[DataType, SubjectKind] = {
    DataType.VIN: SubjectKind.VEHICLE,
    DataType.JP_CHASSIS_NUMBER: SubjectKind.VEHICLE,
    DataType.IMEI: SubjectKind.DEVICE,
    DataType.ICCID: SubjectKind.DEVICE,
    DataType.EMAIL: SubjectKind.PERSON,
    DataType.PHONE_NUMBER: SubjectKind.PERSON,
    DataType.JP_MY_NUMBER: SubjectKind.PERSON,
    DataType.JP_DRIVERS_LICENSE: SubjectKind.PERSON,
    DataType.PAYMENT_CARD: SubjectKind.PERSON,
    DataType.PERSON_NAME: SubjectKind.PERSON,
}


@dataclass(frozen=True)
class Location:
    """Where a value was seen. ``object`` is the key or path (``a.zip!dir/b.csv`` inside
    archives); one of line (text, 1-based), record (0-based row or JSON record index) with
    column (CSV/Parquet header) or path (JSON path such as ``$.driver.phone``)."""

    object: str
    line: int | None = None
    record: int | None = None
    column: str | None = None
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class TypeTally:
    """What was found of one data type: a count, redacted samples, a few locations."""

    count: int = 0
    samples: list[str] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)

    def add(self, n: int, redacted: str | None = None, location: Location | None = None) -> None:
        self.count += n
        room = len(self.samples) < MAX_SAMPLES
        if redacted is not None and room and redacted not in self.samples:
            self.samples.append(redacted)
        if location is not None and len(self.locations) < MAX_LOCATIONS:
            self.locations.append(location)

    def merge(self, other: TypeTally) -> None:
        self.count += other.count
        for s in other.samples:
            if len(self.samples) >= MAX_SAMPLES:
                break
            if s not in self.samples:
                self.samples.append(s)
        room = MAX_LOCATIONS - len(self.locations)
        self.locations.extend(other.locations[: max(room, 0)])

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "samples": list(self.samples),
            "locations": [loc.to_dict() for loc in self.locations],
        }


@dataclass(frozen=True)
class ClassifyLimits:
    """Bounds on what one object may cost. A bound that is hit is recorded, never silent."""

    max_bytes_per_object: int = 64 * 1024 * 1024  # decompressed bytes inspected per object
    max_ratio: float = 100.0  # decompressed / compressed bytes (zip bombs)
    max_depth: int = 4  # nesting of archives and compression layers
    max_entries: int = 10_000  # members read per archive
    max_records: int = 5_000_000  # rows or JSON records per object
    chunk_bytes: int = 4 * 1024 * 1024  # text is scanned in chunks ending at line breaks
    sample_rows: int = 200  # rows sampled to decide a column's data type


@dataclass(frozen=True)
class TextBlock:
    """Unstructured text to scan byte-wise. ``data`` ends at a line break (or object end);
    ``first_line`` is the 1-based number of its first line within ``object``."""

    object: str
    data: bytes = field(repr=False)  # raw content: never in a repr, log or error
    first_line: int = 1


@dataclass(frozen=True)
class ColumnBatch:
    """Structured records as columns. ``columns`` maps a column name (CSV header, Parquet
    column, or JSON key path such as ``$.driver.phone``) to the values of that column for
    rows ``first_record`` … ``first_record + rows - 1`` as a ``pyarrow.Array`` (any type;
    scanners cast to string where they need to). ``kind`` is ``csv``, ``parquet`` or ``json``.
    """

    object: str
    columns: Mapping[str, Any] = field(repr=False)  # raw values: never in a repr or log
    rows: int = 0
    first_record: int = 0
    kind: str = "csv"


Unit = TextBlock | ColumnBatch
