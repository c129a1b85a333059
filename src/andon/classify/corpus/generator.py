"""The corpus generator: trips, customer records, near-miss parts and application logs.

:class:`CorpusGenerator` holds one ``random.Random`` and (created on first use) one faker
``ja_JP`` seeded from the same seed, plus a fleet of vehicles whose identifiers trips and
records share. Calls draw from that state in order, so the same seed and the same calls give
the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from andon.classify.corpus import logs
from andon.classify.corpus import values as val
from andon.classify.corpus.tables import CorpusObject, Decoy, Field, Label, Table
from andon.classify.corpus.values import shape
from andon.classify.model import DataType, Location
from andon.demo import telemetry as tm

D = DataType
EPOCH = datetime(2024, 5, 1, tzinfo=tm.JST)


def _f(key: str, csv_name: str, json_path: str, parquet: str, arrow: str = "string") -> Field:
    return Field(key, csv_name, json_path, parquet, arrow)


TRIP_FIELDS = (
    _f("trip_id", "trip_id", "$.trip_id", "trip_id"),
    _f("vin", "vin", "$.vehicle.vin", "vin"),
    _f("chassis", "chassis_no", "$.vehicle.chassis_no", "chassis_no"),
    _f("imei", "imei", "$.device.imei", "imei"),
    _f("iccid", "iccid", "$.device.iccid", "iccid"),
    _f("ts", "ts", "$.ts", "ts", "timestamp"),
    _f("lat", "lat", "$.pos.lat", "lat", "float64"),
    _f("lon", "lon", "$.pos.lon", "lon", "float64"),
    _f("speed", "speed_kmh", "$.speed_kmh", "speed_kmh", "float64"),
    _f("heading", "heading_deg", "$.heading_deg", "heading_deg", "int32"),
    _f("odometer", "odometer_km", "$.odometer_km", "odometer_km", "float64"),
    _f("fw", "fw_version", "$.device.fw_version", "fw_version"),
)

# The same trips as an export with terse headers: types must come from the values.
TRIP_FIELDS_TERSE = tuple(
    Field(f.key, terse, f.json, f.parquet, f.arrow)
    for f, terse in zip(
        TRIP_FIELDS,
        ("tid", "vehicle_key", "frame", "dcm", "sim", "t", "gps_lat", "gps_lon", "v", "hdg",
         "odo", "fw"),
        strict=True,
    )
)  # fmt: skip

CUSTOMER_FIELDS = (
    _f("id", "顧客ID", "$.customer_id", "customer_id"),
    _f("name", "氏名", "$.customer.name", "customer_name"),
    _f("kana", "フリガナ", "$.customer.name_kana", "customer_name_kana"),
    _f("birth", "生年月日", "$.customer.birth_date", "birth_date"),
    _f("phone", "電話番号", "$.customer.phone", "phone"),
    _f("email", "メール", "$.customer.email", "email"),
    _f("postal", "郵便番号", "$.customer.address.postal_code", "postal_code"),
    _f("address", "住所", "$.customer.address.line", "address"),
    _f("my_number", "マイナンバー", "$.ids.my_number", "my_number"),
    _f("license", "運転免許証番号", "$.ids.drivers_license_no", "drivers_license_number"),
    _f("card", "カード番号", "$.payment.card_number", "card_number"),
    _f("expiry", "有効期限", "$.payment.expiry", "card_expiry"),
    _f("chassis", "車台番号", "$.vehicle.chassis_no", "chassis_no"),
    _f("order", "注文番号", "$.order.order_no", "order_no"),
    _f("registered", "登録日時", "$.registered_at", "registered_at"),
    _f("note", "備考", "$.note", "note"),
)

PART_FIELDS = (
    _f("part_no", "part_no", "$.part.no", "part_no"),
    _f("serial", "serial_no", "$.part.serial_no", "serial_no"),
    _f("device_serial", "device_serial", "$.part.device_serial", "device_serial"),
    _f("order", "order_no", "$.order.order_no", "order_no"),
    _f("tracking", "tracking_no", "$.order.tracking_no", "tracking_no"),
    _f("jan", "jan_code", "$.part.jan", "jan_code"),
    _f("fw", "fw_version", "$.part.fw_version", "fw_version"),
    _f("build", "build", "$.part.build", "build"),
    _f("shipped_on", "shipped_on", "$.order.shipped_on", "shipped_on"),
    _f("shipped_ms", "shipped_at_ms", "$.order.shipped_at_ms", "shipped_at_ms"),
    _f("message_id", "message_id", "$.order.message_id", "message_id"),
    _f("checksum", "checksum", "$.part.checksum", "checksum"),
    _f("calibration", "calibration", "$.part.calibration", "calibration"),
)

# The data types each part of the corpus labels.
STRUCTURED_TYPES = frozenset({
    D.VIN, D.JP_CHASSIS_NUMBER, D.GEO_COORDINATES, D.IMEI, D.ICCID, D.PHONE_NUMBER, D.EMAIL,
    D.PAYMENT_CARD, D.JP_MY_NUMBER, D.JP_DRIVERS_LICENSE, D.JP_POSTAL_CODE, D.ADDRESS,
    D.PERSON_NAME,
})  # fmt: skip
LOG_TYPES = STRUCTURED_TYPES | {
    D.IP_ADDRESS, D.AWS_ACCESS_KEY, D.AWS_SECRET_KEY, D.PRIVATE_KEY, D.API_TOKEN,
}  # fmt: skip

_NOTES = (
    "Paid in cash at the counter.",
    "Winter tyres stored at the shop.",
    "Prefers contact by e-mail.",
    "Recall campaign notice sent.",
)


@dataclass(frozen=True)
class _Car:
    vin: str
    chassis: str
    imei: str
    iccid: str
    fw: str


def _day(rng: random.Random) -> str:
    return f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"


class CorpusGenerator:
    """Deterministic labelled data for one ``seed`` (see :mod:`andon.classify.corpus`)."""

    def __init__(self, seed: int = 0, *, vehicles: int = 500) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self._fake: Any = None
        self.cars = tuple(self._car() for _ in range(vehicles))

    def fake(self) -> Any:
        """faker ``ja_JP`` seeded with this generator's seed (created on first use)."""
        if self._fake is None:
            self._fake = tm.new_faker(self.seed)
        return self._fake

    def _car(self) -> _Car:
        rng = self.rng
        if rng.random() < 0.3:  # firmware versions shaped like IPv4 addresses
            fw = val.ipv4_like_version(rng)
        else:
            fw = f"{rng.randrange(1, 6)}.{rng.randrange(20)}.0"
        return _Car(val.vin(rng), val.chassis_number(rng), val.imei(rng), val.iccid(rng), fw)

    # -- structured ----------------------------------------------------------------------------

    def trips(self, rows: int, *, labels: bool = True) -> Table:
        """Dense telemetry: trips of 20-60 points, 30 s apart, by the fleet's vehicles."""
        rng = self.rng
        cols: dict[str, list[Any]] = {f.key: [] for f in TRIP_FIELDS}
        table = Table(TRIP_FIELDS, cols, pair=("lat", "lon"))
        left, car, at, lat, lon, odo = 0, self.cars[0], EPOCH, 0.0, 0.0, 0.0
        trip = rng.randrange(10**6)
        for _ in range(rows):
            if left == 0:
                trip, left, car = trip + 1, rng.randrange(20, 61), rng.choice(self.cars)
                at = EPOCH + timedelta(minutes=rng.randrange(60 * 24 * 60))
                (lat, lon), odo = val.japan_position(rng), rng.uniform(1_000, 150_000)
            left -= 1
            at += timedelta(seconds=30)
            lat += rng.uniform(-0.002, 0.002)
            lon += rng.uniform(-0.002, 0.002)
            odo += rng.uniform(0, 0.9)
            values = (f"T{trip:08d}", car.vin, car.chassis, car.imei, car.iccid, at,
                      round(lat, 6), round(lon, 6), round(rng.uniform(0, 110), 1),
                      rng.randrange(360), round(odo, 1), car.fw)  # fmt: skip
            for f, value in zip(TRIP_FIELDS, values, strict=True):
                cols[f.key].append(value)
        if labels:
            keyed = ((D.VIN, "vin"), (D.JP_CHASSIS_NUMBER, "chassis"), (D.IMEI, "imei"),
                     (D.ICCID, "iccid"))  # fmt: skip
            for row in range(rows):
                for dtype, key in keyed:
                    table.labels.append((row, key, dtype, shape(cols[key][row])))
                pos = f"{cols['lat'][row]}, {cols['lon'][row]}"
                table.labels.append((row, "lat", D.GEO_COORDINATES, shape(pos)))
                fw = cols["fw"][row]
                if fw.count(".") == 3:
                    table.decoys.append((row, "fw", "version_string", D.IP_ADDRESS, shape(fw)))
        return table

    def customers(self, rows: int) -> Table:
        """Dealer records: one customer and car per row; notes in free text."""
        rng, fake = self.rng, self.fake()
        cols: dict[str, list[Any]] = {f.key: [] for f in CUSTOMER_FIELDS}
        table = Table(CUSTOMER_FIELDS, cols)

        def put(row: int, key: str, value: Any, dtype: DataType | None = None) -> None:
            cols[key].append(value)
            if dtype is not None:
                table.labels.append((row, key, dtype, shape(str(value))))

        def near(row: int, key: str, value: str, kind: str, imitates: DataType) -> None:
            cols[key].append(value)
            table.decoys.append((row, key, kind, imitates, shape(value)))

        for row in range(rows):
            last, last_kana, _ = fake.last_name_pair()
            first, first_kana, _ = fake.first_name_pair()
            put(row, "id", f"C{rng.randrange(10**7):07d}")
            put(row, "name", f"{last} {first}", D.PERSON_NAME)
            put(row, "kana", f"{last_kana} {first_kana}", D.PERSON_NAME)
            birth = f"{rng.randrange(1950, 2005)}{_day(rng)[4:]}"
            near(row, "birth", birth, "date", D.JP_POSTAL_CODE)
            put(row, "phone", val.phone(rng), D.PHONE_NUMBER)
            domain = rng.choice(("com", "net", "org"))
            put(row, "email", f"{fake.user_name()}@example.{domain}", D.EMAIL)
            put(row, "postal", val.postal_code(rng), D.JP_POSTAL_CODE)
            put(row, "address", fake.address(), D.ADDRESS)
            put(row, "my_number", val.my_number(rng), D.JP_MY_NUMBER)
            put(row, "license", val.drivers_license(rng), D.JP_DRIVERS_LICENSE)
            put(row, "card", val.payment_card(rng), D.PAYMENT_CARD)
            put(row, "expiry", f"{rng.randrange(1, 13):02d}/{rng.randrange(25, 31)}")
            car = rng.choice(self.cars)
            if rng.random() < 0.1:  # an imported car: its VIN is what is stamped on it
                put(row, "chassis", car.vin, D.VIN)
            else:
                put(row, "chassis", car.chassis, D.JP_CHASSIS_NUMBER)
            near(row, "order", val.my_number_bad(rng), "order_number", D.JP_MY_NUMBER)
            put(row, "registered", (EPOCH - timedelta(minutes=rng.randrange(10**6))).isoformat())
            cols["note"].append(self._note(table, row))
        return table

    def _note(self, table: Table, row: int) -> str | None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.1:
            number = val.phone(rng)
            table.labels.append((row, "note", D.PHONE_NUMBER, shape(number)))
            return f"Call back on {number} after 18:00 (customer request)."
        if roll < 0.15:
            mail = f"{self.fake().user_name()}@example.com"
            table.labels.append((row, "note", D.EMAIL, shape(mail)))
            return f"Send the service report to {mail} instead of by post."
        if roll < 0.2:
            day = _day(rng)
            table.decoys.append((row, "note", "date", D.JP_POSTAL_CODE, shape(day)))
            return f"Next inspection booked for {day}, loan car requested."
        return rng.choice(_NOTES) if roll < 0.6 else None

    def parts(self, rows: int) -> Table:
        """Near misses only: nothing here is personal data or a vehicle identifier."""
        rng = self.rng
        cols: dict[str, list[Any]] = {f.key: [] for f in PART_FIELDS}
        table = Table(PART_FIELDS, cols)
        makers: dict[str, tuple[str, DataType | None, Callable[[], str]]] = {
            "part_no": ("vin_bad_check", D.VIN, lambda: val.vin_bad_check(rng)),
            "serial": ("luhn_number", D.PAYMENT_CARD, lambda: val.luhn_number(rng)),
            "device_serial": ("phone_shaped_serial", D.PHONE_NUMBER,
                              lambda: f"0{rng.choice('789')}0-{val.digits(rng, 4)}-"
                                      f"{val.digits(rng, 4)}"),
            "order": ("order_number", D.JP_MY_NUMBER, lambda: val.my_number_bad(rng)),
            "tracking": ("luhn_number", D.PAYMENT_CARD,
                         lambda: val.luhn_number(rng, 16, card_range=rng.random() < 0.5)),
            "jan": ("jan_code", D.PAYMENT_CARD, lambda: val.jan_code(rng)),
            "fw": ("version_string", D.IP_ADDRESS, lambda: val.ipv4_like_version(rng)),
            "build": ("version_string", None,
                      lambda: f"v{rng.randrange(1, 9)}.{rng.randrange(30)}.0"),
            "shipped_on": ("date", D.JP_POSTAL_CODE, lambda: _day(rng)),
            "shipped_ms": ("epoch_ms", D.PAYMENT_CARD,
                           lambda: str(rng.randrange(1_600_000_000_000, 1_800_000_000_000))),
            "message_id": ("message_id", D.EMAIL, lambda: val.message_id(rng)),
            "checksum": ("sha1", D.AWS_SECRET_KEY, lambda: val.hex_string(rng, 40)),
            "calibration": ("foreign_coordinates", D.GEO_COORDINATES,
                            lambda: "{:.6f},{:.6f}".format(*val.foreign_position(rng))),
        }  # fmt: skip
        for row in range(rows):
            for key, (kind, imitates, make) in makers.items():
                value = make()
                cols[key].append(value)
                table.decoys.append((row, key, kind, imitates, shape(value)))
        return table

    # -- text ----------------------------------------------------------------------------------

    def log(
        self,
        name: str,
        lines: int,
        *,
        pii_share: float = 0.02,
        decoy_share: float = 0.03,
        labels: bool = True,
    ) -> CorpusObject:
        """An application log of at least ``lines`` lines (a PEM block spans several)."""
        out: list[str] = []
        found: list[Label] = []
        decoys: list[Decoy] = []
        for text, hits, misses in self.log_events(lines, pii_share, decoy_share):
            if labels:
                at = Location(name, line=len(out) + 1)
                found += [Label(t, at, s) for t, s in hits]
                decoys += [Decoy(k, t, at, s) for k, t, s in misses]
            out.extend(text)
        data = ("\n".join(out) + "\n").encode("utf-8")
        return CorpusObject(name, "log", data, tuple(found), tuple(decoys))

    def log_events(self, lines: int, pii_share: float, decoy_share: float) -> Iterator[logs.Event]:
        """Events of at least ``lines`` lines in total; a share ``pii_share`` of the events
        hold data types, ``decoy_share`` near misses, the rest nothing."""
        rng = self.rng
        at = EPOCH
        written = 0
        while written < lines:
            at += timedelta(milliseconds=rng.randrange(1, 400))
            ts = at.isoformat(timespec="milliseconds")
            roll = rng.random()
            if roll < pii_share:
                event = logs.pii_event(rng, self.fake, ts)
            elif roll < pii_share + decoy_share:
                event = logs.decoy_event(rng, ts)
            else:
                event = logs.clean_event(rng, ts), [], []
            written += len(event[0])
            yield event
