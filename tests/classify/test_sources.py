"""Sources: a local file tree and an S3 bucket (over moto's HTTP server)."""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.config import Config

from andon.classify.model import ClassifyLimits, ColumnBatch, TextBlock
from andon.classify.readers import ReadReport
from andon.classify.sources import LocalSource, ObjectInfo, S3Source, read_units
from andon.collect.aws.transport import AwsClients
from andon.core import AccessDenied, AwsTarget, CollectError, ConfigError, Limits

CSV = "氏名,電話番号\n山田太郎,090-1234-5678\n".encode()

# -- local -----------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "b" / "c").mkdir(parents=True)
    (root / "a.csv").write_bytes(CSV)
    (root / "b" / "log.txt").write_bytes(b"hello\n")
    (root / "b" / "c" / "deep.json").write_bytes(b'{"a": 1}')
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not yours\n")
    (root / "escape.txt").symlink_to(outside)
    (root / "alias.csv").symlink_to(root / "a.csv")
    (root / "loop").symlink_to(root, target_is_directory=True)
    os.mkfifo(root / "pipe")
    return root


def test_local_tree_lists_regular_files_with_relative_keys(tree: Path) -> None:
    infos = list(LocalSource(tree).list())
    assert [i.key for i in infos] == ["a.csv", "alias.csv", "b/log.txt", "b/c/deep.json"]
    assert infos[0].size == len(CSV) and infos[0].last_modified is not None
    assert infos[0].last_modified.tzinfo is not None


def test_local_tree_refuses_keys_that_leave_it(tree: Path) -> None:
    source = LocalSource(tree)
    with pytest.raises(ConfigError):
        source.open(ObjectInfo("escape.txt", 10))
    with pytest.raises(ConfigError):
        source.open(ObjectInfo("../outside.txt", 10))
    with source.open(ObjectInfo("alias.csv", len(CSV))) as stream:
        assert stream.read() == CSV


def test_local_single_file_and_missing_path(tree: Path) -> None:
    source = LocalSource(tree / "b" / "log.txt")
    assert [i.key for i in source.list()] == ["log.txt"]
    with pytest.raises(ConfigError):
        LocalSource(tree / "nope")


def test_read_units_from_a_local_tree(tree: Path) -> None:
    source = LocalSource(tree)
    info = next(i for i in source.list() if i.key == "a.csv")
    report = ReadReport()
    (batch,) = read_units(source, info, ClassifyLimits(), report)
    assert isinstance(batch, ColumnBatch) and batch.object == "a.csv"
    assert report.size == len(CSV) and report.records == 1


def test_read_units_records_an_object_that_vanished(tree: Path) -> None:
    source = LocalSource(tree)
    info = next(i for i in source.list() if i.key == "a.csv")
    (tree / "a.csv").unlink()
    report = ReadReport()
    assert list(read_units(source, info, ClassifyLimits(), report)) == []
    assert report.not_inspected.startswith("cannot be opened: ConfigError")


# -- S3 over moto ----------------------------------------------------------------------------


def parquet_bytes(rows: int) -> bytes:
    sink = io.BytesIO()
    table = pa.table({"vin": [f"JTD{i:014d}" for i in range(rows)], "n": list(range(rows))})
    pq.write_table(table, sink, row_group_size=rows // 4 or 1)
    return sink.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


@pytest.fixture
def bucket(moto_url: str, aws_env: dict[str, str]) -> dict[str, bytes]:
    s3 = boto3.client("s3", endpoint_url=moto_url, config=Config(s3={"addressing_style": "path"}))
    s3.create_bucket(Bucket="cars")
    objects = {
        "exports/customers.csv": CSV,
        "exports/trips.parquet": parquet_bytes(2000),
        "exports/bundle.zip": zip_bytes({"a.csv": CSV, "pad.bin": os.urandom(200_000)}),
        "logs/2024/01/app.log.gz": gzip.compress(b"start\n" * 1000),
        "logs/big.log": b"".join(b"line %06d\n" % i for i in range(50_000)),
        "secret/keys.txt": b"AKIA...\n",
    }
    for key, data in objects.items():
        s3.put_object(Bucket="cars", Key=key, Body=data)
    s3.put_object(Bucket="cars", Key="exports/", Body=b"")  # a console "folder"
    return objects


def clients(moto_url: str) -> AwsClients:
    return AwsClients(AwsTarget(endpoint_url=moto_url), Limits(max_attempts=1))


def test_s3_lists_every_page_under_a_prefix(moto_url: str, bucket: dict[str, bytes]) -> None:
    aws = clients(moto_url)
    source = S3Source(aws, "cars", "exports/", page_size=2)
    infos = list(source.list())
    assert sorted(i.key for i in infos) == sorted(k for k in bucket if k.startswith("exports/"))
    assert aws.call_counts[("s3", "ListObjectsV2")] == 2  # 3 objects + folder marker, 2 a page
    info = next(i for i in infos if i.key == "exports/customers.csv")
    assert info.size == len(CSV) and info.etag and '"' not in info.etag
    assert info.last_modified is not None


def test_s3_objects_read_as_streams(moto_url: str, bucket: dict[str, bytes]) -> None:
    source = S3Source(clients(moto_url), "cars")
    by_key = {i.key: i for i in source.list()}
    report = ReadReport()
    units = list(read_units(source, by_key["logs/2024/01/app.log.gz"], ClassifyLimits(), report))
    assert b"".join(u.data for u in units if isinstance(u, TextBlock)) == b"start\n" * 1000
    assert report.format == "gzip+text"


def test_s3_prefix_is_fetched_with_a_range(moto_url: str, bucket: dict[str, bytes]) -> None:
    source = S3Source(clients(moto_url), "cars")
    info = next(i for i in source.list() if i.key == "logs/big.log")
    with source.open(info, max_bytes=1000) as stream:
        assert stream.read(1000) == bucket["logs/big.log"][:1000]
        raw = stream.raw  # type: ignore[attr-defined]
        assert raw.requested == ["bytes=0-999"]
        rest = stream.read()  # reading on asks for the rest
        assert rest == bucket["logs/big.log"][1000:]
        assert raw.requested == ["bytes=0-999", f"bytes=1000-{info.size - 1}"]


def test_s3_byte_budget_limits_the_transfer(moto_url: str, bucket: dict[str, bytes]) -> None:
    aws = clients(moto_url)
    source = S3Source(aws, "cars")
    info = next(i for i in source.list() if i.key == "logs/big.log")
    report = ReadReport()
    limits = ClassifyLimits(max_bytes_per_object=50_000, chunk_bytes=8192)
    units = list(read_units(source, info, limits, report))
    assert sum(len(u.data) for u in units if isinstance(u, TextBlock)) == 50_000
    assert report.limits_hit and aws.call_counts[("s3", "GetObject")] == 1


def test_s3_parquet_and_zip_are_read_through_ranged_seeks(
    moto_url: str, bucket: dict[str, bytes]
) -> None:
    aws = clients(moto_url)
    source = S3Source(aws, "cars", "exports/")
    by_key = {i.key: i for i in source.list()}
    report = ReadReport()
    units = list(read_units(source, by_key["exports/trips.parquet"], ClassifyLimits(), report))
    assert sum(u.rows for u in units if isinstance(u, ColumnBatch)) == 2000
    assert report.errors == []
    report = ReadReport()
    before = aws.call_counts[("s3", "GetObject")]
    units = list(read_units(source, by_key["exports/bundle.zip"], ClassifyLimits(), report))
    assert [u.object for u in units] == ["exports/bundle.zip!a.csv"]
    assert aws.call_counts[("s3", "GetObject")] - before <= 4  # head, directory, members
    assert report.skipped == ["exports/bundle.zip!pad.bin: binary data (NUL bytes)"]


def test_s3_access_denied_on_one_object_is_recorded(
    moto_url: str,
    bucket: dict[str, bytes],
    moto_iam_user: Callable[[dict[str, object]], tuple[str, str]],
) -> None:
    key_id, secret = moto_iam_user(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::cars"},
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::cars/exports/*",
                },
            ],
        }
    )
    target = AwsTarget(endpoint_url=moto_url, access_key_id=key_id, secret_access_key=secret)
    source = S3Source(AwsClients(target, Limits(max_attempts=0)), "cars")
    by_key = {i.key: i for i in source.list()}
    with pytest.raises(AccessDenied):
        source.open(by_key["secret/keys.txt"])
    report = ReadReport()
    assert list(read_units(source, by_key["secret/keys.txt"], ClassifyLimits(), report)) == []
    assert report.not_inspected.startswith("cannot be opened: AccessDenied")
    report = ReadReport()
    assert list(read_units(source, by_key["exports/customers.csv"], ClassifyLimits(), report))
    assert report.inspected


def test_s3_object_replaced_mid_read_fails_instead_of_mixing_versions(
    moto_url: str, bucket: dict[str, bytes]
) -> None:
    source = S3Source(clients(moto_url), "cars")
    info = next(i for i in source.list() if i.key == "logs/big.log")
    s3 = boto3.client("s3", endpoint_url=moto_url, config=Config(s3={"addressing_style": "path"}))
    with source.open(info, max_bytes=100) as stream:
        assert len(stream.read(100)) == 100
        s3.put_object(Bucket="cars", Key="logs/big.log", Body=b"other\n" * 10_000)
        with pytest.raises(CollectError) as caught:
            stream.read(100)
    assert caught.value.code == "PreconditionFailed"
