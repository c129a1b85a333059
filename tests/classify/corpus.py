"""A synthetic connected-car corpus with known raw values, written in every format Andon reads.

:func:`write_corpus` writes a tree (CSV, gzip'd CSV, NDJSON, a JSON document, Parquet, a zip,
a sparse log, a tar.gz and one binary file) and returns a :class:`Corpus`: the exact raw
values it holds (for the leak test) and the expected per-object counts (for the engine
tests). Every value is generated valid (check digits, Luhn, issuer ranges) from a seed.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from stdnum.jp import in_ as my_number_check

from andon.classify import validators as v

_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"
SURNAMES = ["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤"]
GIVEN = ["太郎", "花子", "一郎", "陽菜", "大翔", "結衣", "蓮", "美咲", "健太", "真央"]
LATIN = ["Kenji Mori", "Yui Aoki", "Sota Ishii", "Rin Ueda", "Haruto Kimura"]


def vin(rng: random.Random, wmi: str = "JTD") -> str:
    body = wmi + "".join(rng.choice(_VIN_CHARS) for _ in range(5)) + "0"
    body += rng.choice("ABCDEFGHJKLMNPRSTVWXY123456789") + rng.choice(_VIN_CHARS)
    body += f"{rng.randrange(10**6):06d}"
    digit = v.vin_check_digit(body)
    assert digit is not None
    return body[:8] + digit + body[9:]


def luhn(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return body + v.luhn_check_digit(body)


def imei(rng: random.Random) -> str:
    return luhn("35", 15, rng)


def card(rng: random.Random) -> str:
    return luhn(rng.choice(["4", "51", "53"]), 16, rng)


def my_number(rng: random.Random) -> str:
    body = f"{rng.randrange(10**10, 10**11):011d}"
    return body + my_number_check.calc_check_digit(body)


def phone(rng: random.Random) -> str:
    return f"090-{rng.randrange(1000, 10**4):04d}-{rng.randrange(1000, 10**4):04d}"


def chassis(rng: random.Random) -> str:
    return f"{rng.choice(['ZVW30', 'NHP10', 'GK3'])}-{rng.randrange(10**6, 10**7)}"


def aws_key_id(rng: random.Random) -> str:
    return "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


def aws_secret(rng: random.Random) -> str:
    while True:
        s = "".join(rng.choice(_B64) for _ in range(40))
        if v.is_aws_secret_key(s):
            return s


def coordinate(rng: random.Random) -> tuple[str, str]:
    return f"{35 + rng.random():.6f}", f"{139 + rng.random():.6f}"


@dataclass(frozen=True)
class Driver:
    vin: str
    chassis: str
    imei: str
    name: str
    phone: str
    email: str
    my_number: str
    card: str


def fleet(size: int, seed: int = 1) -> list[Driver]:
    rng = random.Random(seed)
    out = []
    for i in range(size):
        name = f"{SURNAMES[i % 10]} {GIVEN[(i // 10) % 10]}"  # distinct for 100 drivers
        out.append(
            Driver(
                vin=vin(rng),
                chassis=chassis(rng),
                imei=imei(rng),
                name=name,
                phone=phone(rng),
                email=f"driver{i:04d}.{rng.randrange(10**6):06d}@example.co.jp",
                my_number=my_number(rng),
                card=card(rng),
            )
        )
    return out


@dataclass
class Corpus:
    """What :func:`write_corpus` wrote: the raw values and expected counts per object."""

    root: Path
    drivers: list[Driver]
    coordinates: list[str] = field(default_factory=list)  # "lat,lon" as written
    secrets: list[str] = field(default_factory=list)  # AWS key ids, secret keys, PEM body
    expected: dict[str, dict[str, int]] = field(default_factory=dict)

    def raw_values(self) -> Iterator[str]:
        """Every raw value, in the forms that must never appear in any output."""
        for d in self.drivers:
            yield from (d.vin, d.imei, d.name, d.phone, d.email, d.my_number, d.card)
            yield d.chassis
            yield d.name.replace(" ", "")
            yield d.phone.replace("-", "")  # digits only
            yield d.card[:4] + " " + d.card[4:8]  # a formatted prefix is still a leak of 8
        yield from LATIN
        for pair in self.coordinates:
            lat, lon = pair.split(",")
            yield lat
            yield lon
        yield from self.secrets


TRIP_COLUMNS = ["trip_id", "vin", "chassis_no", "imei", "ts", "lat", "lon", "speed", "driver_name"]
TRIP_COLUMNS += ["phone"]
PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0"


def trips_csv(corpus: Corpus, rows: int, rng: random.Random) -> bytes:
    lines = [",".join(TRIP_COLUMNS)]
    drivers = corpus.drivers
    for i in range(rows):
        d = drivers[i % len(drivers)]
        lat, lon = coordinate(rng)
        corpus.coordinates.append(f"{lat},{lon}")
        lines.append(
            f"T{i // 10},{d.vin},{d.chassis},{d.imei},2024-05-01T10:{i % 60:02d}:00Z,"
            f"{lat},{lon},{rng.randrange(120)},{d.name},{d.phone}"
        )
    return ("\n".join(lines) + "\n").encode()


def customers(corpus: Corpus) -> list[dict[str, object]]:
    return [
        {
            "customer_id": f"C{i:05d}",
            "氏名": d.name,
            "contact": {"email": d.email, "phone": d.phone},
            "my_number": d.my_number,
            "card_number": d.card,
            "vehicle": {"vin": d.vin},
        }
        for i, d in enumerate(corpus.drivers)
    ]


def sparse_log(corpus: Corpus, lines: int, rng: random.Random) -> tuple[bytes, int]:
    """A log with PII on every 50th line (an e-mail and a phone), the rest harmless."""
    out = []
    hits = 0
    for i in range(lines):
        if i % 50 == 0:
            d = corpus.drivers[hits % len(corpus.drivers)]
            out.append(
                f"2024-05-01T10:00:{i % 60:02d}Z INFO login ok email={d.email} tel {d.phone}"
            )
            hits += 1
        else:
            out.append(
                f"2024-05-01T10:00:{i % 60:02d}Z DEBUG request {i} took {rng.randrange(900)} ms"
            )
    key_id, secret = aws_key_id(rng), aws_secret(rng)
    corpus.secrets += [key_id, secret, PEM_BODY]
    out.append(f"aws_access_key_id = {key_id}")
    out.append(f"aws_secret_access_key = {secret}")
    out.append("-----BEGIN RSA PRIVATE KEY-----")
    out.append(PEM_BODY)
    out.append("-----END RSA PRIVATE KEY-----")
    return ("\n".join(out) + "\n").encode(), hits


def write_corpus(root: Path, *, drivers: int = 40, trips: int = 400, seed: int = 7) -> Corpus:
    """Write the corpus under ``root`` and return what it holds."""
    rng = random.Random(seed)
    corpus = Corpus(root, fleet(drivers, seed))
    root.mkdir(parents=True, exist_ok=True)
    csv_bytes = trips_csv(corpus, trips, rng)
    (root / "trips.csv").write_bytes(csv_bytes)
    (root / "archive").mkdir(exist_ok=True)
    (root / "archive" / "trips-2023.csv.gz").write_bytes(gzip.compress(csv_bytes))
    per_trip = {"vin": trips, "jp_chassis_number": trips, "imei": trips, "geo_coordinates": trips}
    per_trip |= {"person_name": trips, "phone_number": trips}
    corpus.expected["trips.csv"] = per_trip
    corpus.expected["archive/trips-2023.csv.gz"] = per_trip

    people = customers(corpus)
    ndjson = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in people).encode()
    (root / "customers.ndjson").write_bytes(ndjson)
    per_customer = {"person_name": drivers, "email": drivers, "phone_number": drivers}
    per_customer |= {"jp_my_number": drivers, "payment_card": drivers, "vin": drivers}
    corpus.expected["customers.ndjson"] = per_customer

    table = pa.table(
        {
            "vin": [d.vin for d in corpus.drivers],
            "terminal_imei": [d.imei for d in corpus.drivers],
            "latitude": [float(corpus.coordinates[i].split(",")[0]) for i in range(drivers)],
            "longitude": [float(corpus.coordinates[i].split(",")[1]) for i in range(drivers)],
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf)
    (root / "telemetry.parquet").write_bytes(buf.getvalue())
    corpus.expected["telemetry.parquet"] = {"vin": drivers, "imei": drivers}
    corpus.expected["telemetry.parquet"]["geo_coordinates"] = drivers

    doc = json.dumps({"exported": "2024-05-01", "customers": people}, ensure_ascii=False)
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/customers.json", doc.encode())
        archive.writestr("export/README.txt", b"monthly export\n")
    (root / "export.zip").write_bytes(zbuf.getvalue())
    corpus.expected["export.zip"] = dict(per_customer)

    log, hits = sparse_log(corpus, 2000, rng)
    (root / "logs").mkdir(exist_ok=True)
    (root / "logs" / "app.log").write_bytes(log)
    corpus.expected["logs/app.log"] = {"email": hits, "phone_number": hits}
    corpus.expected["logs/app.log"] |= {"aws_access_key": 1, "aws_secret_key": 1, "private_key": 1}

    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w:gz") as tar:
        lines = "".join(f"latin name: first_name={n}\n" for n in LATIN).encode()
        info = tarfile.TarInfo("notes/names.txt")
        info.size = len(lines)
        tar.addfile(info, io.BytesIO(lines))
    (root / "logs" / "notes.tar.gz").write_bytes(tbuf.getvalue())
    corpus.expected["logs/notes.tar.gz"] = {"person_name": len(LATIN)}

    (root / "photo.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(4000))
    )
    return corpus
