"""A labelled synthetic corpus: connected-car data, customer records, logs and near misses.

Everything is made up and deterministic for a seed (``random.Random`` plus faker ``ja_JP``
seeded on its own instance; no clock, no hash order). Every value of a data type the generator
writes carries a :class:`Label` - its :class:`~andon.classify.model.DataType` and where it is
(object, record and column or JSON path for structured data, line for text) - and every near
miss a :class:`Decoy`, so that precision and recall can be measured per data type
(``tests/classify/test_accuracy.py``) and throughput on realistic bytes (``bench/classify.py``).

What :class:`CorpusGenerator` makes:

* ``trips``: dense connected-car telemetry - trip id, VIN, chassis (frame) number, in-car
  terminal IMEI, SIM ICCID, timestamp, latitude/longitude in Japan, speed, heading, odometer,
  firmware version (a third shaped like IPv4 addresses: near misses);
* ``customers``: dealer records - Japanese headers in CSV (氏名, フリガナ, 電話番号, メール,
  郵便番号, 住所, マイナンバー, 運転免許証番号, カード番号, 車台番号 holding a VIN for imported
  cars, 備考 with an occasional phone number or e-mail in free text), nested English keys in
  NDJSON (``$.customer.phone``), flat English columns in Parquet;
* ``parts``: near misses only - part numbers failing the VIN check, Luhn-valid serials and
  tracking numbers, order numbers failing the My Number check, phone-shaped device serials,
  JAN codes, IPv4-shaped versions, dates, epoch milliseconds, message ids, SHA-1 hashes,
  coordinates outside Japan in a column that is not a location;
* ``log``: application logs, mostly clean (request ids, timestamps, durations, UUIDs, hashes)
  with sparse PII (e-mails, phones, IPv4/IPv6, coordinates, VINs, chassis numbers, IMEIs,
  ICCIDs, cards, My Numbers, licences, names, addresses, AWS key pairs, PEM keys, GitHub
  tokens) and near
  misses (the above, plus AWS documentation-style ``…EXAMPLE`` key ids).

Identifiers really validate: VINs carry the ISO 3779 check digit, IMEIs, ICCIDs and cards pass
Luhn (cards inside an issuer range), My Numbers carry the ``stdnum.jp.in_`` check digit,
licence numbers the 11th-digit check. Credentials can never be real: access key ids hold two
of ``0 1 8 9``, which real ids (base32 after ``AKIA``) never contain; secret keys start with
``andonFAKE``; PEM bodies are random text starting ``ANDONFAKE``; GitHub tokens carry a
checksum no real token can have (:func:`~andon.classify.corpus.values.github_token`). E-mail
domains are the reserved ``example.*`` ones.

Locations follow :class:`~andon.classify.model.Location`: CSV and Parquet cells as
``(record, column)``, JSON as ``(record, path)``, a coordinate pair at ``"lat,lon"`` (JSON: the
pair's parent path, ``$.pos``), text by 1-based line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from andon.classify.corpus.generator import (
    CUSTOMER_FIELDS,
    LOG_TYPES,
    PART_FIELDS,
    STRUCTURED_TYPES,
    TRIP_FIELDS,
    TRIP_FIELDS_TERSE,
    CorpusGenerator,
)
from andon.classify.corpus.tables import (
    CorpusObject,
    Decoy,
    Field,
    Label,
    Table,
    arrow_table,
    csv_bytes,
    ndjson_bytes,
    parquet_bytes,
    render_csv,
    render_ndjson,
    render_parquet,
)
from andon.classify.corpus.values import shape

__all__ = [
    "CUSTOMER_FIELDS",
    "LOG_TYPES",
    "PART_FIELDS",
    "STRUCTURED_TYPES",
    "TRIP_FIELDS",
    "TRIP_FIELDS_TERSE",
    "CorpusGenerator",
    "CorpusObject",
    "Decoy",
    "Field",
    "Label",
    "Table",
    "arrow_table",
    "csv_bytes",
    "log_chunks",
    "log_corpus",
    "ndjson_bytes",
    "parquet_bytes",
    "render_csv",
    "render_ndjson",
    "render_parquet",
    "shape",
    "structured_corpus",
    "trip_csv_chunks",
]


def structured_corpus(
    seed: int = 0, *, trips: int = 3_000, customers: int = 1_500, parts: int = 1_000
) -> list[CorpusObject]:
    """Trips, customers and parts, each as CSV, NDJSON and Parquet, plus a trips export
    with terse CSV headers (``vehicle_key``, ``dcm``, ``sim`` …) whose types only the values
    tell: ten objects."""
    gen = CorpusGenerator(seed)
    tables = (
        ("trips", gen.trips(trips)),
        ("customers", gen.customers(customers)),
        ("parts", gen.parts(parts)),
    )
    out: list[CorpusObject] = []
    for stem, table in tables:
        out.append(render_csv(table, f"{stem}.csv"))
        out.append(render_ndjson(table, f"{stem}.ndjson"))
        out.append(render_parquet(table, f"{stem}.parquet"))
    terse = replace(gen.trips(trips), fields=TRIP_FIELDS_TERSE)
    out.append(render_csv(terse, "telemetry_export.csv"))
    return out


def log_corpus(seed: int = 0, *, lines: int = 20_000) -> list[CorpusObject]:
    """One sparse application log: 2 % of events with PII, 3 % near misses."""
    return [CorpusGenerator(seed).log("app.log", lines)]


def _chunks(total_bytes: int, make: Callable[[], bytes]) -> Iterator[bytes]:
    done = 0
    while done < total_bytes:
        chunk = make()
        done += len(chunk)
        yield chunk


def trip_csv_chunks(
    gen: CorpusGenerator, total_bytes: int, *, step: int = 20_000
) -> Iterator[bytes]:
    """An unlabelled dense trips CSV of at least ``total_bytes`` (header first), ``step``
    rows per chunk - for benchmarks, in bounded memory."""
    first = [True]

    def make() -> bytes:
        data = csv_bytes(gen.trips(step, labels=False), header=first[0])
        first[0] = False
        return data

    return _chunks(total_bytes, make)


def log_chunks(
    gen: CorpusGenerator,
    total_bytes: int,
    *,
    step: int = 20_000,
    pii_share: float = 0.02,
    decoy_share: float = 0.03,
) -> Iterator[bytes]:
    """An unlabelled sparse log of at least ``total_bytes``, ``step`` lines per chunk."""

    def make() -> bytes:
        events = gen.log_events(step, pii_share, decoy_share)
        return ("\n".join(line for text, _, _ in events for line in text) + "\n").encode()

    return _chunks(total_bytes, make)
