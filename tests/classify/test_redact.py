"""Redaction keeps a short, documented, non-identifying part and nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from andon.classify import redact as r
from andon.classify.model import DataType

from .test_validators import cards, iccids, imeis, jp_mobiles, licences, my_numbers, vins


def longest_common_run(a: str, b: str) -> int:
    """Length of the longest substring that ``a`` and ``b`` share."""
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


@pytest.mark.parametrize(
    ("dtype", "value", "redacted"),
    [
        (DataType.VIN, "JTDKB20U793123456", "JTD**************"),
        (DataType.JP_CHASSIS_NUMBER, "ZVW30-1234567", "ZVW30-*******"),
        (DataType.GEO_COORDINATES, "35.681236,139.767125", "35.6****, 139.7****"),
        (DataType.GEO_COORDINATES, "-33.8688, 151.2093", "-33.8****, 151.2****"),
        (DataType.IMEI, "490154203237518", "49015420*******"),
        (DataType.ICCID, "8981100000000000002", "898110*************"),
        (DataType.PHONE_NUMBER, "090-1234-5678", "090-****-****"),
        (DataType.PHONE_NUMBER, "09012345678", "090********"),
        (DataType.PHONE_NUMBER, "+81 90-1234-5678", "+81 **-****-****"),
        (DataType.PHONE_NUMBER, "03(1234)5678", "03(****)****"),
        (DataType.EMAIL, "taro.yamada@example.co.jp", "t***@example.co.jp"),
        (DataType.EMAIL, "abc@example.com", "***@example.com"),
        (DataType.PAYMENT_CARD, "4012 8888 8888 1881", "**** **** **** 1881"),
        (DataType.JP_MY_NUMBER, "6214 9832 0257", "**** **** ****"),
        (DataType.JP_DRIVERS_LICENSE, "309012345620", "30**********"),
        (DataType.JP_POSTAL_CODE, "〒100-0005", "〒100-****"),
        (DataType.ADDRESS, "東京都千代田区丸の内1-9-1", "東京都***"),
        (DataType.PERSON_NAME, "山田 太郎", "山***"),
        (DataType.IP_ADDRESS, "203.0.113.9", "203.*.*.*"),
        (DataType.IP_ADDRESS, "2400:4051::1", "2400:****"),
        (DataType.AWS_ACCESS_KEY, "AKIAQWERTYUIOPASDFGH", "AKIA****************"),
        (DataType.AWS_SECRET_KEY, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzKEYqAB", "*" * 40),
        (DataType.PRIVATE_KEY, "-----BEGIN RSA PRIVATE KEY-----",
         "-----BEGIN RSA PRIVATE KEY----- [redacted]"),
    ],
)  # fmt: skip
def test_redacted_forms(dtype: DataType, value: str, redacted: str) -> None:
    assert r.redact(dtype, value) == redacted


def test_every_data_type_has_a_redactor() -> None:
    assert set(r.REDACTORS) == set(DataType)


def test_types_without_a_redactor_keep_a_token_prefix_only() -> None:
    assert r.redact_token("ghp_" + "a1B2" * 9) == "ghp_****"
    assert r.redact_token("xoxb-1234567890-abcdefghij") == "xoxb-****"
    assert r.redact_token("something else") == "****"


def test_mask_digits() -> None:
    assert r.mask_digits("35-209900-176148-1", keep_first=8) == "35-209900-******-*"
    assert r.mask_digits("a1b2c3", keep_last=1) == "a*b*c3"
    assert r.mask_digits("12", keep_last=4) == "**"  # never more than half when too short
    assert r.mask_digits("no digits") == "no digits"


# For each type: valid values, and how many original characters may survive in one run.
KEPT: list[tuple[DataType, st.SearchStrategy[str], Callable[[str], int]]] = [
    (DataType.VIN, vins(), lambda s: 3),
    (DataType.IMEI, imeis(), lambda s: 8),
    (DataType.ICCID, iccids(), lambda s: 6),
    (DataType.PAYMENT_CARD, cards(), lambda s: 4),
    (DataType.JP_MY_NUMBER, my_numbers(), lambda s: 0),
    (DataType.JP_DRIVERS_LICENSE, licences(), lambda s: 2),
    (DataType.PHONE_NUMBER, jp_mobiles(), lambda s: 4),  # "090-"
]


@pytest.mark.parametrize(("dtype", "values", "kept"), KEPT, ids=[k[0].value for k in KEPT])
def test_redaction_keeps_only_the_documented_part(
    dtype: DataType, values: st.SearchStrategy[str], kept: Callable[[str], int]
) -> None:
    @given(values)
    def check(value: str) -> None:
        out = r.redact(dtype, value)
        assert value not in out
        assert longest_common_run(out, value) <= kept(value)
        assert len(out) == len(value)  # the shape stays

    check()


@given(
    st.text("abcdefghijklmnopqrstuvwxyz0123456789._", min_size=4, max_size=20),
    st.sampled_from(["example.com", "mail.example.co.jp"]),
)
def test_email_redaction_keeps_one_character_and_the_domain(local: str, domain: str) -> None:
    out = r.redact_email(f"{local}@{domain}")
    assert out == f"{local[0]}***@{domain}"


@given(
    st.floats(-90, 90, allow_nan=False).map(lambda x: f"{x:.6f}"),
    st.floats(-180, 180, allow_nan=False).map(lambda x: f"{x:.6f}"),
)
def test_coordinates_keep_one_decimal(lat: str, lon: str) -> None:
    out = r.redact_geo(f"{lat},{lon}")
    first, second = out.split(", ")
    assert first == lat[: lat.index(".") + 2] + "****"
    assert second == lon[: lon.index(".") + 2] + "****"


DIGIT_TYPES = (DataType.PHONE_NUMBER, DataType.PAYMENT_CARD, DataType.JP_MY_NUMBER,
               DataType.IMEI, DataType.ICCID, DataType.JP_DRIVERS_LICENSE,
               DataType.JP_POSTAL_CODE)  # fmt: skip


@given(st.text(max_size=60) | st.text("0123456789 -+()", max_size=30))
def test_redactors_accept_any_text_and_mask_digits(text: str) -> None:
    for dtype in DataType:
        out = r.redact(dtype, text)
        assert isinstance(out, str)
        if dtype in DIGIT_TYPES:
            assert sum(c.isdigit() for c in out) <= 8  # at most the IMEI's TAC survives
