"""The engine: every format end to end, budgets and estimates, bad objects, S3 over moto."""

from __future__ import annotations

import concurrent.futures as cf
import gzip
import io
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.config import Config
from hypothesis import given
from hypothesis import strategies as st

from andon.classify.detectors import DetectorSet
from andon.classify.engine import (
    ClassifyContext,
    LocalSpec,
    S3Spec,
    Sampling,
    classify_object,
    classify_source,
    make_batches,
)
from andon.classify.model import ClassifyLimits, DataType
from andon.classify.results import ObjectResult
from andon.classify.sources import LocalSource, ObjectInfo, Source
from andon.core.context import AwsTarget, Limits
from andon.core.errors import CollectError, ConfigError

from .corpus import Corpus, fleet, trips_csv, write_corpus

KEY = bytes(range(32))
D = DataType
DETECTORS = DetectorSet()  # compiled once for the module


def context(**sampling: object) -> ClassifyContext:
    return ClassifyContext(key=KEY, detectors=DETECTORS, sampling=Sampling(**sampling))  # type: ignore[arg-type]


def counts(result: ObjectResult) -> dict[str, int]:
    return {t.value: tally.count for t, tally in result.tallies.items()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return write_corpus(tmp_path_factory.mktemp("corpus") / "data")


def run(spec: LocalSpec | S3Spec, ctx: ClassifyContext, **kw: object) -> tuple[dict, list]:
    objects: list[ObjectResult] = []
    report = classify_source(spec, ctx, on_object=objects.append, **kw)  # type: ignore[arg-type]
    return report.to_dict(), objects


# -- every format ------------------------------------------------------------------------------


def test_every_format_is_routed_and_counted(corpus: Corpus) -> None:
    summary, objects = run(LocalSpec(str(corpus.root)), context(full=True))
    by_key = {o.object: o for o in objects}
    assert [o.object for o in objects] == sorted(by_key)  # on_object sees key order
    for key, expected in corpus.expected.items():
        assert counts(by_key[key]) == expected, key
        assert by_key[key].complete, key
    assert by_key["archive/trips-2023.csv.gz"].format == "gzip+csv"
    assert by_key["logs/notes.tar.gz"].format == "gzip+tar"
    zipped = by_key["export.zip"].tallies[D.EMAIL].locations[0]
    assert zipped.object == "export.zip!export/customers.json"
    assert zipped.path == "$.customers[*].contact.email"
    assert by_key["photo.png"].not_inspected == "PNG image"
    # 40 drivers: the same 40 vehicles everywhere, counted once in the total; persons are
    # the largest identifier type: 40 drivers' names and the 5 Latin names of the notes
    assert summary["subjects"] == {"vehicle": 40, "device": 40, "person": 45}
    assert summary["data_types"]["vin"]["count"] == 2 * 400 + 40 + 40 + 40
    assert summary["objects_not_inspected"] == {"PNG image": 1}
    assert summary["complete"] is False
    assert "could not be inspected: PNG image (1)" in summary["coverage"]


def test_a_complete_inspection_says_so(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("nothing to see here\n")
    summary, _ = run(LocalSpec(str(tmp_path)), context())
    assert summary["complete"] is True
    assert summary["inspected_fraction"] == 1.0
    assert summary["coverage"].endswith("No data of the types Andon recognizes was found.")


# -- budgets and estimates ---------------------------------------------------------------------


def uniform_tree(root: Path, files: int, rows: int) -> int:
    """``files`` CSVs of exactly the same size, each with ``rows`` VIN rows."""
    rng = random.Random(3)
    corpus = Corpus(root, fleet(20, seed=5))
    data = trips_csv(corpus, rows, rng)
    for i in range(files):
        (root / f"trips-{i:02d}.csv").write_bytes(data)
    return len(data)


def test_a_sample_is_scaled_to_the_listing_and_never_claims_completeness(tmp_path: Path) -> None:
    size = uniform_tree(tmp_path, files=12, rows=50)
    summary, objects = run(LocalSpec(str(tmp_path)), context(object_budget=3))
    assert len(objects) == 3
    assert summary["objects_listed"] == 12
    assert summary["inspected_fraction"] == pytest.approx(0.25)
    assert summary["bytes_listed"] == 12 * size
    vin = summary["data_types"]["vin"]
    assert vin["count"] == 150
    assert vin["estimated_total"] == 600  # one stratum, scaled by stored bytes
    assert summary["sampled"] is True and summary["complete"] is False
    assert "Inspected 3 of 12 listed objects" in summary["coverage"]


def test_nothing_found_in_a_sample_is_not_nothing(tmp_path: Path) -> None:
    for i in range(10):
        (tmp_path / f"readme-{i}.txt").write_text("plain words only\n" * 20)
    summary, _ = run(LocalSpec(str(tmp_path)), context(object_budget=2))
    assert summary["data_types"] == {}
    assert "does not show that the uninspected data contains nothing" in summary["coverage"]


def test_the_byte_budget_bounds_the_sample(tmp_path: Path) -> None:
    size = uniform_tree(tmp_path, files=10, rows=40)
    summary, objects = run(LocalSpec(str(tmp_path)), context(byte_budget=size * 4 + 10))
    assert len(objects) == 4
    assert summary["stored_bytes_inspected"] == 4 * size


def test_a_cut_object_counts_only_the_stored_bytes_read(tmp_path: Path) -> None:
    rng = random.Random(1)
    lines = b"".join(b"%06d %s\n" % (i, rng.randbytes(24).hex().encode()) for i in range(40_000))
    (tmp_path / "big.log.gz").write_bytes(gzip.compress(lines))
    stored = (tmp_path / "big.log.gz").stat().st_size
    limits = ClassifyLimits(max_bytes_per_object=256 * 1024, chunk_bytes=64 * 1024)
    ctx = ClassifyContext(key=KEY, detectors=DETECTORS, limits=limits)
    summary, [result] = run(LocalSpec(str(tmp_path)), ctx)
    assert any(r.startswith("max_bytes_per_object") for r in result.limits_hit)
    assert result.stored_bytes_read is not None
    assert 0 < result.stored_bytes_read < stored
    # without the stored-bytes count, 256 KiB of text read would claim the whole object
    assert summary["inspected_fraction"] < 0.9
    assert summary["limits_hit"] == {"max_bytes_per_object": 1}


def test_the_listing_can_be_cut_and_the_run_says_so(tmp_path: Path) -> None:
    uniform_tree(tmp_path, files=6, rows=5)
    ctx = context(max_listed=4)
    report = classify_source(LocalSpec(str(tmp_path)), ctx)
    assert report.objects_listed == 4
    assert report.limits_hit["max_listed"] == 1


def test_the_same_seed_draws_the_same_sample(tmp_path: Path) -> None:
    uniform_tree(tmp_path, files=30, rows=2)
    keys = [[o.object for o in run(LocalSpec(str(tmp_path)), context(object_budget=5))[1]]]
    keys.append([o.object for o in run(LocalSpec(str(tmp_path)), context(object_budget=5))[1]])
    other = [o.object for o in run(LocalSpec(str(tmp_path)), context(object_budget=5, seed=9))[1]]
    assert keys[0] == keys[1]
    assert other != keys[0]


# -- bad objects never stop a run ---------------------------------------------------------------


class Broken(io.RawIOBase):
    """Gives some bytes, then fails like a dropped connection."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._data = data
        self._served = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        if self._served:
            raise ConnectionResetError("connection reset by peer")
        self._served = True
        n = min(len(buffer), len(self._data))
        buffer[:n] = self._data[:n]
        return n


@dataclass
class Flaky:
    """A local source where one key cannot be opened and one breaks mid-read."""

    inner: LocalSource

    def list(self) -> Iterator[ObjectInfo]:
        return self.inner.list()

    def open(self, info: ObjectInfo, *, max_bytes: int | None = None) -> BinaryIO:
        if info.key == "denied.csv":
            raise CollectError(
                "AccessDenied on GetObject: Access Denied", service="s3", operation="GetObject"
            )
        if info.key == "broken.log":
            head = b"email=someone@example.org\n" * 10
            return io.BufferedReader(Broken(head), buffer_size=64)  # type: ignore[return-value]
        return self.inner.open(info, max_bytes=max_bytes)


def test_one_bad_object_is_recorded_and_the_rest_read(tmp_path: Path) -> None:
    for name in ("denied.csv", "broken.log", "fine.log"):
        (tmp_path / name).write_text("email=someone@example.org\n" * 400)
    spec = LocalSpec(str(tmp_path))
    objects: list[ObjectResult] = []
    report = classify_source(
        spec, context(), source=Flaky(LocalSource(tmp_path)), on_object=objects.append
    )
    by_key = {o.object: o for o in objects}
    assert by_key["denied.csv"].not_inspected.startswith("cannot be opened: CollectError")
    assert by_key["broken.log"].errors and "ConnectionResetError" in by_key["broken.log"].errors[0]
    assert counts(by_key["broken.log"]) == {"email": 10}  # what was read before the failure
    assert counts(by_key["fine.log"]) == {"email": 400}
    assert report.objects_with_errors >= 2


def test_a_scanner_failure_on_one_unit_is_an_error_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.log").write_text("email=someone@example.org\n")
    (tmp_path / "b.csv").write_text("email\nsomeone@example.org\n")

    def boom(self: object, block: object, sink: object) -> None:
        raise RuntimeError("a bug quoting someone@example.org")

    monkeypatch.setattr("andon.classify.text.TextScanner.scan", boom)
    source = LocalSource(tmp_path)
    result = classify_object(source, ObjectInfo("a.log", 26), context())
    assert result.errors == ["classifying part of a.log failed: RuntimeError"]  # type only
    assert counts(classify_object(source, ObjectInfo("b.csv", 26), context())) == {"email": 1}


def test_a_failed_worker_marks_its_objects_not_inspected(tmp_path: Path) -> None:
    uniform_tree(tmp_path, files=4, rows=3)

    @dataclass(frozen=True)
    class Unreachable(LocalSpec):
        def open(self) -> Source:
            raise OSError("no route to host")

    spec = Unreachable(str(tmp_path))
    objects: list[ObjectResult] = []
    with cf.ThreadPoolExecutor(2) as pool:
        report = classify_source(
            spec, context(), source=LocalSource(tmp_path), executor=pool, workers=2,
            on_object=objects.append,
        )  # fmt: skip
    assert len(objects) == 4
    assert all(o.not_inspected == "the worker failed: OSError: no route to host" for o in objects)
    assert report.objects_inspected == 0


def test_a_missing_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        classify_source(LocalSpec(str(tmp_path / "absent")), context())


# -- batches ---------------------------------------------------------------------------------


@given(
    sizes=st.lists(st.integers(0, 10**9), max_size=60),
    count=st.integers(1, 12),
    cap=st.sampled_from([1, 1 << 20, 1 << 30]),
)
def test_batches_are_contiguous_and_cover_every_object(
    sizes: list[int], count: int, cap: int
) -> None:
    objects = [ObjectInfo(f"k{i:03d}", s) for i, s in enumerate(sizes)]
    batches = make_batches(objects, count, cap)
    assert [o for b in batches for o in b] == objects
    assert len(batches) <= max(count, 1)
    assert all(batches)


def test_batches_of_equal_objects_are_balanced() -> None:
    objects = [ObjectInfo(f"k{i:03d}", 1000) for i in range(40)]
    assert [len(b) for b in make_batches(objects, 4, 1 << 20)] == [10, 10, 10, 10]


# -- S3 over moto ------------------------------------------------------------------------------


def seed_bucket(url: str, root: Path, bucket: str) -> None:
    s3 = boto3.client("s3", endpoint_url=url, config=Config(s3={"addressing_style": "path"}))
    s3.create_bucket(Bucket=bucket)
    for path in sorted(root.rglob("*")):
        if path.is_file():
            s3.put_object(
                Bucket=bucket, Key=path.relative_to(root).as_posix(), Body=path.read_bytes()
            )


def test_s3_gives_the_same_report_as_the_same_files_on_disk(
    corpus: Corpus, moto_url: str, aws_env: dict[str, str]
) -> None:
    seed_bucket(moto_url, corpus.root, "fleet")
    ctx = context(full=True)
    local, local_objects = run(LocalSpec(str(corpus.root)), ctx)
    spec = S3Spec(AwsTarget(endpoint_url=moto_url), "fleet", limits=Limits(max_attempts=1))
    remote, remote_objects = run(spec, ctx)
    assert remote == local
    assert [o.to_dict() for o in remote_objects] == [o.to_dict() for o in local_objects]


def test_s3_prefix_and_listing_errors(
    moto_url: str, aws_env: dict[str, str], tmp_path: Path
) -> None:
    uniform_tree(tmp_path, files=3, rows=5)
    seed_bucket(moto_url, tmp_path, "few")
    target = AwsTarget(endpoint_url=moto_url)
    summary, objects = run(S3Spec(target, "few", "trips-01"), context())
    assert [o.object for o in objects] == ["trips-01.csv"]
    assert summary["data_types"]["vin"]["count"] == 5
    with pytest.raises(CollectError):
        classify_source(S3Spec(target, "no-such-bucket", limits=Limits(max_attempts=1)), context())


# -- names that are values ---------------------------------------------------------------------


def test_keys_and_columns_that_are_values_are_masked(tmp_path: Path) -> None:
    drivers = fleet(12, seed=2)
    by_vin = {d.vin: {"lat": 35.5 + i / 100, "lon": 139.5 + i / 100} for i, d in enumerate(drivers)}
    (tmp_path / "by_vin.json").write_text(json.dumps(by_vin))
    by_phone = {d.phone: {"email": d.email} for d in drivers}
    (tmp_path / "by_phone.json").write_text(json.dumps(by_phone))
    columns = {"vin": [d.vin for d in drivers], drivers[0].email: [d.vin for d in drivers]}
    pq.write_table(pa.table(columns), tmp_path / "odd.parquet")
    summary, objects = run(LocalSpec(str(tmp_path)), context())
    by_key = {o.object: o for o in objects}
    geo = by_key["by_vin.json"].tallies[D.GEO_COORDINATES]
    assert geo.count == 12
    assert {loc.path for loc in geo.locations} == {"$.{key}"}
    email = by_key["by_phone.json"].tallies[D.EMAIL]
    assert {loc.path for loc in email.locations} == {"$.{key}.email"}
    vin_columns = {loc.column for loc in by_key["odd.parquet"].tallies[D.VIN].locations}
    assert vin_columns == {"vin", "{column}"}
    text = str(summary) + "".join(str(o.to_dict()) for o in objects)
    assert not any(d.vin in text or d.phone in text for d in drivers)
    assert drivers[0].email not in text


def test_readers_fold_value_keys_and_read_a_headerless_csv(tmp_path: Path) -> None:
    drivers = fleet(12, seed=3)
    lines = [json.dumps({d.vin: {"phone": d.phone, "dcm": d.imei}}) for d in drivers]
    (tmp_path / "by_vin.ndjson").write_text("\n".join(lines) + "\n")
    rows = [f"{d.vin},{d.phone},{d.chassis}" for d in drivers]  # no header: row 1 is data
    (tmp_path / "nohead.csv").write_text("\n".join(rows) + "\n")
    summary, objects = run(LocalSpec(str(tmp_path)), context())
    by_key = {o.object: o for o in objects}
    ndjson = by_key["by_vin.ndjson"]
    assert counts(ndjson) == {"phone_number": 12, "imei": 12}  # dcm: IMEI context by name
    assert {loc.path for loc in ndjson.tallies[D.PHONE_NUMBER].locations} == {"$.{key}.phone"}
    csv = by_key["nohead.csv"]
    assert counts(csv) == {"vin": 12, "phone_number": 12, "jp_chassis_number": 12}
    vin_locations = csv.tallies[D.VIN].locations
    assert {loc.column for loc in vin_locations} == {"column_1"} and vin_locations[0].record == 0
    text = str(summary) + "".join(str(o.to_dict()) for o in objects)
    assert not any(d.vin in text or d.phone in text or d.imei in text for d in drivers)
