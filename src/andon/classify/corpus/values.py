"""Values for the synthetic corpus: valid identifiers, near misses, and value shapes.

Every function takes a ``random.Random`` and returns text; nothing here keeps state. Valid
identifiers really validate (VIN check digit, Luhn with issuer ranges for cards, the My Number
check digit from ``stdnum.jp.in_``, the licence 11th-digit check); near misses fail exactly
one rule (``vin_bad_check``, ``my_number_bad``) or fit a pattern outside its meaning
(``luhn_number``, ``ipv4_like_version``, ``message_id``). Credentials can never be real (see
:func:`aws_access_key_id`).
"""

from __future__ import annotations

import ipaddress
import random
import string
import uuid

from stdnum.jp import in_ as jp_in

from andon.demo import telemetry as tm

_DIGITS = string.digits
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # the alphabet of real access key ids
_NOT_BASE32 = "0189"
_BASE64 = string.ascii_letters + string.digits + "/+"
_IMEI_RBI = ("35", "35", "35", "86", "01", "99")
_LICENSE_COMMISSIONS = ("10", "20", "22", "30", "43", "44", "45", "49", "54", "62", "63", "90")
_LICENSE_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_AREA_CODES = ("03", "06", "011", "022", "045", "052", "075", "092", "0466", "0995")


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_DIGITS) for _ in range(n))


def luhn(body: str) -> str:
    """``body`` with its Luhn check digit appended."""
    return body + tm.luhn_check_digit(body)


def vin(rng: random.Random) -> str:
    """A 17-character VIN with a correct check digit (the demo's generator)."""
    return tm.make_vin(rng, rng.randrange(30))


def vin_bad_check(rng: random.Random) -> str:
    """A VIN-shaped string whose check digit is wrong."""
    good = vin(rng)
    return good[:8] + rng.choice([c for c in "0123456789X" if c != good[8]]) + good[9:]


def chassis_number(rng: random.Random) -> str:
    """A Japanese frame number such as ``ZVX30-1234567`` (the demo's model codes)."""
    return tm.make_chassis_number(rng, rng.choice(tm.MODELS)[0])


def imei(rng: random.Random) -> str:
    return luhn(rng.choice(_IMEI_RBI) + digits(rng, 12))


def iccid(rng: random.Random) -> str:
    """19 or 20 digits: ``89`` (telecom), ``81`` (Japan), issuer, account, Luhn digit."""
    return luhn("8981" + rng.choice(("10", "20", "30", "40")) + digits(rng, rng.choice((12, 13))))


_CARD_GROUPS = {16: (4, 4, 4, 4), 15: (4, 6, 5), 14: (4, 6, 4)}


def payment_card(rng: random.Random) -> str:
    """A Luhn-valid number in a network's issuer range, plain or grouped."""
    brand = rng.choices(("visa", "mc", "jcb", "amex", "diners"), (40, 25, 20, 10, 5))[0]
    prefix, length = {
        "visa": ("4", 16),
        "mc": (str(rng.randrange(51, 56)), 16),
        "jcb": (str(rng.randrange(3528, 3590)), 16),
        "amex": (rng.choice(("34", "37")), 15),
        "diners": ("36", 14),
    }[brand]
    number = luhn(prefix + digits(rng, length - len(prefix) - 1))
    style = rng.random()
    if style < 0.6:
        return number
    parts, at = [], 0
    for size in _CARD_GROUPS[length]:
        parts.append(number[at : at + size])
        at += size
    return (" " if style < 0.9 else "-").join(parts)


def luhn_number(rng: random.Random, length: int = 16, *, card_range: bool = True) -> str:
    """A Luhn-valid number that is no card: in a card issuer range (``4…``) or outside all."""
    return luhn(("4" if card_range else "9") + digits(rng, length - 2))


def my_number(rng: random.Random) -> str:
    body = digits(rng, 11)
    return body + str(jp_in.calc_check_digit(body))


def my_number_bad(rng: random.Random) -> str:
    """12 digits whose last digit is not the My Number check digit."""
    good = my_number(rng)
    return good[:11] + rng.choice([d for d in _DIGITS if d != good[11]])


def drivers_license(rng: random.Random) -> str:
    """Commission code, year of first licence, serial, check digit, reissue count."""
    first = rng.choice(_LICENSE_COMMISSIONS) + f"{rng.randrange(100):02d}" + digits(rng, 6)
    total = sum(int(c) * w for c, w in zip(first, _LICENSE_WEIGHTS, strict=True))
    return first + str((11 - total % 11) % 10) + rng.choice("0001")


def phone(rng: random.Random) -> str:
    """Japanese numbers as people write them: mobiles, landlines, toll-free and +81 forms."""
    kind = rng.random()
    mobile = rng.choice(("070", "080", "090"))
    if kind < 0.5:
        return f"{mobile}-{digits(rng, 4)}-{digits(rng, 4)}"
    if kind < 0.75:
        area = rng.choice(_AREA_CODES)
        local = digits(rng, 10 - len(area))
        mid = 6 - len(area)
        return f"{area}-{rng.choice('123456789')}{local[1:mid]}-{local[mid:]}"
    if kind < 0.8:
        return f"0120-{digits(rng, 3)}-{digits(rng, 3)}"
    if kind < 0.9:
        return f"+81-{mobile[1:]}-{digits(rng, 4)}-{digits(rng, 4)}"
    if kind < 0.95:
        return f"+81 3 {rng.choice('23456789')}{digits(rng, 3)} {digits(rng, 4)}"
    return mobile + digits(rng, 8)


def postal_code(rng: random.Random) -> str:
    return f"{rng.randrange(1, 1000):03d}-{rng.randrange(10_000):04d}"


def public_ipv4(rng: random.Random) -> str:
    while True:
        ip = ipaddress.IPv4Address(rng.getrandbits(32))
        if ip.is_global and not ip.is_multicast:
            return str(ip)


def public_ipv6(rng: random.Random) -> str:
    prefix = rng.choice((0x2400, 0x2404, 0x2405, 0x240B, 0x2600, 0x2A00))  # global unicast
    rest = rng.getrandbits(112)
    return str(ipaddress.IPv6Address((prefix << 112) | rest))


def aws_access_key_id(rng: random.Random) -> str:
    """``AKIA`` + 16 characters, two of them outside the base32 alphabet of real ids."""
    chars = [rng.choice(_BASE32) for _ in range(16)]
    for at in rng.sample(range(16), 2):
        chars[at] = rng.choice(_NOT_BASE32)
    return "AKIA" + "".join(chars)


def aws_example_key_id(rng: random.Random) -> str:
    """The shape of AWS's documentation example (``AKIAIOSFODNN7EXAMPLE``)."""
    return "AKIA" + "".join(rng.choice(_BASE32) for _ in range(9)) + "EXAMPLE"


def aws_secret_key(rng: random.Random) -> str:
    """40 base64 characters (upper, lower, digits) starting ``andonFAKE``."""
    tail = [rng.choice(_DIGITS)] + [rng.choice(_BASE64) for _ in range(30)]
    return "andonFAKE" + "".join(tail)


_BASE62 = string.digits + string.ascii_letters


def github_token(rng: random.Random) -> str:
    """``ghp_`` + 36 base62 characters: 30 of entropy (starting ``andonFAKE``) and a 6-character
    checksum slot that starts and ends with ``z``. Real tokens carry a base62 CRC32 there, which
    is below 2**32 < 5 * 62**5, so its most significant character (at either end) is one of the
    first five of the alphabet, never ``z``: no generated token can be real."""
    entropy = "andonFAKE" + "".join(rng.choice(_BASE62) for _ in range(21))
    return "ghp_" + entropy + "z" + "".join(rng.choice(_BASE62) for _ in range(4)) + "z"


def pem_private_key(rng: random.Random) -> list[str]:
    """Header, a random (not a key) body and footer of a PEM private key block."""
    kind = rng.choice(("RSA ", "EC ", "OPENSSH ", ""))
    body = ["ANDONFAKE" + "".join(rng.choice(_BASE64) for _ in range(55))]
    body += ["".join(rng.choice(_BASE64) for _ in range(64)) for _ in range(rng.randrange(2, 5))]
    return [f"-----BEGIN {kind}PRIVATE KEY-----", *body, f"-----END {kind}PRIVATE KEY-----"]


def japan_position(rng: random.Random) -> tuple[float, float]:
    _, lat, lon = rng.choice(tm.CITIES)
    return lat + rng.uniform(-0.15, 0.15), lon + rng.uniform(-0.15, 0.15)


def foreign_position(rng: random.Random) -> tuple[float, float]:
    """A point far from Japan (Europe, the Americas, Africa)."""
    return rng.uniform(-35, 60), rng.uniform(-120, 40)


def hex_string(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ipv4_like_version(rng: random.Random) -> str:
    return f"{rng.randrange(1, 30)}.{rng.randrange(20)}.{rng.randrange(10)}.{rng.randrange(300)}"


def message_id(rng: random.Random) -> str:
    return f"<{digits(rng, 14)}.{hex_string(rng, 8)}@mail.example.net>"


def jan_code(rng: random.Random) -> str:
    """A 13-digit Japanese article number (45/49 prefix, EAN check digit)."""
    body = rng.choice(("45", "49")) + digits(rng, 10)
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str(-total % 10)


_SHAPES = str.maketrans(
    string.digits + string.ascii_uppercase + string.ascii_lowercase,
    "9" * 10 + "A" * 26 + "a" * 26,
)


def shape(value: str) -> str:
    """The layout of a value without its content: digits ``9``, letters ``A``/``a``, kana
    ``カ``, kanji ``漢``, other characters kept (for reporting misses without values)."""
    out = []
    for c in value.translate(_SHAPES):
        o = ord(c)
        out.append("カ" if 0x3041 <= o <= 0x30FF else "漢" if 0x3400 <= o <= 0x9FFF else c)
    return "".join(out)
