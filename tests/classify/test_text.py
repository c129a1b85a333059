"""The text fast path on realistic log lines: what is found, where, how it is redacted - and
the near misses (timestamps, ids, hashes, versions, dates, plain decimals) that are not."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from andon.classify.corpus import CorpusGenerator, log_chunks
from andon.classify.detectors import DetectorSet, default_detectors, token_detector
from andon.classify.model import DataType, Location, TextBlock
from andon.classify.results import ObjectResult
from andon.classify.text import CollectingSink, TextHit, TextScanner, _resolve, context_around

from .test_validators import cards, imeis, my_numbers, vins

D = DataType


@pytest.fixture(scope="module")
def scanner() -> TextScanner:
    return TextScanner(DetectorSet())


def scan(scanner: TextScanner, text: str, first_line: int = 1) -> list[TextHit]:
    sink = CollectingSink()
    scanner.scan(TextBlock("logs/app.log", text.encode(), first_line), sink)
    return sink.hits


def found(scanner: TextScanner, text: str) -> list[tuple[DataType, str]]:
    return [(h.dtype, h.value) for h in scan(scanner, text)]


POSITIVES: list[tuple[str, DataType, str]] = [
    ("2024-05-01T12:30:45Z INFO telemetry vin=1M8GDM9AXKP042788 speed=42", D.VIN,
     "1M8GDM9AXKP042788"),
    ("車両 JTDKB20U793123456 のデータを送信", D.VIN, "JTDKB20U793123456"),
    ("[INFO] 車台番号: ZVW30-1234567 点検完了", D.JP_CHASSIS_NUMBER, "ZVW30-1234567"),
    ("frame=NHP10-2345678 owner changed", D.JP_CHASSIS_NUMBER, "NHP10-2345678"),
    ('{"ts":1714566645,"lat":35.681236,"lon":139.767125,"spd":0}', D.GEO_COORDINATES,
     "35.681236,139.767125"),
    ("position 35.6812361, 139.7671248 accuracy=5m", D.GEO_COORDINATES, "35.681236,139.767125"),
    ("緯度=35.6812 経度=139.7671", D.GEO_COORDINATES, "35.681200,139.767100"),
    ("GPS fix [-33.868820, 151.209296]", D.GEO_COORDINATES, "-33.868820,151.209296"),
    ("trace 35.681236,139.767125,40.5 t=3", D.GEO_COORDINATES, "35.681236,139.767125"),
    ("1714566645,JTDKB20U793123456,35.681236,139.767125,40.5,12.3", D.GEO_COORDINATES,
     "35.681236,139.767125"),
    ('{"latitude": "35.681236", "altitude": 40.25, "longitude": "139.767125"}',
     D.GEO_COORDINATES, "35.681236,139.767125"),
    ("modem imei:490154203237518 attached", D.IMEI, "490154203237518"),
    ("端末ID 49-015420-323751-8 を登録", D.IMEI, "490154203237518"),
    ("imeisv=4901542032375101 sw=01", D.IMEI, "4901542032375101"),
    ("sim iccid 8981100000000000002 active", D.ICCID, "8981100000000000002"),
    ("お問い合わせ: 090-1234-5678 (山田)", D.PHONE_NUMBER, "+819012345678"),
    ("callback +81 3-1234-5678 requested", D.PHONE_NUMBER, "+81312345678"),
    ("sms to 09012345678 queued", D.PHONE_NUMBER, "+819012345678"),
    ("contact +1 415 555 2671", D.PHONE_NUMBER, "+14155552671"),
    ("TEL 0312345678", D.PHONE_NUMBER, "+81312345678"),
    ("mail sent to Taro.Yamada@example.co.jp ok", D.EMAIL, "taro.yamada@example.co.jp"),
    ("payment card=4012 8888 8888 1881 declined", D.PAYMENT_CARD, "4012888888881881"),
    ("charge 378282246310005 ok", D.PAYMENT_CARD, "378282246310005"),
    ("マイナンバー：6214 9832 0257", D.JP_MY_NUMBER, "621498320257"),
    ("individual_number=621498320257", D.JP_MY_NUMBER, "621498320257"),
    ("免許証番号 309012345620 確認済", D.JP_DRIVERS_LICENSE, "309012345620"),
    ("送付先 〒100-0005 東京都千代田区丸の内1-9-1", D.JP_POSTAL_CODE, "100-0005"),
    ("郵便番号: 1000005", D.JP_POSTAL_CODE, "100-0005"),
    ("送付先 東京都千代田区丸の内1-9-1 宛", D.ADDRESS, "東京都千代田区丸の内1-9-1"),
    ('{"氏名":"山田 太郎","age":42}', D.PERSON_NAME, "山田 太郎"),
    ("first_name=Taro last_login=2024-05-01", D.PERSON_NAME, "Taro"),
    ('customerName: "Hanako Suzuki"', D.PERSON_NAME, "Hanako Suzuki"),
    ("GET /index.html from 8.8.4.4 status=200", D.IP_ADDRESS, "8.8.4.4"),
    ("client_ip=2400:4051:abcd:1234:5678:9abc:def0:1234", D.IP_ADDRESS,
     "2400:4051:abcd:1234:5678:9abc:def0:1234"),
    ("aws_access_key_id = AKIAQWERTYUIOPASDFGH", D.AWS_ACCESS_KEY, "AKIAQWERTYUIOPASDFGH"),
    ('"SecretAccessKey": "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"', D.AWS_SECRET_KEY,
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzKEYqAB"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", D.PRIVATE_KEY, "-----BEGIN OPENSSH PRIVATE KEY-----"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "dtype", "value"), POSITIVES, ids=[p[1].value for p in POSITIVES])
def test_finds_each_type_in_a_log_line(
    scanner: TextScanner, line: str, dtype: DataType, value: str
) -> None:
    hits = [h for h in scan(scanner, line, first_line=7) if h.dtype == dtype]
    assert [h.value for h in hits] == [value]
    hit = hits[0]
    assert hit.location == Location(object="logs/app.log", line=7)
    assert 0.5 <= hit.confidence <= 1.0
    assert value not in hit.redacted or dtype == D.PRIVATE_KEY
    assert value not in repr(hit) or dtype == D.PRIVATE_KEY


NEAR_MISSES = [
    "2024-05-01T12:30:45.123Z ts=20240101123045 epoch_ms=1700000000000 epoch=1714566645",
    "order_id=123456789012 invoice=INV-2024-000123 serial=SN0012345678",
    "request 550e8400-e29b-41d4-a716-446655440000 done in 12.5ms",
    "Message-ID: <20240501123045.123456@mx.example.com>",
    "sha1=da39a3ee5e6b4b0d3255bfef95601890afd80709 md5=d41d8cd98f00b204e9800998ecf8427e",
    "secret=da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "aws_secret_access_key=da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "nginx version 1.25.3.1 running, agent v2.4.1.10, build 10.0.19045.3803",
    "released on 2024-05-01 (1.2.3), next on 2024-06-01",
    "cpu=12.3456, mem=45.6789 load 0.123, 0.456",
    "values 12.345678 23.456789 were averaged",
    "private range 10.0.0.1 and 192.168.1.10, docs 203.0.113.7 2001:db8::1",
    "image icon@2x.png and user@localhost",
    "count 4111111111111111 (test card)",
    "ZVW30-20240501 looks like a date serial",
    "trace id 0123456789 and 01234567890123",
    "time 12:34:56 mac 00:1a:2b:3c:4d:5e",
    "AKIAIOSFODNN7EXAMPLE is the documentation example",
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "[mail] delivered msgid=<20240501123045.1a2b3c4d@mail.example.net>",
    "In-Reply-To: <CAB1234.5678@mail.example.com>",
    "[metrics] p50,p99=35.681236,139.767125",
    "latency_ms: [12.345678, 67.891234]",
    "tel 090.1234.5678 (dotted)",
]


@pytest.mark.parametrize("line", NEAR_MISSES)
def test_near_misses_are_not_reported(scanner: TextScanner, line: str) -> None:
    assert found(scanner, line) == []


def test_twelve_digits_need_a_keyword(scanner: TextScanner) -> None:
    assert found(scanner, "id 621498320257") == []
    assert found(scanner, "マイナンバー 621498320257") == [(D.JP_MY_NUMBER, "621498320257")]
    assert found(scanner, "621498320257 (個人番号)") == [(D.JP_MY_NUMBER, "621498320257")]
    far = "個人番号" + "。" * 40 + "621498320257"  # more than 30 characters away
    assert found(scanner, far) == []
    assert found(scanner, "個人番号\n621498320257") == []  # another line


def test_imei_and_card_are_told_apart(scanner: TextScanner) -> None:
    jcb = "3530111333300000"  # Luhn-valid, 16 digits: a JCB card, or an IMEISV
    assert found(scanner, f"paid with {jcb}") == [(D.PAYMENT_CARD, jcb)]
    assert found(scanner, f"imeisv {jcb}") == [(D.IMEI, jcb)]
    assert found(scanner, "amex 378282246310005") == [(D.PAYMENT_CARD, "378282246310005")]
    assert found(scanner, "device 490154203237518") == [(D.IMEI, "490154203237518")]
    assert found(scanner, "ref 490154203237518") == []  # a bare 15-digit number
    # the printed layout too needs a keyword in free text (it has no literal to anchor on)
    assert found(scanner, "ref 49-015420-323751-8") == []
    assert found(scanner, "imei 49-015420-323751-8") == [(D.IMEI, "490154203237518")]
    assert found(scanner, "ref 4012888888881881") == []  # bare digits need a card word
    # so do card-grouped digits (as Macie's CREDIT_CARD_NUMBER)
    assert found(scanner, "ref 4012-8888-8888-1881") == []
    assert found(scanner, "card 4012-8888-8888-1881") == [(D.PAYMENT_CARD, "4012888888881881")]


def test_vin_with_a_failed_check_digit_needs_context(scanner: TextScanner) -> None:
    assert found(scanner, "ref 1M8GDM9A1KP042788") == []
    assert found(scanner, "vin 1M8GDM9A1KP042788") == [(D.VIN, "1M8GDM9A1KP042788")]
    assert found(scanner, "ref WVWZZZ1JZXW000001") == []  # free text: a VIN needs a keyword
    assert found(scanner, "ref 1M8GDM9AXKP042788") == []  # even with a valid check digit
    assert found(scanner, "VIN: WVWZZZ1JZXW000001") == [(D.VIN, "WVWZZZ1JZXW000001")]
    assert found(scanner, "1M8GDM9AXKP042788 (車台番号)") == [(D.VIN, "1M8GDM9AXKP042788")]


def test_secret_key_next_to_an_access_key(scanner: TextScanner) -> None:
    row = "User,AKIAQWERTYUIOPASDFGH,wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzKEYqAB"
    assert {t for t, _ in found(scanner, row)} == {D.AWS_ACCESS_KEY, D.AWS_SECRET_KEY}
    alone = "blob 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"
    assert found(scanner, alone) == []


def test_overlaps_keep_the_most_confident_type(scanner: TextScanner) -> None:
    assert found(scanner, "to 09012345678@docomo.ne.jp") == [
        (D.EMAIL, "09012345678@docomo.ne.jp")]  # fmt: skip
    hits = found(scanner, "〒100-0005 東京都千代田区丸の内1-9-1")
    assert [t for t, _ in hits] == [D.JP_POSTAL_CODE, D.ADDRESS]


def test_version_context_rejects_dotted_numbers_but_not_clients(scanner: TextScanner) -> None:
    line = "client 8.8.8.8 connected; version 1.2.3.4"
    assert found(scanner, line) == [(D.IP_ADDRESS, "8.8.8.8")]


def test_a_long_email_is_found_whole(scanner: TextScanner) -> None:
    address = "someone@" + ".".join(["sub"] * 12) + ".example.co.jp"
    assert found(scanner, f"to {address} ok") == [(D.EMAIL, address)]


def test_lines_are_counted_from_the_block_start(scanner: TextScanner) -> None:
    text = "\n".join(["plain line"] * 3 + ["vin=1M8GDM9AXKP042788"] + ["x"] * 5 + ["8.8.8.8", ""])
    hits = scan(scanner, text, first_line=100)
    assert [(h.dtype, h.location.line) for h in hits] == [(D.VIN, 103), (D.IP_ADDRESS, 109)]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["vin", "imei", "card", "mynumber"])),
             min_size=1, max_size=6),
    vins(), imeis(), cards(), my_numbers(),
)  # fmt: skip
def test_generated_logs(
    scanner: TextScanner,
    plan: list[tuple[int, str]],
    vin: str,
    imei: str,
    card: str,
    my_number: str,
) -> None:
    """Values written into filler lines are found on their line with their type."""
    value = {"vin": ("vin=", vin, D.VIN), "imei": ("imei ", imei, D.IMEI),
             "card": ("card ", card, D.PAYMENT_CARD),
             "mynumber": ("マイナンバー ", my_number, D.JP_MY_NUMBER)}  # fmt: skip
    lines: list[str] = []
    expected: list[tuple[DataType, str, int]] = []
    for gap, kind in plan:
        lines.extend(["2024-05-01T00:00:00Z INFO heartbeat ok seq=42"] * gap)
        key, val, dtype = value[kind]
        lines.append(f"2024-05-01T00:00:01Z INFO {key}{val} stored")
        expected.append((dtype, val, len(lines)))
    hits = scan(scanner, "\n".join(lines) + "\n")
    assert [(h.dtype, h.value, h.location.line) for h in hits] == expected
    for h in hits:
        assert h.value not in h.redacted


def test_empty_and_clean_blocks(scanner: TextScanner) -> None:
    assert scan(scanner, "") == []
    assert scan(scanner, "nothing sensitive here\n" * 100) == []


def test_threshold_can_be_raised(scanner: TextScanner) -> None:
    strict = TextScanner(scanner.detectors, threshold=0.85)  # shares the compiled database
    assert found(strict, "ring +1 415 555 2671") == []  # E.164 without a keyword: 0.5
    assert found(scanner, "ring +1 415 555 2671") == [(D.PHONE_NUMBER, "+14155552671")]
    assert found(strict, "tel 09012345678") == [(D.PHONE_NUMBER, "+819012345678")]


def test_invalid_utf8_does_not_break_the_scan(scanner: TextScanner) -> None:
    sink = CollectingSink()
    scanner.scan(TextBlock("bin.log", b"\xff\xfe vin=1M8GDM9AXKP042788 \xe3\x81\n"), sink)
    assert [(h.dtype, h.value) for h in sink] == [(D.VIN, "1M8GDM9AXKP042788")]


def test_api_tokens_once_the_model_has_a_type_for_them() -> None:
    """The shared model has no ``api_token`` type yet: the token detector is ready for it."""
    others = [d for d in default_detectors() if d.dtype != D.PRIVATE_KEY]
    scanner = TextScanner(DetectorSet([*others, token_detector(D.PRIVATE_KEY)]))
    token = "ghp_" + "a1B2c3D4e5" * 3 + "F6g7H8"
    hits = scan(scanner, f"GITHUB_TOKEN={token}\nslack xoxb-1234567890-abcdefghij ok")
    assert [(h.value, h.redacted, h.location.line) for h in hits] == [
        (token, "ghp_****", 1), ("xoxb-1234567890-abcdefghij", "xoxb-****", 2)]  # fmt: skip
    assert scan(scanner, "ghp_short and xoxb-") == []


def _whole_block_reference(scanner: TextScanner, data: bytes) -> list[tuple[DataType, str, int]]:
    """What the scanner must find, computed the slow way: every exact pattern over the whole
    block (no prefilter, no windows), then the same scoring, context and overlap rules."""
    cands = []
    for pid, det in enumerate(scanner.detectors.detectors):
        for alt in det.alts:
            group = "v" if "v" in alt.exact.groupindex else 0
            for m in alt.exact.finditer(data):
                start, end = m.span(group)
                if not alt.keyword_near(*context_around(data, start, end)):
                    continue
                raw = data[start:end].decode("utf-8", "replace")
                scored = det.score(raw)
                if scored is None:
                    continue
                value, confidence = scored
                if det.context_keywords or det.negative_keywords:
                    delta = det.context_delta(*context_around(data, start, end))
                    confidence = min(1.0, max(0.0, confidence + delta))
                if confidence >= scanner.threshold:
                    cands.append((start, end, pid, value, confidence, raw))
    cands.extend(scanner._secrets_near_keys(data, cands))
    dets = scanner.detectors.detectors
    return [(dets[c[2]].dtype, c[3], c[0]) for c in _resolve(cands)]


FRAGMENTS = [line for line, _, _ in POSITIVES] + NEAR_MISSES + [
    " ", ", ", "\n", "vin=", "マイナンバー ", "imei ", "lat=", "card ", "郵便番号 ", "@", "-",
    "35.681236", "139.767125", "621498320257", "490154203237518", "090-1234-5678",
    "AKIAQWERTYUIOPASDFGH", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzKEYqAB", "a@b.example.com",
    # layouts whose prefilter is only a factor of the exact pattern
    "49-015420-323751-8", "3782 822463 10005", "3782-822463-10005", "4012-8888-8888-1881",
    "6250 9410 0652 8599 123", "2400:4051:abcd:1234:5678:9abc:def0:1234", "2001:4860::8888",
    "ZVW30-12345678", "GK3-123456", "35.6812361, 139.7671248, 40.25", "-33.868820 151.209296",
    "1M8GDM9AXKP042788", "JTDKB20U793123456", "89811000000000000023", "+81 90-1234-5678",
    "p50,p99=", "msgid=<", "pos=", "AKIA", "0", "1", "8", "3", "2", ":", ".", "1234",
]  # fmt: skip


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30))
def test_windows_find_what_a_whole_block_search_finds(
    scanner: TextScanner, parts: list[str]
) -> None:
    data = "".join(parts).encode()
    sink = CollectingSink()
    scanner.scan(TextBlock("x", data), sink)
    got = [(h.dtype, h.value, h.location.line) for h in sink]
    expected = [(t, value, data.count(b"\n", 0, start) + 1)
                for t, value, start in _whole_block_reference(scanner, data)]  # fmt: skip
    assert got == expected


class _PerHit:
    """A sink with ``add`` only: the scanner falls back to one call per hit."""

    def __init__(self, result: ObjectResult) -> None:
        self.result = result

    def add(
        self,
        dtype: DataType,
        normalized_value: str,
        redacted: str,
        location: Location,
        confidence: float,
    ) -> None:
        self.result.add(dtype, normalized_value, redacted, location, confidence)


def test_batched_hits_give_the_same_result_as_one_call_per_hit(scanner: TextScanner) -> None:
    """An ObjectResult gets each block's hits per type (``add_counts``): counts, samples,
    locations, confidences and subject estimates must equal those of one ``add`` per hit."""
    key = bytes(range(32))
    data = b"".join(log_chunks(CorpusGenerator(3), 400_000, step=2_000, pii_share=0.2))
    blocks, line = [], 1
    for at in range(0, len(data), 50_000):  # blocks that end at line breaks, as readers cut
        cut = data.rfind(b"\n", 0, min(len(data), at + 50_000)) + 1
        start = data.rfind(b"\n", 0, at) + 1 if at else 0
        if cut > start:
            blocks.append(TextBlock("app.log", data[start:cut], line))
            line += data.count(b"\n", start, cut)
    batched, per_hit = ObjectResult.new("app.log", key), ObjectResult.new("app.log", key)
    for block in blocks:
        scanner.scan(block, batched)
        scanner.scan(block, _PerHit(per_hit))
    assert len(batched.tallies) >= 15  # nearly every type is in there
    for dtype, tally in per_hit.tallies.items():
        other = batched.tallies[dtype]
        assert (other.count, other.samples, other.locations) == (
            tally.count, tally.samples, tally.locations)  # fmt: skip
    assert set(batched.tallies) == set(per_hit.tallies)
    assert batched.confidence == per_hit.confidence
    for dtype in per_hit.subjects.types():
        assert batched.subjects.estimate(dtype) == per_hit.subjects.estimate(dtype)
