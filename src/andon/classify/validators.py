"""Validators: pure checks on one value (and, re-exported, vectorized masks over a column).

Every scalar check takes a ``str`` and returns a ``bool`` (or a small parsed value) and never
raises on bad input. The column path reuses them, and for the identifiers that come in
millions per object (VIN, Luhn numbers, My Number, coordinates) it gets a vectorized form
from :mod:`andon.classify.masks` (``card_mask``, ``vin_mask``, ...; importable from here too)
that takes a ``pyarrow`` array (or any sequence of ``str | None``) and returns a
``pyarrow.BooleanArray`` mask (nulls and non-strings are ``False``). The tables both use are
in :mod:`andon.classify.standards`.

Sources of the rules:

* VIN: ISO 3779 / 49 CFR 565 - 17 characters, no I, O, Q; check digit at position 9 (weights
  8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2 over transliterated values, mod 11, 10 -> ``X``);
  the model-year code at position 10 is never U, Z or 0 and the last four characters are
  numeric. The check digit is mandatory only for North America; see :func:`is_vin_structure`.
* IMEI: 3GPP TS 23.003 (15 digits, Luhn; IMEISV: 14 digits + 2-digit SVN, no check digit);
  Reporting Body Identifiers (first two digits) from GSMA TS.06 Appendix A.
* ICCID: ITU-T E.118 (prefix 89, up to 19 digits + Luhn check digit).
* Payment cards: Luhn plus the public issuer ranges and lengths of each network.
* My Number: check digit as ``stdnum.jp.in_`` computes it (weights 6 5 4 3 2 7 6 5 4 3 2,
  ``(11 - sum mod 11) mod 10``; the tests hold it to ``stdnum``).
* Japanese driver's licence: 12 digits = public-safety-commission code (2), year of first
  licence (2), serial (6), check digit (1), reissue count (1). The commission codes (10-14
  Hokkaido areas ... 97 Okinawa) and the check digit rule (digits 1-10 weighted 5 4 3 2 7 6 5
  4 3 2, ``(11 - sum mod 11) mod 10``) are not published by the National Police Agency; they
  come from several independent public write-ups (jiko0.com "免許証番号について", be_happy.chu.jp
  "menkyo", kurechan.hatenadiary.org 2005-01-21) that agree and reproduce a worked example.
  The Okinawa prefectural police's 運転免許事務取扱要領 confirms the 12-digit layout with a
  check digit. :func:`is_jp_drivers_license` therefore lets callers switch the check off.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from operator import mul
from types import MappingProxyType

from andon.classify.masks import Mask as Mask
from andon.classify.masks import as_string_array as as_string_array
from andon.classify.masks import card_mask as card_mask
from andon.classify.masks import iccid_mask as iccid_mask
from andon.classify.masks import imei_mask as imei_mask
from andon.classify.masks import latitude_mask as latitude_mask
from andon.classify.masks import longitude_mask as longitude_mask
from andon.classify.masks import luhn_mask as luhn_mask
from andon.classify.masks import my_number_mask as my_number_mask
from andon.classify.masks import vin_mask as vin_mask
from andon.classify.standards import IMEI_RBI as IMEI_RBI
from andon.classify.standards import LUHN_DOUBLE, MY_NUMBER_WEIGHTS
from andon.classify.standards import VIN_VALUES as VIN_VALUES
from andon.classify.standards import VIN_WEIGHTS as VIN_WEIGHTS
from andon.classify.standards import VIN_YEAR_CODES as VIN_YEAR_CODES

# --------------------------------------------------------------------------- helpers


def digits_only(value: str) -> str:
    """``value`` without spaces and hyphens (the separators card, IMEI and My Number use)."""
    return value.strip().replace(" ", "").replace("-", "")


def _same_char(value: str) -> bool:
    return len(set(value)) <= 1


# --------------------------------------------------------------------------- VIN (ISO 3779)

_VIN_TABLE = bytes.maketrans(
    "".join(VIN_VALUES).encode(), bytes(48 + n for n in VIN_VALUES.values())
)
_VIN_OFFSET = 48 * sum(VIN_WEIGHTS)
_VIN_RE = re.compile(r"[A-HJ-NPR-Z0-9]{17}")


def vin_check_digit(vin: str) -> str | None:
    """The check digit (``0``-``9`` or ``X``) a 17-character VIN should carry at position 9,
    or ``None`` when ``vin`` has another length or a character outside the VIN alphabet."""
    vin = vin.upper()
    if _VIN_RE.fullmatch(vin) is None:
        return None
    values = vin.encode().translate(_VIN_TABLE)  # each character -> "0" + its value
    r = (sum(map(mul, values, VIN_WEIGHTS)) - _VIN_OFFSET) % 11
    return "X" if r == 10 else str(r)


def is_vin_structure(vin: str) -> bool:
    """A plausible VIN whatever its check digit: 17 characters of the VIN alphabet, a WMI
    that does not start with ``0``, a valid model-year code at position 10, numeric last four
    characters, at least two letters (so that long numbers are never VINs) and not one
    repeated character. European and Asian VINs often carry a filler (``Z``) or a
    non-computed value at position 9, so this is the test for them - with context."""
    vin = vin.upper()
    return (
        _VIN_RE.fullmatch(vin) is not None
        and vin[0] != "0"
        and vin[9] in VIN_YEAR_CODES
        and vin[13:].isdigit()
        and sum(map(str.isalpha, vin)) >= 2
        and not _same_char(vin)
    )


def is_valid_vin(vin: str, *, require_check_digit: bool = True) -> bool:
    """:func:`is_vin_structure` and (by default) a correct check digit at position 9."""
    if not is_vin_structure(vin):
        return False
    return not require_check_digit or vin_check_digit(vin) == vin[8].upper()


# --------------------------------------------------------------------------- Japanese chassis

_CHASSIS_RE = re.compile(r"([A-Z]{1,4})([0-9]{0,3})([A-Z]{0,2})-([0-9]{6,8})")


def jp_chassis_parts(value: str) -> tuple[str, str] | None:
    """``(model code, serial)`` of a Japanese chassis (frame) number such as
    ``ZVW30-1234567`` (Toyota), ``GK3-1234567`` (Honda), ``MH55S-123456`` (Suzuki),
    ``VAG-012345`` (Subaru), or ``None``. Serials of 8 digits that read as a date
    (``YYYYMMDD``) and serials of one repeated digit are rejected."""
    m = _CHASSIS_RE.fullmatch(value.strip().upper())
    if m is None:
        return None
    letters, digits, suffix, serial = m.groups()
    model = letters + digits + suffix
    if not 2 <= len(model) <= 7 or _same_char(serial):
        return None
    if len(serial) == 8 and serial[:2] in ("19", "20") and _is_mmdd(serial[4:]):
        return None
    return model, serial


def _is_mmdd(s: str) -> bool:
    return 1 <= int(s[:2]) <= 12 and 1 <= int(s[2:]) <= 31


def is_jp_chassis_number(value: str, *, strict: bool = True) -> bool:
    """A Japanese chassis number. ``strict`` (the form safe without context) wants a model
    code of letters *and* digits and a 6-7 digit serial; otherwise letter-only model codes
    (Subaru ``VAG``) and 8-digit serials pass too."""
    parts = jp_chassis_parts(value)
    if parts is None:
        return False
    model, serial = parts
    return not strict or (any(c.isdigit() for c in model) and len(serial) <= 7)


# --------------------------------------------------------------------------- Luhn numbers

_LUHN_TABLE = bytes.maketrans(b"0123456789", bytes(48 + d for d in LUHN_DOUBLE))


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check over a string of digits (at least two)."""
    if len(digits) < 2 or not (digits.isascii() and digits.isdigit()):
        return False
    raw = digits.encode()
    total = sum(raw[-1::-2]) + sum(raw[-2::-2].translate(_LUHN_TABLE)) - 48 * len(raw)
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` pass :func:`luhn_ok`."""
    for d in "0123456789":
        if luhn_ok(partial + d):
            return d
    raise ValueError("not a string of digits")  # pragma: no cover - unreachable for digits


def is_imei(value: str) -> bool:
    """15 digits (separators allowed), a known Reporting Body Identifier, Luhn-valid."""
    d = digits_only(value)
    return len(d) == 15 and d[:2] in IMEI_RBI and luhn_ok(d) and not _same_char(d[2:])


def is_imeisv(value: str) -> bool:
    """16 digits: TAC + serial (known RBI) and a software version number 00-98 (no check
    digit, so only ever reported with context)."""
    d = digits_only(value)
    return len(d) == 16 and d.isdigit() and d[:2] in IMEI_RBI and d[14:] != "99"


def is_iccid(value: str) -> bool:
    """19-20 digits starting with ``89`` (telecom), Luhn-valid."""
    d = digits_only(value)
    return 19 <= len(d) <= 20 and d.startswith("89") and luhn_ok(d)


def card_brand(digits: str) -> str | None:
    """The network whose issuer range and length fit ``digits``, or ``None``."""
    n = len(digits)
    if not 13 <= n <= 19 or not digits.isdigit():
        return None
    p2, p3, p4, p6 = int(digits[:2]), int(digits[:3]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4":
        return "visa" if n in (13, 16, 19) else None
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return "mastercard" if n == 16 else None
    if p2 in (34, 37):
        return "amex" if n == 15 else None
    if 3528 <= p4 <= 3589:
        return "jcb" if n >= 16 else None
    if p2 == 36:
        return "diners" if n >= 14 else None  # 14-19 digits
    if 300 <= p3 <= 305:
        return "diners" if n == 14 else None  # Carte Blanche
    if p4 == 3095 or p2 in (38, 39):
        return "diners" if n >= 16 else None
    if p4 == 6011 or 644 <= p3 <= 649 or p2 == 65 or 622126 <= p6 <= 622925:
        return "discover" if n >= 16 else None
    if p2 == 62:
        return "unionpay" if n >= 16 else None
    return None


def is_payment_card(value: str) -> bool:
    """Luhn-valid, inside a network's issuer range with one of its lengths."""
    d = digits_only(value)
    return card_brand(d) is not None and luhn_ok(d) and not _same_char(d[1:])


# --------------------------------------------------------------------------- Japanese ids


def is_my_number(value: str) -> bool:
    """A Japanese Individual Number (12 digits, check digit as ``stdnum.jp.in_``)."""
    d = digits_only(value)
    if len(d) != 12 or not (d.isascii() and d.isdigit()) or _same_char(d):
        return False
    total = sum(int(c) * w for c, w in zip(d[:11], MY_NUMBER_WEIGHTS, strict=True))
    return (-total % 11) % 10 == int(d[11])


JP_LICENSE_COMMISSIONS: Mapping[str, str] = MappingProxyType(
    {"10": "北海道(札幌)", "11": "北海道(函館)", "12": "北海道(旭川)", "13": "北海道(釧路)",
     "14": "北海道(北見)", "20": "青森", "21": "岩手", "22": "宮城", "23": "秋田", "24": "山形",
     "25": "福島", "30": "東京", "40": "茨城", "41": "栃木", "42": "群馬", "43": "埼玉",
     "44": "千葉", "45": "神奈川", "46": "新潟", "47": "山梨", "48": "長野", "49": "静岡",
     "50": "富山", "51": "石川", "52": "福井", "53": "岐阜", "54": "愛知", "55": "三重",
     "60": "滋賀", "61": "京都", "62": "大阪", "63": "兵庫", "64": "奈良", "65": "和歌山",
     "70": "鳥取", "71": "島根", "72": "岡山", "73": "広島", "74": "山口", "80": "徳島",
     "81": "香川", "82": "愛媛", "83": "高知", "90": "福岡", "91": "佐賀", "92": "長崎",
     "93": "熊本", "94": "大分", "95": "宮崎", "96": "鹿児島", "97": "沖縄"}
)  # fmt: skip
_LICENSE_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def jp_license_check_digit(first10: str) -> str:
    """The 11th digit of a licence number whose first ten digits are ``first10``."""
    total = sum(int(c) * w for c, w in zip(first10, _LICENSE_WEIGHTS, strict=True))
    return str((11 - total % 11) % 10)


def is_jp_drivers_license(value: str, *, check_digit: bool = True) -> bool:
    """12 digits with a known commission code and (by default) the 11th-digit check."""
    d = digits_only(value)
    if len(d) != 12 or not d.isdigit() or d[:2] not in JP_LICENSE_COMMISSIONS:
        return False
    return not check_digit or jp_license_check_digit(d[:10]) == d[10]


# --------------------------------------------------------------------------- phone numbers

# Separators inside a phone number: spaces, hyphens and parentheses - the layouts the text
# patterns and the column regex accept (dotted numbers such as 090.1234.5678 are not phones
# here: dotted digit groups are versions, addresses and decimals far more often).
_PHONE_SEP = re.compile(r"[ \-()]")
_JP_MOBILE = ("020", "050", "060", "070", "080", "090", "0800")


def jp_national_number(value: str) -> str | None:
    """The national form (``0`` + 9-10 digits) of a Japanese number written domestically
    (``090-1234-5678``, ``03(1234)5678``, ``0312345678``) or as ``+81``; ``None`` otherwise.
    Mobile, IP-phone and ``0800`` numbers have 11 digits, landlines and ``0120``/``0570``
    have 10; the digit after the trunk ``0`` is never ``0``."""
    s = value.strip()
    if s.startswith("+81"):
        rest = s[3:].replace(" ", "").replace("-", "")
        rest = _PHONE_SEP.sub("", rest[3:] if rest.startswith("(0)") else rest)
        d = "0" + rest
    else:
        d = _PHONE_SEP.sub("", s)
    if not d.isdigit() or len(d) not in (10, 11) or d[0] != "0" or d[1] == "0":
        return None
    if len(d) == 11:
        return d if d.startswith(_JP_MOBILE) else None
    return None if d.startswith(_JP_MOBILE) else d


def is_jp_phone(value: str) -> bool:
    return jp_national_number(value) is not None


def is_e164(value: str) -> bool:
    """``+`` and 8-15 digits (spaces or hyphens allowed), country code not starting with 0;
    a ``+81`` number must also be a valid Japanese number."""
    s = value.strip()
    if not s.startswith("+"):
        return False
    d = _PHONE_SEP.sub("", s[1:])
    if not d.isdigit() or not 8 <= len(d) <= 15 or d[0] == "0" or _same_char(d[1:]):
        return False
    return not d.startswith("81") or jp_national_number(s) is not None


def normalize_phone(value: str) -> str | None:
    """E.164 (``+819012345678``) for Japanese and international numbers, else ``None``."""
    jp = jp_national_number(value)
    if jp is not None:
        return "+81" + jp[1:]
    if is_e164(value):
        return "+" + _PHONE_SEP.sub("", value.strip()[1:])
    return None


# --------------------------------------------------------------------------- e-mail, IP

_EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})"
)
# Endings that are file extensions in practice (``icon@2x.png``), not top-level domains.
FILE_EXTENSIONS = frozenset(
    {"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "css", "js", "json", "html",
     "htm", "txt", "log", "csv", "xml", "yaml", "yml", "pdf", "lock", "map"}
)  # fmt: skip


def is_email(value: str) -> bool:
    """RFC 5321-ish: a dot-atom local part, a dotted host name, an alphabetic top-level
    domain that is not a file extension, at most 254 characters."""
    v = value.strip()
    m = _EMAIL_RE.fullmatch(v)
    if m is None or len(v) > 254:
        return False
    local = v.split("@", 1)[0]
    if local[0] == "." or local[-1] == "." or ".." in local:
        return False
    return m.group(1).lower() not in FILE_EXTENSIONS


def parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_RE = re.compile(r"\.".join([_OCTET] * 4))
# Special-purpose IPv4 blocks (RFC 6890 registry, multicast, reserved): not a person's address.
_IPV4_SPECIAL_NETS = tuple(
    map(
        ipaddress.IPv4Network,
        ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
         "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
         "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"),
    )
)  # fmt: skip
# The blocks by first octet, as (network, mask) integers: most first octets have none.
_IPV4_SPECIAL: Mapping[int, tuple[tuple[int, int], ...]] = MappingProxyType(
    {
        first: tuple(
            (int(n.network_address), int(n.netmask))
            for n in _IPV4_SPECIAL_NETS
            if int(n.network_address) >> 24 <= first <= int(n.broadcast_address) >> 24
        )
        for first in range(256)
        if any(int(n.network_address) >> 24 <= first <= int(n.broadcast_address) >> 24
               for n in _IPV4_SPECIAL_NETS)
    }
)  # fmt: skip


_IPV6_SPECIAL_FIRST = frozenset({0x2001, 0x2002, 0x3FFF})


def public_ip(value: str) -> str | None:
    """The canonical text of a globally routable address, or ``None``: IPv4 outside the
    special-purpose, multicast and reserved blocks; IPv6 global unicast (2000::/3) that
    ``ipaddress`` deems global. Private, loopback, link-local, documentation and reserved
    addresses identify hosts, not people, and are not reported."""
    s = value.strip()
    m = _IPV4_RE.fullmatch(s)
    if m is not None:
        a, b, c, d = map(int, m.groups())
        special = _IPV4_SPECIAL.get(a)
        if special:
            n = a << 24 | b << 16 | c << 8 | d
            return None if any(n & mask == net for net, mask in special) else s
        return s
    if ":" not in s or s[0] not in "23":  # 2000::/3 starts with a 2 or a 3
        return None
    try:
        ip = ipaddress.IPv6Address(s)
    except ValueError:
        return None
    n = int(ip)
    if n >> 125 != 1:
        return None
    # ``is_global`` is slow (it tests every special-purpose block); within 2000::/3 those
    # blocks all start 2001:, 2002: or 3fff: (Python 3.11-3.13), so only these ask it.
    if n >> 112 in _IPV6_SPECIAL_FIRST and not ip.is_global:
        return None
    return str(ip)


def is_public_ip(value: str) -> bool:
    return public_ip(value) is not None


# --------------------------------------------------------------------------- postal, address

_POSTAL_RE = re.compile(r"〒?[ \u3000]?([0-9]{3})-?([0-9]{4})")


def jp_postal_digits(value: str) -> str | None:
    """The seven digits of a Japanese postal code (``〒100-0005``, ``100-0005``,
    ``1000005``), or ``None``; ``000`` is not a valid first part."""
    m = _POSTAL_RE.fullmatch(value.strip())
    if m is None or m.group(1) == "000":
        return None
    return m.group(1) + m.group(2)


def is_jp_postal_code(value: str) -> bool:
    return jp_postal_digits(value) is not None


PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
)  # fmt: skip
_JP_CHAR = "\u3005\u3041-\u30ff\u3400-\u9fff"
_ADDRESS_RE = re.compile("(" + "|".join(PREFECTURES) + f")[{_JP_CHAR}]{{0,8}}?[市区町村郡]")
_MUNICIPALITY_RE = re.compile(f"[{_JP_CHAR}]{{1,8}}?[市区町村郡]")


def find_prefecture(text: str) -> str | None:
    """The first prefecture name (with its 都/道/府/県 suffix) in ``text``."""
    m = _ADDRESS_RE.search(text)
    if m is not None:
        return m.group(1)
    for p in PREFECTURES:
        if p in text:
            return p
    return None


def is_jp_address(value: str, *, require_prefecture: bool = True) -> bool:
    """A prefecture followed (within eight characters) by a municipality marker
    (市区町村郡), e.g. ``東京都千代田区丸の内1-9-1``; without ``require_prefecture`` a bare
    municipality (``千代田区丸の内``) is enough - for columns named as addresses."""
    if _ADDRESS_RE.search(value) is not None:
        return True
    return not require_prefecture and _MUNICIPALITY_RE.match(value.strip()) is not None


# --------------------------------------------------------------------------- secrets

_AWS_KEY_ID_RE = re.compile(r"(?:AKIA|ASIA)[A-Z0-9]{16}")
_AWS_SECRET_RE = re.compile(r"[A-Za-z0-9/+]{40}")
_HEX_RE = re.compile(r"[0-9A-Fa-f]+")
PRIVATE_KEY_HEADER_RE = re.compile(
    r"-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----"
)
_TOKEN_RES = (
    re.compile(r"gh[pousr]_[A-Za-z0-9]{36}"),
    re.compile(r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}"),
    re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,72}"),
)


def is_aws_access_key_id(value: str) -> bool:
    return _AWS_KEY_ID_RE.fullmatch(value.strip()) is not None and not _same_char(value[4:])


def is_aws_secret_key(value: str) -> bool:
    """The *shape* of a secret access key: 40 base64 characters with upper case, lower case
    and digits, and not a hexadecimal string (SHA-1 hashes are 40 hex characters). The shape
    alone is weak: callers require a keyword or a nearby access key id."""
    v = value.strip()
    return (
        _AWS_SECRET_RE.fullmatch(v) is not None
        and _HEX_RE.fullmatch(v) is None
        and any(c.isupper() for c in v)
        and any(c.islower() for c in v)
        and any(c.isdigit() for c in v)
    )


def is_private_key_header(value: str) -> bool:
    return PRIVATE_KEY_HEADER_RE.fullmatch(value.strip()) is not None


def is_api_token(value: str) -> bool:
    """GitHub (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_``, ``github_pat_``) and Slack
    (``xoxb-``, ``xoxp-``, ...) tokens, by their documented prefixes and lengths."""
    v = value.strip()
    return any(r.fullmatch(v) is not None for r in _TOKEN_RES)


# --------------------------------------------------------------------------- coordinates

_NUMBER_IN_TEXT = re.compile(r"(?<![0-9.])[+-]?[0-9]{1,3}\.[0-9]+(?![0-9.])")
_LON_FIRST = re.compile(r"(?:lng|lon(?:gitude)?|経度)(?![a-z])")
_KEYED_NUMBER = r"[\"']?\s{0,3}[:=]\s{0,3}[\"']?([+-]?[0-9]{1,3}\.[0-9]+)"
_LAT_VALUE = re.compile(r"(?i)(?<![a-z])(?:lat|latitude|緯度)" + _KEYED_NUMBER)
_LON_VALUE = re.compile(r"(?i)(?<![a-z])(?:lon|lng|long|longitude|経度)" + _KEYED_NUMBER)


def is_latitude(x: float) -> bool:
    return -90.0 <= x <= 90.0


def is_longitude(x: float) -> bool:
    return -180.0 <= x <= 180.0


def parse_coordinate_pair(text: str, *, min_decimals: int = 3) -> tuple[float, float] | None:
    """``(lat, lon)`` from text holding two decimal numbers (a third, an altitude, is
    ignored), such as ``35.6812, 139.7671``, ``[139.7671, 35.6812]`` (GeoJSON order,
    detected by range) or ``"lng":139.7671,"lat":35.6812`` (order given by the keys); both
    numbers need ``min_decimals`` decimals, and (0, 0) is rejected."""
    found = coordinate_pair_places(text)
    if found is None or found[2] < min_decimals:
        return None
    return found[0], found[1]


def coordinate_pair_places(text: str) -> tuple[float, float, int] | None:
    """:func:`parse_coordinate_pair` without a precision floor: ``(lat, lon, d)`` where ``d``
    is the smaller number of decimals of the two. Keyed values (``lat=…``) are read by key,
    whatever else the text holds."""
    lat_m, lon_m = _LAT_VALUE.search(text), _LON_VALUE.search(text)
    if lat_m is not None and lon_m is not None:
        nums = [lat_m.group(1), lon_m.group(1)]
        text = ""  # the order is known
    else:
        nums = _NUMBER_IN_TEXT.findall(text)
        nums = nums[:2] if len(nums) == 3 else nums  # the third is an altitude
    if len(nums) != 2:
        return None
    places = min(len(n) - n.index(".") - 1 for n in nums)
    a, b = float(nums[0]), float(nums[1])
    if _LON_FIRST.match(text.lstrip(" \t\"'{[").lower()):
        a, b = b, a
    if not (is_latitude(a) and is_longitude(b)):
        if not (is_latitude(b) and is_longitude(a)):
            return None
        a, b = b, a
    if a == 0.0 and b == 0.0:
        return None
    return a, b, places
