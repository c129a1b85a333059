"""Scale-out: a local process pool and a real Dask cluster give exactly the serial run's report.

The data holds 1,750 distinct VINs spread over overlapping files, so the subject sketches are
past their exact (list) mode and the merged estimates are true HyperLogLog estimates: equal
reports show that sketches travel (pickled, without the key) and merge in the same order.

Per object, the distinct estimates of an object with more than ~385 distinct values may differ
by a value or two between processes: ``SubjectCounter.add_many`` feeds a *set* of values, whose
order follows the process's string hash seed, and the HIP estimator of a single sketch depends
on that order (the merged report uses the order-free composite estimator). Those two fields are
compared within the sketch's error; everything else is compared exactly.
"""

from __future__ import annotations

import copy
import gzip
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from andon.classify.detectors import DetectorSet
from andon.classify.distributed import dask_executor, executor_for, local_pool
from andon.classify.engine import ClassifyContext, LocalSpec, S3Spec, Sampling, classify_source
from andon.classify.results import ObjectResult
from andon.core.context import AwsTarget, Limits
from andon.core.errors import ConfigError

from .corpus import vin

KEY = bytes(range(32))
DISTINCT = 1750
DETECTORS = DetectorSet()


def context() -> ClassifyContext:
    return ClassifyContext(key=KEY, detectors=DETECTORS, sampling=Sampling(full=True))


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six CSVs of 500 VINs each, shifted by 250 (1,750 distinct), one gzip'd, and a log."""
    root = tmp_path_factory.mktemp("fleet")
    rng = random.Random(5)
    vins = [vin(rng) for _ in range(DISTINCT)]
    for i in range(6):
        rows = "".join(
            f"{v},{35 + rng.random():.6f},{139 + rng.random():.6f}\n"
            for v in vins[i * 250 : i * 250 + 500]
        )
        data = ("vin,lat,lon\n" + rows).encode()
        if i == 5:
            (root / "part-5.csv.gz").write_bytes(gzip.compress(data))
        else:
            (root / f"part-{i}.csv").write_bytes(data)
    (root / "app.log").write_text("".join(f"user {i} mail=u{i}@example.com\n" for i in range(300)))
    return root


Run = tuple[dict[str, Any], list[dict[str, Any]]]


def run(spec: Any, ctx: ClassifyContext, **kw: Any) -> Run:
    objects: list[ObjectResult] = []
    report = classify_source(spec, ctx, on_object=objects.append, **kw)
    return report.to_dict(), [o.to_dict() for o in objects]


def split(obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """An object's dict without its sketch estimates, and those estimates."""
    obj = copy.deepcopy(obj)
    found = {f"subjects.{k}": n for k, n in obj.pop("subjects").items()}
    for dtype, entry in obj["data_types"].items():
        if "distinct" in entry:
            found[dtype] = entry.pop("distinct")
    return obj, found


def assert_same(got: Run, want: Run) -> None:
    assert got[0] == want[0]  # the merged report: exactly
    assert len(got[1]) == len(want[1])
    for mine, theirs in zip(got[1], want[1], strict=True):
        (a, a_est), (b, b_est) = split(mine), split(theirs)
        assert a == b
        assert a_est.keys() == b_est.keys()
        for name, n in b_est.items():
            assert abs(a_est[name] - n) <= max(2, 0.03 * n), (mine["object"], name)


@pytest.fixture(scope="module")
def serial(tree: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return run(LocalSpec(str(tree)), context())


@pytest.fixture(scope="module")
def pool() -> Iterator[Any]:
    with local_pool(2) as execution:
        yield execution


def test_serial_estimates_are_within_the_sketch_error(
    serial: tuple[dict[str, Any], list[Any]],
) -> None:
    summary, objects = serial
    assert summary["data_types"]["vin"]["count"] == 3000
    assert abs(summary["subjects"]["vehicle"] - DISTINCT) <= 0.05 * DISTINCT
    assert summary["subjects"]["person"] == 300
    assert len(objects) == 7


def test_a_local_process_pool_gives_the_serial_report(tree: Path, pool: Any, serial: Any) -> None:
    result = run(LocalSpec(str(tree)), context(), executor=pool.executor, workers=pool.workers)
    assert_same(result, serial)


def test_s3_objects_are_read_by_workers_that_build_their_own_clients(
    tree: Path, pool: Any, serial: Any, moto_url: str, aws_env: dict[str, str]
) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_url, config=Config(s3={"addressing_style": "path"}))
    s3.create_bucket(Bucket="fleet")
    for path in sorted(tree.iterdir()):
        s3.put_object(Bucket="fleet", Key=path.name, Body=path.read_bytes())
    # The pool's processes were spawned by an earlier test, before aws_env: the credentials
    # travel with the target's settings, and each worker builds its own clients from them.
    target = AwsTarget(endpoint_url=moto_url, access_key_id="testing", secret_access_key="x")
    spec = S3Spec(target, "fleet", limits=Limits(max_attempts=1))
    result = run(spec, context(), executor=pool.executor, workers=pool.workers)
    assert_same(result, serial)


def test_a_dask_cluster_gives_the_serial_report(tree: Path, serial: Any) -> None:
    from distributed import LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        dask_executor(cluster.scheduler_address) as execution,
    ):
        assert execution.distributed and execution.workers == 2
        result = run(LocalSpec(str(tree)), context(), executor=execution.executor, workers=2)
    assert_same(result, serial)


def test_an_unreachable_scheduler_is_a_config_error() -> None:
    with (
        pytest.raises(ConfigError, match="cannot reach the Dask scheduler"),
        dask_executor("tcp://127.0.0.1:1", timeout=1),
    ):
        pass


def test_one_worker_runs_in_this_process() -> None:
    with executor_for(1) as execution:
        assert execution.executor is None and execution.workers == 1
