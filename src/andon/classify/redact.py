"""Redaction: what of a found value may appear in a report.

A redacted sample keeps the *shape* of a value and at most a short prefix that identifies a
manufacturer, a network, a region or a format - never a person, a vehicle or a device:

================  ===============================  ==========================================
type              example                          kept
================  ===============================  ==========================================
VIN               ``JTD**************``            WMI (3 characters: the manufacturer)
JP chassis        ``ZVW30-*******``                model code (the car model), serial masked
coordinates       ``35.6****, 139.7****``          one decimal (about 11 km)
IMEI              ``35209900*******``              TAC (8 digits: the device model)
ICCID             ``898110*************``          prefix 89, country, issuer (6 digits)
phone             ``090-****-****``                first group (area or carrier code) or the
                                                   first 3 digits when not grouped
e-mail            ``t***@example.com``             first character of the local part (only
                                                   when it has 4+ characters) and the domain:
                                                   the domain names a company or a provider
payment card      ``**** **** **** 1881``          last 4 digits only (PCI DSS would allow
                                                   first 6 + last 4; we keep less)
My Number         ``************``                 nothing
driver's licence  ``30**********``                 commission code (the prefecture)
postal code       ``〒100-****``                   first 3 digits (a wide area)
address           ``東京都***``                    the prefecture
person name       ``山***``                        first character (2+ character names)
IP address        ``203.*.*.*`` / ``2400:****``    first octet / first group
AWS key id        ``AKIA****************``         the 4-letter type prefix
AWS secret key    ``****…`` (40)                   nothing
private key       ``-----BEGIN RSA PRIVATE KEY-----  the PEM header line
                  [redacted]``
API token         ``ghp_****``                     the type prefix
================  ===============================  ==========================================

Separators (``-``, spaces, parentheses) are kept, so the layout stays recognizable. Every
redactor accepts any string (it is also applied to raw column cells) and never raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

from andon.classify import validators as v
from andon.classify.model import DataType

Redactor = Callable[[str], str]


_STARS = str.maketrans({c: "*" for c in "0123456789０１２３４５６７８９"})


def mask_digits(value: str, *, keep_first: int = 0, keep_last: int = 0) -> str:
    """``value`` with every digit replaced by ``*`` except the first ``keep_first`` and the
    last ``keep_last`` digits; other characters are kept."""
    where = [i for i, c in enumerate(value) if c.isdigit()]
    if keep_first + keep_last >= len(where):
        return value if not where else _keep_only(value, where, keep_first, keep_last)
    lo = where[keep_first - 1] + 1 if keep_first else 0
    hi = where[-keep_last] if keep_last else len(value)
    return value[:lo] + value[lo:hi].translate(_STARS) + value[hi:]


def _keep_only(value: str, where: list[int], keep_first: int, keep_last: int) -> str:
    # Fewer digits than the kept part: mask all but the first ``keep_first`` (at most half).
    keep = min(keep_first, len(where) // 2)
    lo = where[keep - 1] + 1 if keep else 0
    return value[:lo] + value[lo:].translate(_STARS)


def mask_all(value: str) -> str:
    return "*" * len(value.strip())


def redact_vin(value: str) -> str:
    s = value.strip().upper()
    return s[:3] + "*" * (len(s) - 3) if len(s) > 3 else mask_all(s)


def redact_chassis(value: str) -> str:
    model, sep, serial = value.strip().upper().rpartition("-")
    if not sep or not model or len(model) > 7:
        return mask_all(value)
    return f"{model}-{'*' * len(serial)}"


_NUMBER = re.compile(r"([+-]?[0-9]{1,3})[0-9]*(?:\.([0-9]))?[0-9]*")


def redact_coordinate(value: str) -> str:
    """One coordinate (``35.68123`` -> ``35.6****``)."""
    m = _NUMBER.search(value)
    if m is None:
        return "****"
    whole, first = m.group(1), m.group(2)
    return f"{whole}.{first}****" if first else f"{whole}.****"


def redact_geo(value: str) -> str:
    """A coordinate pair in any notation -> ``35.6****, 139.7****``."""
    found = _NUMBER.findall(value)
    if not found:
        return "****"
    parts = [f"{w}.{d}****" if d else f"{w}.****" for w, d in found[:2]]
    return ", ".join(parts)


_GROUP_SEP = re.compile(r"[ \-(]")


def redact_phone(value: str) -> str:
    s = value.strip()
    m = _GROUP_SEP.search(s, 1)
    digits_before = sum(c.isdigit() for c in s[: m.start()]) if m else 0
    if m is not None and 1 <= digits_before <= 5:
        cut = m.start()
    else:
        cut, seen = len(s), 0
        for i, c in enumerate(s):
            seen += c.isdigit()
            if seen == 3:
                cut = i + 1
                break
    return s[:cut] + mask_digits(s[cut:])


def redact_email(value: str) -> str:
    local, at, domain = value.strip().rpartition("@")
    if not at or not local:
        return "***"
    keep = local[0] if len(local) >= 4 else ""
    return f"{keep}***@{domain}"


def redact_card(value: str) -> str:
    return mask_digits(value.strip(), keep_last=4)


def redact_imei(value: str) -> str:
    return mask_digits(value.strip(), keep_first=8)


def redact_iccid(value: str) -> str:
    return mask_digits(value.strip(), keep_first=6)


def redact_my_number(value: str) -> str:
    return mask_digits(value.strip())


def redact_license(value: str) -> str:
    return mask_digits(value.strip(), keep_first=2)


def redact_postal(value: str) -> str:
    return mask_digits(value.strip(), keep_first=3)


def redact_address(value: str) -> str:
    pref = v.find_prefecture(value)
    if pref is not None:
        return pref + "***"
    return redact_name(value)


def redact_name(value: str) -> str:
    s = value.strip()
    return s[0] + "***" if len(s) >= 2 else "***"


def redact_ip(value: str) -> str:
    s = value.strip()
    head, dot, _ = s.partition(".")
    if dot and head.isdigit():
        return head + ".*.*.*"
    head, colon, _ = s.partition(":")
    return (head or "") + ":****" if colon else "***"


def redact_aws_key_id(value: str) -> str:
    s = value.strip()
    return s[:4] + "*" * (len(s) - 4) if len(s) > 4 else mask_all(s)


def redact_secret(value: str) -> str:
    return mask_all(value)


def redact_private_key(value: str) -> str:
    m = v.PRIVATE_KEY_HEADER_RE.search(value)
    header = m.group(0) if m else "-----BEGIN PRIVATE KEY-----"
    return header + " [redacted]"


_TOKEN_PREFIX = re.compile(r"(?:github_pat_|gh[a-z]_|xox[a-z]-)")


def redact_token(value: str) -> str:
    m = _TOKEN_PREFIX.match(value.strip())
    return (m.group(0) if m else "") + "****"


REDACTORS: Mapping[DataType, Redactor] = MappingProxyType(
    {
        DataType.VIN: redact_vin,
        DataType.JP_CHASSIS_NUMBER: redact_chassis,
        DataType.GEO_COORDINATES: redact_geo,
        DataType.IMEI: redact_imei,
        DataType.ICCID: redact_iccid,
        DataType.PHONE_NUMBER: redact_phone,
        DataType.EMAIL: redact_email,
        DataType.PAYMENT_CARD: redact_card,
        DataType.JP_MY_NUMBER: redact_my_number,
        DataType.JP_DRIVERS_LICENSE: redact_license,
        DataType.JP_POSTAL_CODE: redact_postal,
        DataType.ADDRESS: redact_address,
        DataType.PERSON_NAME: redact_name,
        DataType.IP_ADDRESS: redact_ip,
        DataType.AWS_ACCESS_KEY: redact_aws_key_id,
        DataType.AWS_SECRET_KEY: redact_secret,
        DataType.PRIVATE_KEY: redact_private_key,
        DataType.API_TOKEN: redact_token,
    }
)


def redact(dtype: DataType, value: str) -> str:
    """The redacted form of ``value`` as a ``dtype``; types without a redactor of their own
    (such as API tokens) keep a recognizable prefix only."""
    fn = REDACTORS.get(dtype)
    if fn is not None:
        return fn(value)
    return redact_token(value)
