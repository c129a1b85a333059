"""Validators: check digits, issuer ranges, layouts - scalar and vectorized forms agree."""

from __future__ import annotations

import ipaddress
import subprocess
import sys

import pyarrow as pa
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from stdnum.jp import in_ as stdnum_my_number

from andon.classify import masks, standards
from andon.classify import validators as v

DIGITS = "0123456789"
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


# --------------------------------------------------------------------------- strategies
# (shared with test_redact and test_text)


@st.composite
def vins(draw: st.DrawFn) -> str:
    """Structurally plausible VINs with a correct check digit."""
    wmi = draw(st.sampled_from(["JTD", "JHM", "1HG", "WVW", "KMH", "5YJ", "SAL", "JN1"]))
    vds = draw(st.text(VIN_CHARS, min_size=5, max_size=5))
    year = draw(st.sampled_from(sorted(v.VIN_YEAR_CODES)))
    plant = draw(st.text(VIN_CHARS, min_size=3, max_size=3))
    serial = draw(st.text(DIGITS, min_size=4, max_size=4))
    body = wmi + vds + "0" + year + plant + serial
    assume(len(set(body)) > 1)
    check = v.vin_check_digit(body)
    assert check is not None
    return body[:8] + check + body[9:]


def _luhn_complete(prefix: str, length: int, draw: st.DrawFn) -> str:
    body = prefix + draw(st.text(DIGITS, min_size=length - len(prefix) - 1,
                                 max_size=length - len(prefix) - 1))  # fmt: skip
    return body + v.luhn_check_digit(body)


@st.composite
def imeis(draw: st.DrawFn) -> str:
    rbi = draw(st.sampled_from(sorted(v.IMEI_RBI)))
    value = _luhn_complete(rbi, 15, draw)
    assume(len(set(value[2:])) > 1)
    return value


@st.composite
def iccids(draw: st.DrawFn) -> str:
    return _luhn_complete("8981", draw(st.sampled_from([19, 20])), draw)


CARD_PREFIXES = [("4", 16), ("4", 13), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16),
                 ("34", 15), ("37", 15), ("3528", 16), ("3589", 19), ("36", 14), ("6011", 16),
                 ("65", 16), ("62", 17)]  # fmt: skip


@st.composite
def cards(draw: st.DrawFn) -> str:
    prefix, length = draw(st.sampled_from(CARD_PREFIXES))
    value = _luhn_complete(prefix, length, draw)
    assume(len(set(value[1:])) > 1)
    return value


@st.composite
def my_numbers(draw: st.DrawFn) -> str:
    body = draw(st.text(DIGITS, min_size=11, max_size=11))
    value = body + str(-sum(w * int(c) for w, c in zip((6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2), body,
                                                     strict=True)) % 11 % 10)  # fmt: skip
    assume(len(set(value)) > 1)
    return value


@st.composite
def licences(draw: st.DrawFn) -> str:
    code = draw(st.sampled_from(sorted(v.JP_LICENSE_COMMISSIONS)))
    first10 = code + draw(st.text(DIGITS, min_size=8, max_size=8))
    return first10 + v.jp_license_check_digit(first10) + draw(st.sampled_from(DIGITS))


@st.composite
def jp_mobiles(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["070", "080", "090"]))
    a, b = draw(st.text(DIGITS, min_size=4, max_size=4)), draw(st.text(DIGITS, min_size=4,
                                                                           max_size=4))  # fmt: skip
    return f"{prefix}-{a}-{b}"


# --------------------------------------------------------------------------- VIN


def test_vin_check_digit_of_known_vins() -> None:
    assert v.vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert v.is_valid_vin("1M8GDM9AXKP042788")
    assert v.is_valid_vin("1m8gdm9axkp042788")  # case does not matter
    assert not v.is_valid_vin("1M8GDM9A1KP042788")  # wrong check digit
    assert v.vin_check_digit("1M8GDM9AXKP04278I") is None  # I is not a VIN character


@pytest.mark.parametrize(
    "vin",
    [
        "1M8GDM9AXKP04278",  # 16 characters
        "1M8GDM9AXKP0427880",  # 18
        "1M8GDM9AXOP042788",  # O
        "11111111111111111",  # one repeated character, no letters
        "12345678901234567",  # a long number
        "0M8GDM9AXKP042788",  # WMI starting with 0
        "1M8GDM9AXUP042788",  # model year U
        "1M8GDM9AXKP04278A",  # last four not numeric
    ],
)
def test_vin_structure_rejects(vin: str) -> None:
    assert not v.is_vin_structure(vin)
    assert not v.is_valid_vin(vin)


def test_european_vin_without_check_digit_is_structure_only() -> None:
    vin = "WVWZZZ1JZXW000001"  # VW fills position 9 with Z
    assert v.is_vin_structure(vin)
    assert not v.is_valid_vin(vin)
    assert v.is_valid_vin(vin, require_check_digit=False)


@given(vins(), st.integers(0, 16), st.sampled_from(VIN_CHARS))
def test_vin_single_substitution_breaks_the_check(vin: str, pos: int, char: str) -> None:
    assert v.is_valid_vin(vin)
    assume(pos != 8 and v.VIN_WEIGHTS[pos] != 0)
    assume(v.VIN_VALUES[char] != v.VIN_VALUES[vin[pos]])  # transliteration: A and J are both 1
    changed = vin[:pos] + char + vin[pos + 1 :]
    assume(v.is_vin_structure(changed))
    assert not v.is_valid_vin(changed)


@settings(max_examples=50)
@given(st.lists(st.one_of(vins(), st.text(VIN_CHARS + "IOQ ", max_size=18), st.none()),
                max_size=30))  # fmt: skip
def test_vin_mask_agrees_with_scalar(values: list[str | None]) -> None:
    values = [x.lower() if x and len(x) % 3 == 0 else x for x in values]
    expected = [x is not None and v.is_valid_vin(x.strip()) for x in values]
    assert v.vin_mask(values).to_pylist() == expected
    structure = [x is not None and v.is_vin_structure(x.strip()) for x in values]
    assert v.vin_mask(values, require_check_digit=False).to_pylist() == structure


# --------------------------------------------------------------------------- chassis


@pytest.mark.parametrize(
    "value", ["ZVW30-1234567", "NHP10-2345678", "GK3-1234567", "MH55S-123456", "LA650S-0123456",
              "E12-123456", "zvw30-1234567"],
)  # fmt: skip
def test_japanese_chassis_numbers(value: str) -> None:
    assert v.is_jp_chassis_number(value)


def test_chassis_letter_only_model_codes_are_loose_only() -> None:
    assert not v.is_jp_chassis_number("VAG-012345")
    assert v.is_jp_chassis_number("VAG-012345", strict=False)
    assert v.is_jp_chassis_number("GRB-01234567", strict=False)


@pytest.mark.parametrize(
    "value", ["2024-05-01", "ZVW30-20240501", "ZVW30-0000000", "CVE-2024-12345", "ZVW30-12345",
              "ABCDEFGH1-123456", "30ZVW-1234567", "ZVW30_1234567"],
)  # fmt: skip
def test_not_chassis_numbers(value: str) -> None:
    assert not v.is_jp_chassis_number(value, strict=False)


# --------------------------------------------------------------------------- Luhn family


def test_luhn_known_values() -> None:
    assert v.luhn_ok("79927398713")
    assert not v.luhn_ok("79927398710")
    assert not v.luhn_ok("7")
    assert not v.luhn_ok("1２3")  # full-width digits are not ASCII digits


@given(st.text(DIGITS, min_size=1, max_size=20), st.data())
def test_luhn_detects_every_single_digit_error(body: str, data: st.DataObject) -> None:
    number = body + v.luhn_check_digit(body)
    assert v.luhn_ok(number)
    pos = data.draw(st.integers(0, len(number) - 1))
    digit = data.draw(st.sampled_from(DIGITS).filter(lambda d: d != number[pos]))
    assert not v.luhn_ok(number[:pos] + digit + number[pos + 1 :])


def test_imei_rules() -> None:
    assert v.is_imei("490154203237518")
    assert v.is_imei("49-015420-323751-8")
    assert not v.is_imei("490154203237519")  # Luhn
    assert not v.is_imei("001234567890126")  # test IMEI range
    assert not v.is_imei("4901542032375180")  # 16 digits
    assert v.is_imeisv("4901542032375101")
    assert not v.is_imeisv("4901542032375199")  # SVN 99 is reserved


def test_iccid_rules() -> None:
    body = "898110123456789012"
    iccid = body + v.luhn_check_digit(body)
    assert v.is_iccid(iccid)
    assert not v.is_iccid("79" + iccid[2:])
    assert not v.is_iccid(iccid[:-1])


@pytest.mark.parametrize(
    ("number", "brand"),
    [("4012888888881881", "visa"), ("4012888888816", "visa"), ("5555555555554444", "mastercard"),
     ("2223003122003222", "mastercard"), ("378282246310005", "amex"),
     ("3530111333300000", "jcb"), ("30569309025904", "diners"), ("6011111111111117", "discover"),
     ("6200000000000005", "unionpay")],
)  # fmt: skip
def test_card_brands(number: str, brand: str) -> None:
    assert v.card_brand(number) == brand
    assert v.is_payment_card(number)


@pytest.mark.parametrize(
    "number",
    ["401288888888188", "5555555555554443", "555555555555444", "1234567812345670",
     "4111111111111111", "9999999999999995"],
)  # fmt: skip
def test_not_cards(number: str) -> None:
    assert not v.is_payment_card(number)


@given(imeis())
def test_imei_is_never_a_card(imei: str) -> None:
    """15-digit cards are Amex (34/37), which is no Reporting Body Identifier."""
    assert v.is_imei(imei)
    assert not v.is_payment_card(imei)


def test_thirteen_digit_diners_prefixes_are_not_cards_in_either_form() -> None:
    """Diners Club 36 numbers have 14-19 digits: a Luhn-valid 13-digit 36... number is not a
    card, for the scalar check and the column mask alike."""
    body = "36" + "1234567890"
    number = body + v.luhn_check_digit(body)
    assert len(number) == 13 and v.luhn_ok(number)
    assert v.card_brand(number) is None
    assert not v.is_payment_card(number)
    fourteen = "36" + "12345678901"
    fourteen += v.luhn_check_digit(fourteen)
    assert v.card_brand(fourteen) == "diners"
    assert v.card_mask([number, fourteen]).to_pylist() == [False, True]


@settings(max_examples=200)
@given(st.sampled_from(["36", "30", "3095", "38", "39", "4", "51", "34", "3528", "6011", "62"]),
       st.integers(13, 19), st.data())  # fmt: skip
def test_card_mask_agrees_with_scalar_on_every_length(
    prefix: str, length: int, data: st.DataObject
) -> None:
    number = _luhn_complete(prefix, length, data.draw)
    assert v.card_mask([number]).to_pylist() == [v.is_payment_card(number)]


def test_sixteen_digit_35_numbers_are_jcb_cards_and_imeisv_shaped() -> None:
    number = "3530111333300000"
    assert v.is_payment_card(number) and v.is_imeisv(number)  # context decides in text


# --------------------------------------------------------------------------- Japanese ids


def test_my_number() -> None:
    assert v.is_my_number("621498320257")
    assert v.is_my_number("6214 9832 0257")
    assert not v.is_my_number("621498320258")
    assert not v.is_my_number("000000000000")
    assert not v.is_my_number("62149832025")


def test_drivers_licence() -> None:
    assert v.jp_license_check_digit("3090123456") == "2"  # worked example (jiko0.com)
    assert v.is_jp_drivers_license("309012345620")
    assert not v.is_jp_drivers_license("309012345610")  # check digit
    assert v.is_jp_drivers_license("309012345610", check_digit=False)
    assert not v.is_jp_drivers_license("159012345620", check_digit=False)  # no commission 15
    assert not v.is_jp_drivers_license("30901234562")


@given(st.text(DIGITS, min_size=12, max_size=12))
def test_my_number_check_digit_is_stdnums(number: str) -> None:
    expected = bool(stdnum_my_number.is_valid(number)) and len(set(number)) > 1
    assert v.is_my_number(number) is expected
    assert v.my_number_mask([number]).to_pylist() == [expected]


@given(licences())
def test_generated_licences_validate(value: str) -> None:
    assert v.is_jp_drivers_license(value)


# --------------------------------------------------------------------------- phones, e-mail


@pytest.mark.parametrize(
    ("text", "national"),
    [("090-1234-5678", "09012345678"), ("09012345678", "09012345678"),
     ("03-1234-5678", "0312345678"), ("03(1234)5678", "0312345678"),
     ("0120-123-456", "0120123456"), ("+81 90-1234-5678", "09012345678"),
     ("+81 (0)3-1234-5678", "0312345678"), ("050-1234-5678", "05012345678")],
)  # fmt: skip
def test_japanese_numbers(text: str, national: str) -> None:
    assert v.jp_national_number(text) == national
    assert v.normalize_phone(text) == "+81" + national[1:]


@pytest.mark.parametrize(
    "text", ["0012345678", "12345678901", "090-1234-567", "0312345678901", "2024-05-01",
             "03-1234-56", "+81 12"],
)  # fmt: skip
def test_not_japanese_numbers(text: str) -> None:
    assert v.jp_national_number(text) is None


@pytest.mark.parametrize("text", ["090.1234.5678", "03.1234.5678", "+1.415.555.2671",
                                  "+81.90.1234.5678"])  # fmt: skip
def test_dotted_numbers_are_not_phones(text: str) -> None:
    """Neither the text patterns nor the column regex accept dots inside a phone number, so
    the scalar check does not either."""
    assert v.normalize_phone(text) is None
    assert v.jp_national_number(text) is None
    assert not v.is_e164(text)


def test_e164() -> None:
    assert v.is_e164("+1 415 555 2671")
    assert v.normalize_phone("+14155552671") == "+14155552671"
    assert not v.is_e164("+0123456789")
    assert not v.is_e164("+1234567")  # 7 digits
    assert not v.is_e164("+81 1234")  # +81 must be a Japanese number
    assert not v.is_e164("14155552671")


@pytest.mark.parametrize(
    "address", ["taro.yamada@example.co.jp", "a+tag@mail.example.com", "x_1@sub.domain.io"]
)
def test_emails(address: str) -> None:
    assert v.is_email(address)


@pytest.mark.parametrize(
    "text", ["icon@2x.png", "user@localhost", "a..b@example.com", ".a@example.com",
             "a@example.c0m", "@example.com", "a@-example.com", "x" * 65 + "@example.com"],
)  # fmt: skip
def test_not_emails(text: str) -> None:
    assert not v.is_email(text)


# --------------------------------------------------------------------------- IP, postal, address


@pytest.mark.parametrize(
    ("text", "public"),
    [("8.8.8.8", "8.8.8.8"), ("10.1.2.3", None), ("192.168.0.1", None), ("127.0.0.1", None),
     ("100.64.0.1", None), ("203.0.113.5", None), ("224.0.0.1", None), ("01.2.3.4", None),
     ("256.1.1.1", None), ("2400:4051:abcd::1", "2400:4051:abcd::1"), ("2001:db8::1", None),
     ("fe80::1", None), ("::1", None), ("1.2.3", None)],
)  # fmt: skip
def test_public_ip(text: str, public: str | None) -> None:
    assert v.public_ip(text) == public
    assert v.is_public_ip(text) is (public is not None)


def _public_ipv4_reference(text: str) -> str | None:
    try:
        ip = ipaddress.IPv4Address(text)
    except ValueError:
        return None
    special = any(ip in net for net in v._IPV4_SPECIAL_NETS)
    return None if special or text != str(ip) else text


@settings(max_examples=300)
@given(st.tuples(*[st.one_of(st.integers(0, 255), st.sampled_from([0, 10, 100, 127, 169, 172,
                                                                    192, 198, 203, 224, 255]))
                   for _ in range(4)]))  # fmt: skip
def test_public_ipv4_agrees_with_ipaddress(octets: tuple[int, int, int, int]) -> None:
    text = ".".join(map(str, octets))
    assert v.public_ip(text) == _public_ipv4_reference(text)


def test_postal_codes() -> None:
    assert v.jp_postal_digits("〒100-0005") == "1000005"
    assert v.jp_postal_digits("100-0005") == "1000005"
    assert v.jp_postal_digits("1000005") == "1000005"
    for bad in ("000-0000", "2024-05-01", "100-00051", "10-0005"):
        assert v.jp_postal_digits(bad) is None


def test_addresses() -> None:
    assert v.is_jp_address("東京都千代田区丸の内1-9-1")
    assert v.is_jp_address("住所: 北海道札幌市中央区北1条西2丁目")
    assert v.is_jp_address("大阪府大阪市北区梅田")
    assert not v.is_jp_address("東京都")  # a prefecture alone
    assert not v.is_jp_address("千代田区丸の内")
    assert v.is_jp_address("千代田区丸の内", require_prefecture=False)
    assert v.find_prefecture("送付先 京都府京都市") == "京都府"
    assert v.find_prefecture("東京都港区") == "東京都"  # not 京都府


# --------------------------------------------------------------------------- secrets


def test_aws_keys() -> None:
    assert v.is_aws_access_key_id("AKIAQWERTYUIOPASDFGH")
    assert v.is_aws_access_key_id("ASIAQWERTYUIOPASDFGH")
    assert not v.is_aws_access_key_id("AKIAqwertyuiopasdfgh")
    assert not v.is_aws_access_key_id("AGPAQWERTYUIOPASDFGH")
    assert v.is_aws_secret_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzKEYqAB")
    assert not v.is_aws_secret_key("da39a3ee5e6b4b0d3255bfef95601890afd80709")  # SHA-1
    assert not v.is_aws_secret_key("DA39A3EE5E6B4B0D3255BFEF95601890AFD80709")
    assert not v.is_aws_secret_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzKEYq")  # 38 characters


def test_private_key_headers_and_tokens() -> None:
    for kind in ("", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", "DSA "):
        assert v.is_private_key_header(f"-----BEGIN {kind}PRIVATE KEY-----")
    assert v.is_private_key_header("-----BEGIN PGP PRIVATE KEY BLOCK-----")
    assert not v.is_private_key_header("-----BEGIN PUBLIC KEY-----")
    assert not v.is_private_key_header("-----BEGIN CERTIFICATE-----")
    assert v.is_api_token("ghp_" + "a1B2" * 9)
    assert v.is_api_token("xoxb-1234567890-abcdefghij")
    assert not v.is_api_token("ghp_" + "a1B2" * 8)


# --------------------------------------------------------------------------- coordinates


def test_coordinate_pairs() -> None:
    assert v.parse_coordinate_pair("35.6812, 139.7671") == (35.6812, 139.7671)
    assert v.parse_coordinate_pair("[139.7671, 35.6812]") == (35.6812, 139.7671)  # GeoJSON
    assert v.parse_coordinate_pair('"lng":139.7671,"lat":35.6812') == (35.6812, 139.7671)
    assert v.parse_coordinate_pair("lat=-33.8688 lon=151.2093") == (-33.8688, 151.2093)
    assert v.parse_coordinate_pair("35.68, 139.76") is None  # 2 decimals
    assert v.parse_coordinate_pair("95.1234, 200.1234") is None
    assert v.parse_coordinate_pair("0.000, 0.000") is None
    assert v.parse_coordinate_pair("35.6812, 139.7671, 40.25") == (35.6812, 139.7671)  # altitude
    assert v.parse_coordinate_pair("1.2345, 2.3456, 3.4567, 4.5678") is None
    assert v.coordinate_pair_places("35.681236,139.7671") == (35.681236, 139.7671, 4)


def test_coordinate_masks() -> None:
    values = ["35.6812", "+35.6812", "95.1", "abc", None, " -33.86 ", "1e3"]
    assert v.latitude_mask(values).to_pylist() == [True, True, False, False, False, True, False]
    assert v.latitude_mask(["35.6", "35.6812"], min_decimals=3).to_pylist() == [False, True]
    floats = pa.array([139.7, 200.0, None, -180.0])
    assert v.longitude_mask(floats).to_pylist() == [True, False, False, True]


# --------------------------------------------------------------------------- masks vs scalars


@settings(max_examples=60)
@given(st.lists(st.one_of(cards(), imeis(), iccids(), my_numbers(), st.none(),
                          st.text(DIGITS + " -", max_size=22)), max_size=25))  # fmt: skip
def test_digit_masks_agree_with_scalars(values: list[str | None]) -> None:
    def scalar(fn: object) -> list[bool]:
        assert callable(fn)
        return [x is not None and bool(fn(x)) for x in values]

    assert v.card_mask(values).to_pylist() == scalar(v.is_payment_card)
    assert v.imei_mask(values).to_pylist() == scalar(v.is_imei)
    assert v.iccid_mask(values).to_pylist() == scalar(v.is_iccid)
    assert v.my_number_mask(values).to_pylist() == scalar(v.is_my_number)
    luhn = [x is not None and v.luhn_ok(v.digits_only(x)) for x in values]
    assert v.luhn_mask(values).to_pylist() == luhn


def test_masks_take_arrow_arrays_of_any_type() -> None:
    ints = pa.array([490154203237518, 490154203237519, None], type=pa.int64())
    assert v.imei_mask(ints).to_pylist() == [True, False, False]
    assert v.imei_mask([490154203237518, "490154203237518", 1.5]).to_pylist() == [
        True, True, False]  # fmt: skip
    chunked = pa.chunked_array([["1M8GDM9AXKP042788"], ["1M8GDM9AXKP042787", None]])
    assert v.vin_mask(chunked).to_pylist() == [True, False, False]
    sliced = pa.array(["x", "621498320257", "621498320258"]).slice(1)
    assert v.my_number_mask(sliced).to_pylist() == [True, False]


def test_masks_and_tables_are_re_exported() -> None:
    assert v.card_mask is masks.card_mask and v.vin_mask is masks.vin_mask
    assert v.as_string_array is masks.as_string_array
    assert v.IMEI_RBI is standards.IMEI_RBI and v.VIN_VALUES is standards.VIN_VALUES


@pytest.mark.parametrize("first", ["masks", "standards", "catalog", "patterns"])
def test_each_module_imports_first(first: str) -> None:
    """No import cycle: any of the split modules can be the first one a process imports."""
    code = f"import andon.classify.{first}; import andon.classify.text"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


@settings(max_examples=300)
@given(
    st.sampled_from([0x2001, 0x2002, 0x3FFF, 0x2400, 0x2A00, 0x2600, 0x3000]),
    st.integers(min_value=0, max_value=(1 << 112) - 1),
    st.integers(min_value=0, max_value=111),
)
@example(0x2001, 0x0DB8 << 96 | 1, 0)  # documentation
@example(0x2001, 0x0010 << 96 | 7, 0)  # ORCHID
@example(0x2001, 0x0002 << 96, 0)  # benchmarking
@example(0x2002, 0xC000_0201 << 80, 0)  # 6to4
@example(0x2400, 0x4051 << 96 | 0x1234, 0)
def test_public_ipv6_agrees_with_ipaddress(first: int, rest: int, zeros: int) -> None:
    """The fast path (only 2001:, 2002: and 3fff: ask ``is_global``) gives what
    ``ipaddress`` says, also for the special-purpose blocks (2001:db8::/32, 2001::/23, …)."""
    ip = ipaddress.IPv6Address(first << 112 | (rest >> zeros << zeros))
    expected = str(ip) if ip.is_global else None
    assert v.public_ip(str(ip)) == expected
