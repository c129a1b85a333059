"""Application-log events for the corpus: clean lines, near misses, and lines with PII.

An event is ``(lines, hits, decoys)``: the text lines it writes, the ``(data type, shape)`` of
every value of a data type in it and the ``(kind, imitates, shape)`` of every near miss - all
on the event's first line. Clean events hold what logs are full of: timestamps, request ids,
UUIDs, hashes, durations, object keys.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from andon.classify.corpus import values as val
from andon.classify.corpus.values import shape
from andon.classify.model import DataType

D = DataType
Hit = tuple[DataType, str]
Miss = tuple[str, DataType | None, str]
Event = tuple[list[str], list[Hit], list[Miss]]

_METHODS = ("GET", "GET", "GET", "POST", "PUT")
_STATUS = (200, 200, 200, 201, 204, 304, 404)


def clean_event(rng: random.Random, ts: str) -> list[str]:
    """One line without personal data or identifiers."""
    kind = rng.randrange(6)
    if kind == 0:
        return [f"{ts} INFO  [api] req={val.uuid4(rng)} method={rng.choice(_METHODS)} "
                f"path=/v1/vehicles/{rng.randrange(10**6)}/status status={rng.choice(_STATUS)} "
                f"dur={rng.uniform(0.2, 900):.1f}ms"]  # fmt: skip
    if kind == 1:
        return [f"{ts} DEBUG [worker] job=trip-rollup-{rng.randrange(10**5)} "
                f"rows={rng.randrange(10**6)} elapsed={rng.uniform(0, 60):.3f}s"]  # fmt: skip
    if kind == 2:
        return [f"{ts} INFO  [ingest] object=trips/dt=2024-05-{rng.randrange(1, 29):02d}/"
                f"part-{rng.randrange(10**5):05d}.parquet bytes={rng.randrange(10**8)} "
                f"sha256={val.hex_string(rng, 64)}"]  # fmt: skip
    if kind == 3:
        return [f"{ts} WARN  [api] upstream timeout after {rng.randrange(100, 30_000)}ms "
                f"retry={rng.randrange(1, 4)}/3 trace={val.hex_string(rng, 32)}"]  # fmt: skip
    if kind == 4:
        return [f"{ts} DEBUG [cache] hit key=vehicle:{val.hex_string(rng, 12)} ttl=300"]
    return [f"{ts} INFO  [auth] token refreshed session={val.uuid4(rng)} expires_in=3600"]


def _miss(kind: str, imitates: DataType | None, value: str) -> list[Miss]:
    return [(kind, imitates, shape(value))]


def decoy_event(rng: random.Random, ts: str) -> Event:
    """One line with a near miss and nothing of a data type."""
    kind = rng.randrange(10)
    if kind == 0:
        v = val.my_number_bad(rng)
        return (
            [f"{ts} INFO  [orders] order_id={v} status=shipped"],
            [],
            _miss("order_number", D.JP_MY_NUMBER, v),
        )
    if kind == 1:
        v = val.luhn_number(rng, card_range=rng.random() < 0.5)
        return (
            [f"{ts} INFO  [billing] invoice={v} settled"],
            [],
            _miss("luhn_number", D.PAYMENT_CARD, v),
        )
    if kind == 2:
        v = val.ipv4_like_version(rng)
        return (
            [f"{ts} INFO  [deploy] firmware version {v} rolled out"],
            [],
            _miss("version_string", D.IP_ADDRESS, v),
        )
    if kind == 3:
        v = f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        return (
            [f"{ts} INFO  [report] date={v} rows={rng.randrange(10**5)}"],
            [],
            _miss("date", D.JP_POSTAL_CODE, v),
        )
    if kind == 4:
        v = val.vin_bad_check(rng)
        return (
            [f"{ts} WARN  [parts] part={v} not in catalogue"],
            [],
            _miss("vin_bad_check", D.VIN, v),
        )
    if kind == 5:
        v = val.message_id(rng)
        return [f"{ts} INFO  [mail] delivered msgid={v}"], [], _miss("message_id", D.EMAIL, v)
    if kind == 6:
        v = "0" + val.digits(rng, 9)
        return (
            [f"{ts} DEBUG [device] sn={v} boot ok"],
            [],
            _miss("serial_number", D.PHONE_NUMBER, v),
        )
    if kind == 7:
        v = str(rng.randrange(1_600_000_000_000, 1_800_000_000_000))
        return (
            [f"{ts} DEBUG [metrics] at_ms={v} gc_pause_ms=3"],
            [],
            _miss("epoch_ms", D.PAYMENT_CARD, v),
        )
    if kind == 8:
        v = f"{rng.uniform(1, 80):.6f},{rng.uniform(1, 170):.6f}"
        return [f"{ts} DEBUG [metrics] p50,p99={v}"], [], _miss("number_pair", D.GEO_COORDINATES, v)
    v = val.aws_example_key_id(rng)
    return (
        [f"{ts} INFO  [docs] rendered snippet with {v}"],
        [],
        _miss("aws_example_key", D.AWS_ACCESS_KEY, v),
    )


def _hits(*pairs: tuple[DataType, str]) -> list[Hit]:
    return [(t, shape(v)) for t, v in pairs]


def pii_event(rng: random.Random, fake: Callable[[], Any], ts: str) -> Event:
    """One event with values of data types (``fake()`` gives the seeded faker)."""
    kind = rng.randrange(13)
    if kind == 12:
        token = val.github_token(rng)
        return (
            [f"{ts} WARN  [ci] git clone with token={token} failed"],
            _hits((D.API_TOKEN, token)),
            [],
        )
    if kind == 0:
        mail = f"{fake().user_name()}@example.com"
        ip = val.public_ipv4(rng)
        return (
            [f"{ts} INFO  [auth] login ok user={mail} ip={ip}"],
            _hits((D.EMAIL, mail), (D.IP_ADDRESS, ip)),
            [],
        )
    if kind == 1:
        number = val.phone(rng)
        return (
            [f"{ts} INFO  [notify] sms queued to={number} template=reminder"],
            _hits((D.PHONE_NUMBER, number)),
            [],
        )
    if kind == 2:
        vin = val.vin(rng)
        lat, lon = val.japan_position(rng)
        pos = f"lat={lat:.6f} lon={lon:.6f}"
        return (
            [f"{ts} DEBUG [telemetry] vin={vin} {pos} speed={rng.uniform(0, 100):.1f}"],
            _hits((D.VIN, vin), (D.GEO_COORDINATES, pos)),
            [],
        )
    if kind == 3:
        frame = val.chassis_number(rng)
        lat, lon = val.japan_position(rng)
        pos = f"{lat:.6f},{lon:.6f}"
        return (
            [f"{ts} DEBUG [telemetry] frame={frame} pos={pos}"],
            _hits((D.JP_CHASSIS_NUMBER, frame), (D.GEO_COORDINATES, pos)),
            [],
        )
    if kind == 4:
        imei, iccid = val.imei(rng), val.iccid(rng)
        return (
            [f"{ts} INFO  [provision] activated imei={imei} iccid={iccid}"],
            _hits((D.IMEI, imei), (D.ICCID, iccid)),
            [],
        )
    if kind == 5:
        card = val.payment_card(rng)
        return (
            [f"{ts} INFO  [billing] charge ok card={card} amount={rng.randrange(10**5)}"],
            (_hits((D.PAYMENT_CARD, card))),
            [],
        )
    if kind == 6:
        key, secret = val.aws_access_key_id(rng), val.aws_secret_key(rng)
        line = f"{ts} ERROR [config] env aws_access_key_id={key} aws_secret_access_key={secret}"
        return [line], _hits((D.AWS_ACCESS_KEY, key), (D.AWS_SECRET_KEY, secret)), []
    if kind == 7:
        block = val.pem_private_key(rng)
        return (
            [f"{ts} ERROR [deploy] unexpected payload: {block[0]}", *block[1:]],
            _hits((D.PRIVATE_KEY, block[0])),
            [],
        )
    if kind == 8:
        number = val.my_number(rng)
        return (
            [f"{ts} INFO  [kyc] マイナンバー={number} verified"],
            _hits((D.JP_MY_NUMBER, number)),
            [],
        )
    if kind == 9:
        number = val.drivers_license(rng)
        return (
            [f"{ts} INFO  [kyc] 運転免許証番号={number} checked"],
            _hits((D.JP_DRIVERS_LICENSE, number)),
            [],
        )
    if kind == 10:
        f = fake()
        name = f"{f.last_name()} {f.first_name()}"
        postal, address = val.postal_code(rng), f.address()
        line = f"{ts} INFO  [crm] 氏名={name} 〒{postal} {address}"
        return (
            [line],
            _hits((D.PERSON_NAME, name), (D.JP_POSTAL_CODE, postal), (D.ADDRESS, address)),
            [],
        )
    ip = val.public_ipv6(rng)
    return [f"{ts} WARN  [api] rate limited client_ip={ip}"], _hits((D.IP_ADDRESS, ip)), []
