"""Synthetic connected-car data: vehicles, customers and trips, deterministic for a seed.

Every value is made up. Names, phone numbers and postal addresses come from faker's ``ja_JP``
locale, e-mail addresses use the reserved ``example.*`` domains, customer ids start with
``DEMO-``. The identifiers are *valid* so that detectors and validators have something real to
find:

* VINs carry a correct check digit (position 9, the weighted mod-11 scheme of 49 CFR 565 used
  with ISO 3779 VINs) and a ``J`` (Japan) world manufacturer identifier;
* chassis (frame) numbers follow the Japanese domestic format ``MODEL-1234567``, with made-up
  model codes;
* in-car terminal ids are 15-digit IMEIs with a valid Luhn digit;
* positions are inside Japan, around its large cities.

Nothing here does I/O: :func:`generate` returns plain records and the ``render_*`` helpers turn
them into file bytes (CSV, JSON lines, gzip with a fixed mtime so bytes are reproducible).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faker import Faker

JST = timezone(timedelta(hours=9), "JST")

# -- identifiers ---------------------------------------------------------------------------

VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_MODEL_YEARS = "ABCDEFGHJKLMNPRSTVWXY123456789"  # position 10 never uses I O Q U Z 0
_WMIS = ("JA9", "JM9", "JT9")  # Japan, "small manufacturer" form: clearly not a real marque


def vin_check_digit(vin: str) -> str:
    """The check digit (position 9) of a 17-character VIN; ``X`` stands for 10."""
    if len(vin) != 17:
        raise ValueError(f"a VIN has 17 characters, not {len(vin)}")
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin.upper(), _VIN_WEIGHTS, strict=True))
    rest = total % 11
    return "X" if rest == 10 else str(rest)


def vin_is_valid(vin: str) -> bool:
    """True when ``vin`` has 17 allowed characters and a correct check digit."""
    vin = vin.upper()
    if len(vin) != 17 or any(c not in _VIN_VALUES for c in vin):
        return False
    return vin[8] == vin_check_digit(vin)


def luhn_check_digit(digits: str) -> str:
    """The Luhn digit to append to ``digits``."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_is_valid(number: str) -> bool:
    """True when ``number`` is all digits and its last digit is its Luhn check digit."""
    return number.isdigit() and len(number) > 1 and luhn_check_digit(number[:-1]) == number[-1]


def make_vin(rng: random.Random, year_index: int) -> str:
    wmi = rng.choice(_WMIS)
    vds = "".join(rng.choice(VIN_ALPHABET) for _ in range(5))
    year = _MODEL_YEARS[year_index % len(_MODEL_YEARS)]
    plant = rng.choice("ABCDKMT")
    serial = f"{rng.randrange(10**6):06d}"
    body = f"{wmi}{vds}0{year}{plant}{serial}"
    return body[:8] + vin_check_digit(body) + body[9:]


def make_imei(rng: random.Random) -> str:
    """A 15-digit IMEI: 8-digit type allocation code, 6-digit serial, Luhn digit."""
    body = f"35{rng.randrange(10**6):06d}{rng.randrange(10**6):06d}"
    return body + luhn_check_digit(body)


# Made-up model codes in the Japanese frame-number style, with made-up names.
MODELS: tuple[tuple[str, str], ...] = (
    ("ZVX30", "カゼ"),
    ("NHX10", "ソラ"),
    ("MXA15", "ハヤテ"),
    ("GRX21", "ツバサ"),
    ("AYX10", "ミチ"),
)


def make_chassis_number(rng: random.Random, model_code: str) -> str:
    """A Japanese frame number (車台番号) such as ``ZVX30-1234567``."""
    return f"{model_code}-{rng.randrange(10**6, 10**7)}"


# -- people and cars -----------------------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    customer_id: str
    last_name: str
    first_name: str
    last_name_kana: str
    first_name_kana: str
    phone: str
    email: str
    postal_code: str
    address: str
    contract_start: str


@dataclass(frozen=True)
class Vehicle:
    vin: str
    chassis_no: str
    terminal_id: str  # IMEI of the in-car data communication module
    model_code: str
    model_name: str
    model_year: int
    customer_id: str
    home_city: str


@dataclass(frozen=True)
class TripPoint:
    trip_id: str
    vin: str
    chassis_no: str
    terminal_id: str
    recorded_at: str
    lat: float
    lon: float
    speed_kmh: float
    heading_deg: int
    odometer_km: float


@dataclass(frozen=True)
class Trip:
    trip_id: str
    vin: str
    started_at: datetime
    points: tuple[TripPoint, ...]


# (name, latitude, longitude): every trip starts near one of these and stays in Japan.
CITIES: tuple[tuple[str, float, float], ...] = (
    ("Tokyo", 35.6812, 139.7671),
    ("Yokohama", 35.4658, 139.6223),
    ("Nagoya", 35.1709, 136.8815),
    ("Osaka", 34.7025, 135.4959),
    ("Kyoto", 34.9858, 135.7588),
    ("Kobe", 34.6795, 135.1780),
    ("Fukuoka", 33.5897, 130.4207),
    ("Sapporo", 43.0687, 141.3508),
    ("Sendai", 38.2601, 140.8821),
    ("Hiroshima", 34.3978, 132.4753),
)
JAPAN_BOUNDS = (24.0, 46.0, 122.9, 146.0)  # lat min, lat max, lon min, lon max


@dataclass(frozen=True)
class Fleet:
    customers: tuple[Customer, ...]
    vehicles: tuple[Vehicle, ...]


def make_fleet(fake: Faker, rng: random.Random, *, customers: int, vehicles: int) -> Fleet:
    """``customers`` owners and ``vehicles`` cars (cars are dealt to owners in turn).

    A customer's contract starts in the model year of their first car.
    """
    if customers < 1:
        raise ValueError("a fleet needs at least one customer")
    cars: list[Vehicle] = []
    seen: set[str] = set()
    while len(cars) < vehicles:
        year = rng.randrange(2014, 2026)
        vin = make_vin(rng, year - 2010)  # 'A' is 2010, so 2014 is 'E'
        if vin in seen:
            continue
        seen.add(vin)
        code, name = rng.choice(MODELS)
        cars.append(
            Vehicle(
                vin=vin,
                chassis_no=make_chassis_number(rng, code),
                terminal_id=make_imei(rng),
                model_code=code,
                model_name=name,
                model_year=year,
                customer_id=f"DEMO-{len(cars) % customers + 1:06d}",
                home_city=rng.choice(CITIES)[0],
            )
        )
    first_year: dict[str, int] = {}
    for car in cars:
        first_year[car.customer_id] = min(first_year.get(car.customer_id, 9999), car.model_year)
    people: list[Customer] = []
    for i in range(customers):
        customer_id = f"DEMO-{i + 1:06d}"
        last, last_kana, _ = fake.last_name_pair()
        first, first_kana, _ = fake.first_name_pair()
        year = first_year.get(customer_id, 2014 + rng.randrange(12))
        start = datetime(year, 1, 1, tzinfo=JST) + timedelta(days=rng.randrange(365))
        people.append(
            Customer(
                customer_id=customer_id,
                last_name=last,
                first_name=first,
                last_name_kana=last_kana,
                first_name_kana=first_kana,
                phone=fake.phone_number(),
                email=fake.safe_email(),
                postal_code=fake.zipcode(),
                address=fake.address(),
                contract_start=start.date().isoformat(),
            )
        )
    return Fleet(tuple(people), tuple(cars))


def make_trips(
    rng: random.Random,
    vehicles: Sequence[Vehicle],
    *,
    count: int,
    start: datetime,
    days: int,
    prefix: str,
    points: tuple[int, int] = (12, 40),
) -> tuple[Trip, ...]:
    """``count`` trips by random vehicles, each a short drive sampled every 30 seconds."""
    city_at = {name: (lat, lon) for name, lat, lon in CITIES}
    trips: list[Trip] = []
    for n in range(count):
        car = vehicles[rng.randrange(len(vehicles))]
        lat0, lon0 = city_at[car.home_city]
        lat = lat0 + rng.uniform(-0.08, 0.08)
        lon = lon0 + rng.uniform(-0.08, 0.08)
        at = start + timedelta(days=rng.randrange(days), minutes=rng.randrange(5 * 60, 23 * 60))
        trip_id = f"{prefix}-{n + 1:05d}"
        heading = rng.uniform(0, 360)
        speed = 0.0
        odometer = rng.uniform(1_000, 120_000)
        rows: list[TripPoint] = []
        for step in range(rng.randint(*points)):
            speed = max(0.0, min(110.0, speed + rng.uniform(-12, 18)))
            heading = (heading + rng.uniform(-25, 25)) % 360
            km = speed * 30 / 3600
            lat += km / 111.0 * math.cos(math.radians(heading))
            lon += km / (111.0 * math.cos(math.radians(lat))) * math.sin(math.radians(heading))
            odometer += km
            rows.append(
                TripPoint(
                    trip_id=trip_id,
                    vin=car.vin,
                    chassis_no=car.chassis_no,
                    terminal_id=car.terminal_id,
                    recorded_at=(at + timedelta(seconds=30 * step)).isoformat(),
                    lat=round(lat, 6),
                    lon=round(lon, 6),
                    speed_kmh=round(speed, 1),
                    heading_deg=round(heading) % 360,
                    odometer_km=round(odometer, 1),
                )
            )
        trips.append(Trip(trip_id, car.vin, at, tuple(rows)))
    return tuple(trips)


# -- rendering -----------------------------------------------------------------------------

TRIP_COLUMNS = tuple(TripPoint.__dataclass_fields__)
CUSTOMER_COLUMNS = (*Customer.__dataclass_fields__, "vin", "chassis_no", "terminal_id")
VEHICLE_COLUMNS = tuple(Vehicle.__dataclass_fields__)


def render_csv(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buf.getvalue().encode("utf-8")


def render_jsonl(rows: Iterable[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def gzip_bytes(data: bytes) -> bytes:
    """gzip with mtime 0, so the same input always gives the same bytes."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def trip_rows(trips: Iterable[Trip]) -> list[dict[str, Any]]:
    return [asdict(p) for t in trips for p in t.points]


def customer_rows(fleet: Fleet) -> list[dict[str, Any]]:
    """One row per customer and vehicle (a customer with two cars has two rows)."""
    by_owner: dict[str, list[Vehicle]] = {}
    for v in fleet.vehicles:
        by_owner.setdefault(v.customer_id, []).append(v)
    rows: list[dict[str, Any]] = []
    for c in fleet.customers:
        for v in by_owner.get(c.customer_id, []):
            rows.append(
                {
                    **asdict(c),
                    "vin": v.vin,
                    "chassis_no": v.chassis_no,
                    "terminal_id": v.terminal_id,
                }
            )
    return rows


def vehicle_rows(vehicles: Iterable[Vehicle]) -> list[dict[str, Any]]:
    return [asdict(v) for v in vehicles]


def new_faker(seed: int) -> Faker:
    """A ``ja_JP`` faker seeded on its own instance (never the class-wide seed)."""
    from faker import Faker

    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    return fake


SYNTHETIC_NOTICE = (
    b"SYNTHETIC DATA generated by `andon demo` for a local emulator.\n"
    b"No real person, vehicle or terminal is described here: names, phone numbers and\n"
    b"addresses are made up by faker (ja_JP), e-mail domains are reserved example domains,\n"
    b"VINs, chassis numbers and IMEIs are random numbers with valid check digits.\n"
)

EPOCH = datetime(2025, 9, 1, tzinfo=JST)  # fixed, so the data never depends on today's date
ARCHIVE_EPOCH = datetime(2015, 4, 1, tzinfo=JST)

__all__ = [
    "ARCHIVE_EPOCH",
    "CITIES",
    "EPOCH",
    "JAPAN_BOUNDS",
    "JST",
    "Customer",
    "Fleet",
    "Trip",
    "TripPoint",
    "Vehicle",
    "luhn_check_digit",
    "luhn_is_valid",
    "make_chassis_number",
    "make_fleet",
    "make_imei",
    "make_trips",
    "make_vin",
    "vin_check_digit",
    "vin_is_valid",
]
