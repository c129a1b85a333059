"""Compression layers and archives: nesting, member names, every limit, bombs, corruption."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import json
import lzma
import tarfile
import zipfile
from typing import Any

import pytest
import zstandard

from andon.classify.archives import RATIO_FLOOR, inner_hint
from andon.classify.model import ClassifyLimits, ColumnBatch, TextBlock, Unit
from andon.classify.readers import ReadReport, read_object

LIMITS = ClassifyLimits()
CSV = "氏名,電話番号\n山田太郎,090-1234-5678\n".encode()


def read(
    name: str, data: bytes, limits: ClassifyLimits = LIMITS, *, stream: Any = None
) -> tuple[list[Unit], ReadReport]:
    report = ReadReport()
    units = list(read_object(name, stream or io.BytesIO(data), limits, report=report))
    return units, report


def objects(units: list[Unit]) -> list[str]:
    return [u.object for u in units]


def make_zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def make_tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as archive:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    data: bytes = buf.getvalue()
    return data


class Unseekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# -- compression layers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "compress", "fmt"),
    [
        ("c.csv.gz", gzip.compress, "gzip+csv"),
        ("c.csv.bz2", bz2.compress, "bzip2+csv"),
        ("c.csv.zst", lambda d: zstandard.ZstdCompressor().compress(d), "zstd+csv"),
        ("c.csv.xz", lzma.compress, "xz+csv"),
    ],
)
def test_each_compression_layer_is_read(name: str, compress: Any, fmt: str) -> None:
    units, report = read(name, compress(CSV))
    (batch,) = units
    assert isinstance(batch, ColumnBatch) and batch.object == name
    assert batch.columns["氏名"].to_pylist() == ["山田太郎"]
    assert report.format == fmt and report.bytes_read == len(CSV)


def test_multi_member_gzip_and_multi_frame_zstd_are_read_whole() -> None:
    units, _ = read("a.log.gz", gzip.compress(b"one\n") + gzip.compress(b"two\n"))
    assert b"".join(u.data for u in units if isinstance(u, TextBlock)) == b"one\ntwo\n"
    z = zstandard.ZstdCompressor()
    units, _ = read("a.log.zst", z.compress(b"one\n") + z.compress(b"two\n"))
    assert b"".join(u.data for u in units if isinstance(u, TextBlock)) == b"one\ntwo\n"


def test_compression_is_found_by_magic_not_by_name() -> None:
    units, report = read("export", gzip.compress(b"id,mail,tel\n1,a@example.com,03\n2,b@x.jp,06\n"))
    assert report.format == "gzip+csv" and isinstance(units[0], ColumnBatch)


def test_inner_hint_strips_the_compression_suffix() -> None:
    assert inner_hint("a/b.csv.gz") == "a/b.csv"
    assert inner_hint("x.tgz") == "x.tar"
    assert inner_hint("x.gz") == "x"
    assert inner_hint("dir.gz/file") == "dir.gz/file"


def test_truncated_gzip_keeps_what_was_read() -> None:
    text = b"".join(b"line %05d\n" % i for i in range(20_000))
    data = gzip.compress(text)
    units, report = read("t.log.gz", data[: len(data) // 2], ClassifyLimits(chunk_bytes=4096))
    got = b"".join(u.data for u in units if isinstance(u, TextBlock))
    assert len(got) > 1000 and text.startswith(got)
    assert len(report.errors) == 1 and "truncated or corrupt" in report.errors[0]
    assert report.inspected


def test_gzip_bomb_stops_early_on_the_ratio() -> None:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as out:
        zeros = b"0" * (1 << 20)
        for _ in range(200):  # 200 MB of zeros, about 200 KB compressed
            out.write(zeros)
    units, report = read("bomb.log.gz", buf.getvalue())
    assert 0 < sum(len(u.data) for u in units if isinstance(u, TextBlock)) < 3 * RATIO_FLOOR
    assert any(
        note.startswith("max_ratio 100 exceeded in bomb.log.gz") for note in report.limits_hit
    )
    assert report.bytes_read < 3 * RATIO_FLOOR  # stopped after a few MB, not 200 MB


# -- zip -------------------------------------------------------------------------------------


def test_zip_members_are_named_after_the_archive() -> None:
    data = make_zip({"dir/a.csv": CSV, "notes.txt": b"hello\n", "dir/": b""})
    units, report = read("export.zip", data)
    assert sorted(objects(units)) == ["export.zip!dir/a.csv", "export.zip!notes.txt"]
    assert report.format == "zip" and report.members == 2


def test_stored_zip_and_zip_from_a_forward_only_stream() -> None:
    data = make_zip({"a.csv": CSV}, zipfile.ZIP_STORED)
    units, report = read("s.zip", data, stream=Unseekable(data))
    assert objects(units) == ["s.zip!a.csv"] and report.errors == []


def test_office_documents_are_zips_of_text() -> None:
    sheet = b"<sst><si><t>taro@example.com</t></si></sst>"
    units, _ = read("book.xlsx", make_zip({"xl/sharedStrings.xml": sheet}))
    assert isinstance(units[0], TextBlock) and b"taro@example.com" in units[0].data


def test_nesting_zip_in_tar_gz_in_zip() -> None:
    deep = make_zip({"d.csv": CSV})
    middle = gzip.compress(make_tar({"inner/deep.zip": deep}))
    outer = make_zip({"mid.tar.gz": middle})
    units, report = read("outer.zip", outer)
    assert objects(units) == ["outer.zip!mid.tar.gz!inner/deep.zip!d.csv"]
    (batch,) = units
    assert isinstance(batch, ColumnBatch) and batch.columns["電話番号"].to_pylist() == [
        "090-1234-5678"
    ]
    assert report.limits_hit == [] and report.errors == []


def test_max_depth_is_enforced_and_recorded() -> None:
    data = gzip.compress(make_tar({"a.zip": make_zip({"b.csv": CSV})}))
    units, report = read("x.tar.gz", data, ClassifyLimits(max_depth=2))
    assert units == []
    assert report.limits_hit == ["max_depth 2 reached at x.tar.gz!a.zip (zip)"]
    assert report.skipped == ["x.tar.gz!a.zip: nested too deep"]
    assert report.not_inspected == "no readable content (1 nested too deep)"


def test_max_entries_is_enforced_per_archive() -> None:
    members = {f"m{i}.txt": b"x\n" for i in range(5)}
    units, report = read("many.zip", make_zip(members), ClassifyLimits(max_entries=2))
    assert len(units) == 2
    assert report.limits_hit == ["max_entries 2 reached in many.zip; 3 more members not read"]
    units, report = read("many.tar", make_tar(members), ClassifyLimits(max_entries=3))
    assert len(units) == 3
    assert report.limits_hit == ["max_entries 3 reached in many.tar; the rest was not read"]


def test_max_bytes_per_object_spans_all_members() -> None:
    members = {f"m{i}.log": b"y" * 999 + b"\n" for i in range(3)}
    limits = ClassifyLimits(max_bytes_per_object=1500)
    units, report = read("logs.zip", make_zip(members), limits)
    assert objects(units) == ["logs.zip!m0.log", "logs.zip!m1.log"]
    assert sum(len(u.data) for u in units if isinstance(u, TextBlock)) == 1500
    assert report.limits_hit == [
        "max_bytes_per_object 1500 reached in logs.zip!m1.log; the rest was not read"
    ]
    assert report.bytes_read == 1500


def zip_bomb(size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("zeros.csv", "w") as member:
            block = b"\0" * (1 << 20)
            for _ in range(size >> 20):
                member.write(block)
        z.writestr("after.txt", b"still read\n")
    return buf.getvalue()


def test_a_real_zip_bomb_is_refused_before_inflating() -> None:
    data = zip_bomb(100 << 20)
    assert len(data) < 200_000  # 100 MB of zeros
    units, report = read("bomb.zip", data)
    assert objects(units) == ["bomb.zip!after.txt"]
    assert len(report.limits_hit) == 1
    assert report.limits_hit[0].startswith("max_ratio 100 exceeded by bomb.zip!zeros.csv")
    assert report.bytes_read == len(b"still read\n")


def test_a_gzip_bomb_inside_a_zip_stops_on_the_layer_ratio() -> None:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as out:
        for _ in range(50):
            out.write(b"a" * (1 << 20))
    _, report = read("x.zip", make_zip({"b.log.gz": buf.getvalue()}, zipfile.ZIP_STORED))
    assert any("max_ratio 100 exceeded in x.zip!b.log.gz" in n for n in report.limits_hit)
    assert report.bytes_read < 3 * RATIO_FLOOR


def test_encrypted_zip_members_are_not_inspected() -> None:
    data = bytearray(make_zip({"secret.csv": CSV}))
    # Mark the member encrypted (bit 0 of the flags) in its local and central headers.
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    data[local + 6] |= 1
    data[central + 8] |= 1
    units, report = read("locked.zip", bytes(data))
    assert units == []
    assert report.skipped == ["locked.zip!secret.csv: encrypted"]
    assert report.not_inspected == "no readable content (1 encrypted)"


def test_binary_members_are_skipped_and_the_rest_read() -> None:
    data = make_zip({"photo.jpg": b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8, "a.csv": CSV})
    units, report = read("mix.zip", data)
    assert objects(units) == ["mix.zip!a.csv"]
    assert report.skipped == ["mix.zip!photo.jpg: JPEG image"]
    assert report.inspected


def test_a_bad_zip_is_an_error_not_an_exception() -> None:
    units, report = read("bad.zip", b"PK\x03\x04" + b"garbage" * 50)
    assert units == []
    assert report.errors and report.errors[0].startswith("zip bad.zip cannot be opened")


def test_a_corrupt_zip_member_keeps_the_other_members() -> None:
    text = b"".join(b"row %05d\n" % i for i in range(5000))
    data = bytearray(make_zip({"a.log": text, "b.csv": CSV}))
    start = data.find(b"a.log") + len(b"a.log")
    for i in range(start + 200, start + 260):  # damage the deflate stream of a.log
        data[i] ^= 0xFF
    units, report = read("dmg.zip", bytes(data))
    assert "dmg.zip!b.csv" in objects(units)
    assert any("dmg.zip!a.log" in e for e in report.errors)


def test_zip_too_large_to_spool_from_a_forward_only_stream() -> None:
    data = make_zip({"a.log": bytes(range(32, 127)) * 100}, zipfile.ZIP_STORED)
    limits = ClassifyLimits(max_bytes_per_object=1000)
    report = ReadReport()
    units = list(read_object("big.zip", Unseekable(data), limits, size=len(data), report=report))
    assert units == []
    assert report.limits_hit and "must be read whole" in report.limits_hit[0]


# -- tar -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "name"), [("w", "t.tar"), ("w:gz", "t.tgz"), ("w:bz2", "t.tar.bz2")]
)
def test_tar_and_compressed_tar_members(mode: str, name: str) -> None:
    data = make_tar({"dir/a.csv": CSV, "dir/b.json": json.dumps({"mail": "a@b.jp"}).encode()}, mode)
    units, report = read(name, data)
    assert objects(units) == [f"{name}!dir/a.csv", f"{name}!dir/b.json"]
    assert report.format.endswith("tar") and report.members == 2


def test_plain_tar_skips_members_without_reading_them() -> None:
    big = bytes(range(256)) * 4096  # 1 MB of binary, then a small CSV
    data = make_tar({"blob.bin": big, "a.csv": CSV})
    units, report = read("t.tar", data, ClassifyLimits(max_bytes_per_object=256 * 1024))
    assert objects(units) == ["t.tar!a.csv"]
    assert report.limits_hit == [] and report.bytes_read < 256 * 1024


def test_truncated_tar_gz_keeps_the_members_read() -> None:
    members = {
        f"m{i}.log": b"".join(
            hashlib.sha256(b"%d %d" % (i, j)).hexdigest().encode() + b"\n" for j in range(1500)
        )
        for i in range(4)
    }
    data = make_tar(members, "w:gz")
    units, report = read("t.tar.gz", data[: int(len(data) * 0.6)])
    got = b"".join(
        u.data for u in units if isinstance(u, TextBlock) and u.object.endswith("m2.log")
    )
    assert objects(units)[:2] == ["t.tar.gz!m0.log", "t.tar.gz!m1.log"]
    assert got and members["m2.log"].startswith(got) and got != members["m2.log"]
    assert report.errors
