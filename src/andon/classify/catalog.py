"""The built-in detectors: scoring, the precision posture of each type, and their patterns.

:func:`default_detectors` lists one :class:`~andon.classify.patterns.Detector` per data type
(see :mod:`andon.classify.patterns` for what a detector holds). Confidence is
``base + boost (context) - penalty (negative context)``, capped to [0, 1]; a hit is reported
when it reaches ``REPORT_THRESHOLD`` (0.5). The ``posture`` of each detector says what that
means for it. In short, *in free text without context* these are reported: keyed
coordinates and comma-separated pairs with 5+ decimals (not inside longer lists of numbers,
nor the value of a metric key such as ``p50,p99=``), +81/E.164 and parenthesized Japanese
phone numbers, e-mails (not message ids), ``〒`` postal codes, prefecture+municipality
addresses, name key/value pairs, public IP addresses and secrets. Everything else needs a
keyword within 30 characters (as Macie's keyword rule): VINs and chassis numbers (vin,
chassis, frame, 車台番号, …), IMEIs in any layout, ICCIDs (iccid, sim), card numbers grouped
or bare (as Macie's ``CREDIT_CARD_NUMBER``), hyphenated and unformatted Japanese phone
numbers (phone, tel, call, sms, 電話, 連絡先, …), My Number, driver's licences, bare postal
codes and coordinates with 3-4 decimals or separated by spaces. Columns are unaffected: a
column's name or its values decide its type (:mod:`andon.classify.columnar`).

Why: a prefilter made only of character classes costs hyperscan a pass over every byte (on
application logs full of timestamps, UUIDs and hex ids each one took 10-30 % of the scan), so
the layouts without a literal to anchor on are found through their keywords instead
(``Part(near=…)``: the keyword is required, and checked again within 30 characters). The
prefilters left without a keyword are literal-anchored or cheap factors of the exact pattern:
the comma of a decimal pair, the dotted middle of an IPv4 address, ``[23]hhh:h:`` for IPv6,
``+`` and ``)`` for phones. ``tests/classify/test_text.py`` checks that the windows find what
the exact patterns find over a whole block.
"""

from __future__ import annotations

import re

from andon.classify import redact as r
from andon.classify import validators as v
from andon.classify.model import DataType
from andon.classify.patterns import NEAR, Detector, Part, Scored, any_of, u8
from andon.classify.patterns import make_detector as _make
from andon.classify.patterns import words as _w

# Boundaries of numbers: not glued to letters, digits, dots, hyphens or a plus sign on the
# left (UUID groups, decimals, "+81..."), nor to letters, digits, hyphens or ".5" on the right.
_NL = r"(?<![\w.\-+])"
_NR = r"(?![\w\-]|\.[0-9])"
_PL = r"(?<![\w.\-+/])"  # phones: also not inside a URL path
_IPL = r"(?<![\w.\-:])"
_IPR = r"(?![\w\-:]|\.[0-9])"
# A kanji/kana character as UTF-8 bytes: 々, kana U+3041-30FF, CJK U+3400-9FFF.
_JP = (
    r"(?:\xe3\x80\x85|\xe3[\x81-\x83][\x80-\xbf]|\xe3[\x90-\xbf][\x80-\xbf]"
    r"|[\xe4-\xe9][\x80-\xbf]{2})"
)


# --------------------------------------------------------------------------- scoring


def _score_vin(raw: str) -> Scored | None:
    vin = raw.upper()
    if not v.is_vin_structure(vin):
        return None
    if v.vin_check_digit(vin) == vin[8]:
        return vin, 0.85
    return vin, 0.5 if vin[3:6] == "ZZZ" else 0.3


def _score_chassis(raw: str) -> Scored | None:
    parts = v.jp_chassis_parts(raw)
    if parts is None:
        return None
    return f"{parts[0]}-{parts[1]}", 0.5 if v.is_jp_chassis_number(raw) else 0.3


_KEYED = re.compile(r"[A-Za-z\u3000-\u9fff]")


def _score_geo(raw: str) -> Scored | None:
    found = v.coordinate_pair_places(raw)
    if found is None or found[2] < 3:
        return None
    lat, lon, places = found
    if abs(lat) < 1 and abs(lon) < 1:
        return None
    value = f"{lat:.6f},{lon:.6f}"
    if _KEYED.search(raw):
        return value, 0.9
    base = 0.55 if places >= 5 else 0.3
    return value, base if "," in raw else min(base, 0.3)


def _score_imei(raw: str) -> Scored | None:
    d = v.digits_only(raw)
    if v.is_imei(d):
        return d, 0.6 if "-" in raw else 0.45  # AA-BBBBBB-CCCCCC-D is the printed layout
    return (d, 0.2) if v.is_imeisv(d) else None


def _score_iccid(raw: str) -> Scored | None:
    d = v.digits_only(raw)
    return (d, 0.5) if v.is_iccid(d) else None


def _score_phone(raw: str) -> Scored | None:
    norm = v.normalize_phone(raw)
    if norm is None:
        return None
    s = raw.strip()
    if s.startswith("+"):
        return norm, 0.7 if s.startswith("+81") else 0.5
    if s.isdigit():
        return norm, 0.5 if len(s) == 11 else 0.3
    return norm, 0.6


def _score_email(raw: str) -> Scored | None:
    return (raw.lower(), 0.9) if v.is_email(raw) else None


def _score_card(raw: str) -> Scored | None:
    d = v.digits_only(raw)
    if not v.is_payment_card(d):
        return None
    return d, 0.6 if len(d) != len(raw.strip()) else 0.45  # grouped like a card, or bare


def _score_my_number(raw: str) -> Scored | None:
    d = v.digits_only(raw)
    return (d, 0.3) if v.is_my_number(d) else None


def _score_license(raw: str) -> Scored | None:
    d = v.digits_only(raw)
    return (d, 0.3) if v.is_jp_drivers_license(d) else None


def _score_postal(raw: str) -> Scored | None:
    d = v.jp_postal_digits(raw)
    if d is None:
        return None
    s = raw.strip()
    return f"{d[:3]}-{d[3:]}", 0.9 if s.startswith("〒") else 0.3 if "-" in s else 0.2


def _score_address(raw: str) -> Scored | None:
    return (raw.strip(), 0.7) if v.is_jp_address(raw) else None


_NOT_NAMES = frozenset({"null", "none", "nil", "unknown", "test", "admin", "true", "false"})


def _score_name(raw: str) -> Scored | None:
    s = " ".join(raw.split())
    if len(s) < 2 or s.lower() in _NOT_NAMES:
        return None
    return s, 0.7


def _score_ip(raw: str) -> Scored | None:
    ip = v.public_ip(raw)
    return None if ip is None else (ip, 0.6)


def _score_aws_key_id(raw: str) -> Scored | None:
    # AWS documentation's example keys (AKIAIOSFODNN7EXAMPLE) fill many config templates.
    return (raw, 0.9) if v.is_aws_access_key_id(raw) and "EXAMPLE" not in raw else None


def _score_aws_secret(raw: str) -> Scored | None:
    return (raw, 0.9) if v.is_aws_secret_key(raw) and "EXAMPLE" not in raw else None


def _score_private_key(raw: str) -> Scored | None:
    return (raw, 1.0) if v.is_private_key_header(raw) else None


def _score_token(raw: str) -> Scored | None:
    return (raw, 0.9) if v.is_api_token(raw) else None


# --------------------------------------------------------------------------- vetoes

# An address-shaped token inside <…> as the value of a message-id header or key
# (msgid=<20240501123045.1a2b@mail.example.net>, References: <a@b> <c@d>) names a message.
_MESSAGE_ID_BEFORE = re.compile(
    rb"(?i)(?:message|msg)[_ .\-]?id[\"']?[ \t]{0,3}[:=][ \t]{0,3}[\"']?<[^<>\s]*\Z"
    rb"|(?:in[_ .\-]?reply[_ .\-]?to|references)[\"']?[ \t]{0,3}[:=][ \t]{0,3}"
    rb"(?:<[^<>\s]*>[ \t,]*)*<[^<>\s]*\Z"
)


def _in_message_id(before: bytes) -> bool:
    return _MESSAGE_ID_BEFORE.search(before) is not None


# The key a value is assigned to (``p50,p99=``, ``"latencyMs": [``) and the words in it.
_KEY_BEFORE = re.compile(
    rb"([A-Za-z][A-Za-z0-9_,/.\-]{0,40})[\"']?[ \t]{0,3}[:=][ \t]{0,3}[\"'\[(]?\Z"
)
_KEY_WORD = re.compile(rb"[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*(?![a-z])")
_PERCENTILE = re.compile(rb"[pq][0-9]{1,3}")
METRIC_KEY_WORDS = frozenset(
    b"latency duration dur elapsed took ms sec secs seconds avg mean median min max std "
    b"stddev pct percent percentile percentiles quantile quantiles ratio rate cpu mem memory "
    b"load".split()
)


def is_metric_value(before: bytes) -> bool:
    """Whether the text just before a value ends with a key naming a measurement -
    percentiles (``p50,p99=``), durations, statistics, rates - rather than a place."""
    m = _KEY_BEFORE.search(before)
    if m is None:
        return False
    for word in _KEY_WORD.findall(m.group(1)):
        w = word.lower()
        if w in METRIC_KEY_WORDS or _PERCENTILE.fullmatch(w):
            return True
    return False


# --------------------------------------------------------------------------- the detectors

_KV = r"[\"']?[ \t]{0,3}[:=][ \t]{0,3}[\"']?"  # the glue between a key and its value
_DEC = r"-?[0-9]{1,3}\.[0-9]{3,10}"
_LAT_KEY = r"(?:lat|latitude|" + u8("緯度") + ")"
_LON_KEY = r"(?:lon|lng|long|longitude|" + u8("経度") + ")"
_PAIR_SEP = r"[^\n]{0,48}?"  # between a value and the next key: punctuation, other fields
_NAME_KEYS = (
    "first_?name", "last_?name", "full_?name", "given_?name", "family_?name", "sur_?name",
    "customer_?name", "driver_?name", "owner_?name", "contact_?name",
)  # fmt: skip
_NAME_KEYS_JA = _w("氏名 姓名 お名前 名前 フリガナ ふりがな 契約者名 運転者名")
_LATIN_NAME = r"[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}|[A-Z]{2,}(?: [A-Z]{2,}){1,2}"
_JA_NAME = _JP + r"{1,10}(?:(?: |\xe3\x80\x80)" + _JP + r"{1,10})?"
# A whole name cell: up to four words split by a space or an ideographic space (U+3000,
# written as the character: neither Python's re nor every RE2 build reads \x{3000}).
_NAME_VALUE_RE2 = "^[^\\s\\d@:/]{1,24}(?:[ \u3000][^\\s\\d@:/]{1,24}){0,3}$"
_PERSON_WORDS = _w(
    "name first_name last_name full_name given_name family_name surname "
    "customer_name driver_name owner_name contact_name 氏名 姓名 名前 "
    "お名前 フリガナ ふりがな 契約者 運転者"
)
_NOT_PERSON = _w(
    "file host bucket model product device app service table column key "
    "domain company user brand vehicle car item event type class field "
    "path tag server cluster region zone node queue topic project role "
    "group policy database db schema index metric module package "
    "function method attribute label category shop store plan image "
    "会社 商品 製品 車種 店舗 企業 法人 ファイル"
)


_PRIVATE_KEY = r"-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----"
_SECRET_KV = (
    r"(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key|aws_?secret)"
    r"[\"']?[ \t]{0,3}(?:[:=]|=>)[ \t]{0,3}[\"']?(?P<v>[A-Za-z0-9/+]{40})"
)
_GEO_LAT_LON = rf"{_LAT_KEY}{_KV}{_DEC}{_PAIR_SEP}{_LON_KEY}{_KV}{_DEC}\b"
_GEO_LON_LAT = rf"{_LON_KEY}{_KV}{_DEC}{_PAIR_SEP}{_LAT_KEY}{_KV}{_DEC}\b"
_GEO_INLINE = rf"-?\b[0-9]{{1,3}}\.[0-9]{{3,10}}[ \t]{{0,3}},[ \t]{{0,3}}{_DEC}\b"
_GEO_SPACED = rf"-?\b[0-9]{{1,3}}\.[0-9]{{3,10}}[ \t]{{1,7}}{_DEC}\b"
# An inline pair may carry an altitude (lat, lon, alt), which is read and ignored.
_GEO_ALTITUDE = r"(?:[ \t]{0,3},[ \t]{0,3}-?[0-9]{1,5}(?:\.[0-9]{1,6})?\b)?"
# Cheap prefilters (factors of the exact patterns; see the module doc).
# From the last digit before the comma to the third decimal of the second number:
_GEO_INLINE_HS = r"[0-9][ \t]{0,3},[ \t]{0,3}-?[0-9]{1,3}\.[0-9]{3}"
_IPV4_HS = r"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]"
_IPV6_HS = r"[23][0-9A-Fa-f]{3}:[0-9A-Fa-f]{0,4}:"  # the first group and the next colon
# Free text reports these layouts only with one of these words within 30 characters (as
# Macie's keyword rule), so that no character-class prefilter runs over every byte for them:
_VEHICLE_WORDS = _w("vin chassis frame 車台番号 車体番号 フレーム 車両")
_CARD_WORDS = _w(
    "card credit visa mastercard amex jcb payment charge paid カード クレジット 決済 支払"
)
_IMEI_WORDS = _w("imei imeisv terminal device tcu dcm modem 端末 製造番号")
_PHONE_WORDS = _w(
    "phone tel telephone mobile cell call callback fax contact msisdn sms 電話 携帯 連絡先 "
    "問い合わせ"
)
_SIM_WORDS = _w("iccid sim")
_CHASSIS = r"\b[A-Z][A-Z0-9]{1,6}-[0-9]{6,8}\b"  # the model code is checked by the score
_EMAIL = (
    r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,16}\.[A-Za-z]{2,24}\b"
)
_NAME_KV = (
    rf"(?:\b(?i:{'|'.join(_NAME_KEYS)})|{any_of(_NAME_KEYS_JA)})"
    rf"(?:{_KV}|[ \t]{{0,3}}(?:\xef\xbc\x9a|\xe3\x80\x80)[ \t]{{0,3}})"
    rf"(?P<v>{_LATIN_NAME}|{_JA_NAME})"
)


def default_detectors() -> tuple[Detector, ...]:
    """The built-in detectors, in priority order (earlier wins a tie on the same span)."""
    D = DataType
    # fmt: off
    dets = [
        _make(D.PRIVATE_KEY, _PRIVATE_KEY, score=_score_private_key, redact=r.redact_private_key,
              value_regex="-----BEGIN [A-Z ]*PRIVATE KEY", max_len=64,
              name_keywords=_w("private_key ssh_key pem 秘密鍵"),
              posture="Always reported: the PEM header of a private key (RSA, EC, DSA, "
                      "OpenSSH, encrypted PKCS#8, PGP). The key body is never read."),
        _make(D.AWS_ACCESS_KEY, r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", score=_score_aws_key_id,
              redact=r.redact_aws_key_id, value_regex=r"^(?:AKIA|ASIA)[A-Z0-9]{16}$", max_len=24,
              name_keywords=_w("aws_access_key_id access_key_id access_key"),
              context_keywords=_w("aws access_key access_key_id credentials"),
              posture="Reported without context (0.9): AKIA/ASIA + 16 upper-case alphanumerics; "
                      "AWS documentation examples (…EXAMPLE…) are never reported."),
        _make(D.AWS_SECRET_KEY, ("", _SECRET_KV, r"(?![A-Za-z0-9/+=])"), caseless=True,
              score=_score_aws_secret, redact=r.redact_secret, max_len=100,
              value_regex=r"^[A-Za-z0-9/+]{40}$",
              name_keywords=_w("aws_secret_access_key secret_access_key aws_secret"),
              posture="Only after a secret-key keyword (aws_secret_access_key, SecretAccessKey, "
                      "…) or, in text, within 200 bytes of an access key id: 40 base64 "
                      "characters mixing cases and digits; hex strings (SHA-1) are rejected."),
        _make(D.VIN, Part("", r"\b[A-HJ-NPR-Z1-9][A-HJ-NPR-Z0-9]{12}[0-9]{4}\b", "", NEAR,
                          near=_VEHICLE_WORDS),
              score=_score_vin, redact=r.redact_vin,
              value_regex=r"(?i)^[A-HJ-NPR-Z0-9]{17}$", max_len=17,
              name_keywords=_w("vin vin_code vehicle_identification_number chassis_no "
                               "chassis_number 車台番号 車体番号 車両識別番号"),
              context_keywords=_w("vin vehicle chassis car 車台番号 車体番号 車両"),
              posture="Upper case, 17 characters of the VIN alphabet with a model-year code, "
                      "numeric last four and 2+ letters. Valid check digit: 0.85; European "
                      "'ZZZ' filler: 0.5; other check digits (mandatory only in North America): "
                      "0.3. Free text: only with vin, chassis, frame, 車台番号, 車体番号, "
                      "フレーム or 車両 within 30 characters (+0.4)."),
        _make(D.JP_CHASSIS_NUMBER,
              Part(r"(?<![\w.])", _CHASSIS, r"(?![\w\-])", NEAR, near=_VEHICLE_WORDS),
              score=_score_chassis, redact=r.redact_chassis, max_len=16,
              value_regex=r"(?i)^[A-Z]{1,4}[0-9]{0,3}[A-Z]{0,2}-[0-9]{6,8}$",
              name_keywords=_w("chassis chassis_number frame_number 車台番号 車体番号 "
                               "フレーム番号"),
              context_keywords=_w("chassis frame vin vehicle car 車台番号 車体番号 フレーム 車両"),
              posture="Model code of letters and digits + 6-7 digit serial (ZVW30-1234567): "
                      "0.5. Letter-only model codes (Subaru VAG-012345) and 8-digit serials: "
                      "0.3. Date-like serials are rejected. Free text: only with vin, chassis, "
                      "frame, 車台番号, 車体番号, フレーム or 車両 within 30 characters (+0.4)."),
        _make(D.GEO_COORDINATES,
              ("(?<![a-z])", _GEO_LAT_LON, r"(?!\.)"), ("(?<![a-z])", _GEO_LON_LAT, r"(?!\.)"),
              Part(r"(?<![\w.\-])", _GEO_INLINE + _GEO_ALTITUDE, r"(?![\w.])", _GEO_INLINE_HS,
                   max_len=40, tail=32),
              Part(r"(?<![\w.\-])", _GEO_SPACED + _GEO_ALTITUDE, r"(?![\w.])", NEAR,
                   max_len=40, tail=32),
              caseless=True, score=_score_geo, redact=r.redact_geo, redact_normalized=True,
              veto=is_metric_value,
              value_regex=r"^-?[0-9]{1,3}\.[0-9]{3,}[ \t]{0,3},[ \t]{0,3}-?[0-9]{1,3}\.[0-9]{3,}$",
              max_len=128,
              name_keywords=_w("lat latitude lon lng longitude 緯度 経度 gps coordinates coord "
                               "geo location position 位置"),
              context_keywords=_w("lat lon lng latitude longitude gps location position "
                                  "coordinates coord geo 緯度 経度 位置 座標"),
              posture="Key/value pairs (lat=…, lng=…; 緯度/経度) with 3+ decimals: 0.9. Inline "
                      "comma pairs in range with 5+ decimals (telemetry rows, GeoJSON): 0.55 - "
                      "so tables of such decimals in plain text are reported too; 3-4 decimals "
                      "or space-separated: 0.3, need context. Pairs near (0, 0) are rejected, "
                      "and so is a pair that is the value of a measurement key (p50,p99=…, "
                      "latency_ms=…, avg:…): metrics are not places. Pairs are not limited to "
                      "Japan's bounding box: fleets travel, and a box would not tell a metric "
                      "pair inside it from a position."),
        _make(D.IMEI, (_NL, r"\b[0-9]{15,16}\b", _NR, NEAR),
              Part(_NL, r"\b[0-9]{2}-[0-9]{6}-[0-9]{6}-[0-9]{1,2}\b", _NR, NEAR, near=_IMEI_WORDS),
              score=_score_imei, redact=r.redact_imei, max_len=20, context_boost=0.5,
              value_regex=r"^[0-9]{2}-?[0-9]{6}-?[0-9]{6}-?[0-9]{1,2}$",
              name_keywords=_w("imei imeisv terminal_id device_id 端末ID 端末識別番号 端末番号 "
                               "製造番号"),
              context_keywords=_IMEI_WORDS,
              posture="15 digits, Luhn, known Reporting Body Identifier: 0.45 bare, needs "
                      "context (imei, terminal, device, TCU, DCM, 端末); in the printed "
                      "AA-BBBBBB-CCCCCC-D layout: 0.6, and in free text it too needs such a "
                      "word. IMEISV (16 digits, no check digit): 0.2, needs context (a "
                      "Luhn-valid 16-digit 35… number without it is a JCB card)."),
        _make(D.ICCID, Part(_NL, r"\b89[0-9]{17,18}\b", _NR, NEAR, near=_SIM_WORDS),
              score=_score_iccid,
              redact=r.redact_iccid, value_regex=r"^89[0-9]{17,18}$", max_len=20,
              context_boost=0.3, name_keywords=_w("iccid icc_id sim_id sim_number sim SIM番号"),
              context_keywords=_SIM_WORDS,
              posture="19-20 digits starting 89 (telecom), Luhn: 0.5; free text: only with "
                      "iccid or sim within 30 characters (+0.3)."),
        _make(D.PHONE_NUMBER,
              Part(_PL, r"\b0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}\b", _NR, NEAR, near=_PHONE_WORDS),
              (_PL, r"\b0[0-9]{1,4}\([0-9]{1,4}\)[0-9]{3,4}\b", _NR, r"\)[0-9]{3,4}\b"),
              (_PL, r"\(0[0-9]{1,4}\) ?[0-9]{1,4}-[0-9]{4}\b", _NR, r"\) ?[0-9]{1,4}-[0-9]{4}\b"),
              (_PL, r"\b0[0-9]{1,4} [0-9]{1,4} [0-9]{4}\b", _NR, NEAR),
              Part(_PL, r"\b0[25789]0[0-9]{8}\b", _NR, NEAR, near=_PHONE_WORDS),
              (_PL, r"\b0[1-9][0-9]{8}\b", _NR, NEAR),
              (_PL, r"\+[1-9][0-9]{0,2}(?:[ \-]?\(0\)[ \-]?|[ \-])[0-9]{1,4}"
                    r"(?:[ \-][0-9]{1,4}){1,3}\b", _NR, r"\+[1-9][0-9]{0,2}[ \-(]"),
              (_PL, r"\+[1-9][0-9]{7,14}\b", _NR, r"\+[1-9][0-9]{7}"),
              score=_score_phone, redact=r.redact_phone, max_len=24, tail=24,
              value_regex=r"^(?:\+[1-9][0-9 \-()]{6,20}[0-9]|0[0-9 \-()]{8,13}[0-9])$",
              name_keywords=_w("phone tel telephone mobile cell_phone fax msisdn 電話 電話番号 "
                               "携帯 連絡先"),
              context_keywords=_PHONE_WORDS,
              posture="+81 numbers: 0.7; other E.164 (+, 8-15 digits): 0.5; formatted Japanese "
                      "numbers with a valid layout (090-1234-5678, 03-1234-5678): 0.6; 11-digit "
                      "mobile/IP numbers unformatted: 0.5; 10-digit unformatted: 0.3. In free "
                      "text, hyphenated and unformatted Japanese numbers need a phone word "
                      "(phone, tel, call, sms, contact, 電話, 携帯, 連絡先, …) within 30 "
                      "characters (+0.4); + and (0X) forms do not. Numbers starting with "
                      "neither 0 nor + are never phones here."),
        _make(D.EMAIL, Part(r"(?<![A-Za-z0-9._%+\-])", _EMAIL, r"(?![A-Za-z0-9\-]|\.[A-Za-z0-9])",
                            join=64,
                            anchor=b"@", anchor_back=65),
              score=_score_email, redact=r.redact_email, max_len=254, tail=16, context_boost=0.1,
              value_regex=r"^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]+\.[A-Za-z]{2,24}$",
              name_keywords=_w("email e_mail mail mail_address メール メールアドレス"),
              context_keywords=_w("email e-mail mail メール"),
              negative_keywords=_w("message_id msg_id in_reply_to references"),
              veto=_in_message_id,
              posture="Reported (0.9) when well-formed with an alphabetic top-level domain "
                      "that is not a file extension (icon@2x.png). An address inside <…> as "
                      "the value of a message-id key or header (msgid=<…@mail.example.net>, "
                      "Message-ID:, In-Reply-To:, References:) names a message, not a person: "
                      "never reported; those words elsewhere before it: -0.5."),
        _make(D.PAYMENT_CARD,
              (_NL, r"\b[2-6][0-9]{12,18}\b", _NR, NEAR),
              Part(_NL, r"\b[2-6][0-9]{3}[ \-][0-9]{4}[ \-][0-9]{4}[ \-][0-9]{1,7}"
                        r"(?:[ \-][0-9]{3})?\b", _NR, NEAR, tail=16, near=_CARD_WORDS),
              Part(_NL, r"\b3[0-9]{3}[ \-][0-9]{6}[ \-][0-9]{4,5}\b", _NR, NEAR,
                   near=_CARD_WORDS),
              score=_score_card, redact=r.redact_card, max_len=24,
              value_regex=r"^[0-9][0-9 \-]{11,21}[0-9]$",
              name_keywords=_w("card card_number credit_card cc_number pan カード カード番号 "
                               "クレジット"),
              context_keywords=_CARD_WORDS,
              negative_keywords=_w("imei imeisv iccid 端末"),
              posture="Luhn plus issuer range and length (Visa, Mastercard, Amex, JCB, Diners, "
                      "Discover, UnionPay). Grouped like a card (4012 8888 8888 1881): 0.6; bare "
                      "digits: 0.45. In free text both need a card keyword within 30 "
                      "characters (as Macie's CREDIT_CARD_NUMBER). IMEI and ICCID words before "
                      "it push it below the threshold."),
        _make(D.JP_MY_NUMBER, (_NL, r"\b[0-9]{4}[ \-]?[0-9]{4}[ \-]?[0-9]{4}\b", _NR, NEAR),
              score=_score_my_number, redact=r.redact_my_number, max_len=16, context_boost=0.55,
              value_regex=r"^[0-9]{4}[ \-]?[0-9]{4}[ \-]?[0-9]{4}$",
              name_keywords=_w("my_number mynumber individual_number マイナンバー 個人番号"),
              context_keywords=_w("my_number mynumber individual_number マイナンバー 個人番号"),
              posture="12 digits with a valid check digit: 0.3 alone (one random 12-digit "
                      "number in eleven passes), reported only with a My Number keyword (0.85)."),
        _make(D.JP_DRIVERS_LICENSE, (_NL, r"\b[0-9]{12}\b", _NR, NEAR), score=_score_license,
              redact=r.redact_license, max_len=14, value_regex=r"^[0-9]{12}$",
              context_boost=0.55,
              name_keywords=_w("license_number licence_number driver_license drivers_license "
                               "driving_licence 免許 免許証番号"),
              context_keywords=_w("license licence driver 免許 運転免許"),
              posture="12 digits, known commission code and 11th-digit check: 0.3 alone, "
                      "reported only with a licence keyword (0.85)."),
        _make(D.JP_POSTAL_CODE, (_NL, u8("〒") + r"[ \t]?[0-9]{3}-?[0-9]{4}\b", _NR),
              (_NL, r"\b[0-9]{3}-[0-9]{4}\b", _NR, NEAR), (_NL, r"\b[0-9]{7}\b", _NR, NEAR),
              score=_score_postal, redact=r.redact_postal, max_len=14,
              value_regex=r"^(?:〒[ ]?)?[0-9]{3}-?[0-9]{4}$",
              name_keywords=_w("postal postal_code postcode zip zip_code zipcode 郵便番号"),
              context_keywords=_w("postal postcode zip 郵便番号 郵便 〒 住所"),
              posture="With 〒: 0.9. NNN-NNNN: 0.3 and 7 bare digits: 0.2, both need context "
                      "(郵便番号, postal, zip). Dates (2024-05-01) never fit the layout."),
        _make(D.ADDRESS, ("", any_of(v.PREFECTURES) + rf"{_JP}{{0,8}}{any_of('市区町村郡')}",
                          rf"(?:{_JP}|[0-9\-]|\xef\xbc[\x8d\x90-\x99]){{0,24}}"),
              score=_score_address, redact=r.redact_address, max_len=48, tail=80,
              value_regex=r"^(?:北海道|東京都|京都府|大阪府|\S{2,3}県)", context_boost=0.3,
              name_keywords=_w("address addr 住所 所在地 居住地"),
              context_keywords=_w("address addr 住所 所在地"),
              posture="A prefecture with its suffix followed within 8 characters by a "
                      "municipality marker (市区町村郡): reported (0.7). Romanized addresses are "
                      "not detected."),
        _make(D.PERSON_NAME, Part("", _NAME_KV, r"(?![A-Za-z])", join=40), score=_score_name,
              redact=r.redact_name, max_len=96, tail=16, context_boost=0.0,
              value_regex=_NAME_VALUE_RE2,
              name_keywords=_PERSON_WORDS, name_excludes=_NOT_PERSON,
              posture="Text: only as the value of a name key (first_name=…, \"氏名\":\"…\"); "
                      "bare 'name' keys are too ambiguous (0.7). Columns: by the column name."),
        _make(D.IP_ADDRESS, (_IPL, r"\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b", _IPR, _IPV4_HS),
              Part(_IPL, r"\b[23][0-9A-Fa-f]{3}(?::[0-9A-Fa-f]{0,4}){2,7}\b", _IPR, _IPV6_HS,
                   tail=40, join=40),
              score=_score_ip, redact=r.redact_ip, max_len=40, tail=8, context_boost=0.3,
              value_regex=r"^(?:[0-9]{1,3}\.){3}[0-9]{1,3}$|^[0-9A-Fa-f:]{2,39}$",
              name_keywords=_w("ip ip_address ipaddr remote_addr client_ip source_ip src_ip "
                               "IPアドレス"),
              context_keywords=_w("ip ip_address remote_addr client src from 接続元"),
              negative_keywords=_w("version ver build release firmware oid バージョン"),
              posture="Globally routable IPv4 and IPv6 (2000::/3) only: reported (0.6). "
                      "Private, loopback and documentation ranges are never reported; "
                      "'version' nearby rejects dotted version numbers."),
    ]
    # fmt: on
    token = DataType._value2member_map_.get("api_token")
    if isinstance(token, DataType):  # once the shared model names the type
        dets.append(token_detector(token))
    return tuple(dets)


def token_detector(dtype: DataType) -> Detector:
    """GitHub and Slack tokens, reported as ``dtype``. :class:`DataType` has no member for
    API tokens yet; :func:`default_detectors` adds this detector as soon as it has
    ``api_token``."""
    return _make(
        dtype,
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}"
        r"|xox[abposr]-[A-Za-z0-9\-]{10,72})\b",
        score=_score_token,
        redact=r.redact_token,
        max_len=96,
        value_regex=r"^(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{82}|xox[abposr]-[\w\-]+)$",
        posture="GitHub and Slack tokens by documented prefix and length: reported (0.9).",
        name_keywords=_w("token api_token access_token"),
    )
