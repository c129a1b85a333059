"""Shared fixtures: a moto server over real HTTP, and dummy AWS credentials.

Fixtures
--------
``moto_endpoint`` (session)
    URL (``http://127.0.0.1:<port>``) of one in-process ``ThreadedMotoServer`` shared by the
    whole test session. Its state is global: prefer ``moto_url``, which resets it.
``moto_url`` (function)
    The same URL after ``POST /moto-api/reset``: every test starts from an empty cloud.
``aws_env`` (function)
    Dummy credentials and region in the environment (``monkeypatch.setenv`` only; no client is
    ever patched), with any developer ``~/.aws`` files and instance metadata kept out of reach.
``moto_process`` (function)
    A factory starting a *separate* moto server process (``MotoProcess``) that a test may kill,
    e.g. to check how a collector behaves when the endpoint dies mid-scan.

Typical use::

    def test_something(moto_url, aws_env):
        ctx = Context(aws=AwsTarget(endpoint_url=moto_url))
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from andon.store import normalize_url

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def moto_api(url: str, path: str, body: bytes = b"") -> bytes:
    """POST to moto's own control API (``/moto-api/reset``, ``/moto-api/reset-auth`` ...)."""
    request = urllib.request.Request(
        f"{url}/moto-api/{path}",
        data=body,
        method="POST",
        headers={"Content-Type": "text/plain"},  # a form type would hide the body from moto
    )
    # Generous: resetting a large state on a busy machine can take many seconds.
    with urllib.request.urlopen(request, timeout=120) as answer:
        data: bytes = answer.read()
        return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def warm_up(url: str, deadline: float) -> None:
    """Wait until moto answers S3 and STS properly: a fresh server may answer its very first
    S3 requests with an empty body while it loads the S3 backend."""
    import boto3
    from botocore.config import Config

    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    config = Config(retries={"max_attempts": 0}, s3={"addressing_style": "path"})
    s3 = session.client("s3", endpoint_url=url, config=config)
    sts = session.client("sts", endpoint_url=url, config=config)
    while True:
        try:
            if isinstance(s3.list_buckets().get("Buckets"), list):
                sts.get_caller_identity()
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Start one moto server on a free loopback port for the session; yield its URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        warm_up(url, time.monotonic() + 30)
        yield url
    finally:
        server.stop()


@pytest.fixture
def moto_url(moto_endpoint: str) -> str:
    """The session moto server, reset to an empty state for this test."""
    moto_api(moto_endpoint, "reset")
    return moto_endpoint


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Dummy credentials (``testing``) and region ``us-east-1``, set through the environment."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    env = {
        **DUMMY_ENV,
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config-absent"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials-absent"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


class MotoProcess:
    """A moto server in its own process, so a test can kill it like a dying endpoint."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        )
        deadline = time.monotonic() + 30
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {self._proc.returncode}")
            try:
                moto_api(self.url, "reset")
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError("moto server did not start in 30 s") from None
                time.sleep(0.1)
        try:
            warm_up(self.url, deadline)
        except Exception:
            self.kill()
            raise

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the server: open connections drop, new ones are refused."""
        if self.alive:
            self._proc.send_signal(signal.SIGKILL)
        self._proc.wait(timeout=10)


@pytest.fixture
def moto_process() -> Iterator[Callable[[], MotoProcess]]:
    """Factory for separate, killable moto server processes; all are killed at teardown."""
    started: list[MotoProcess] = []

    def start() -> MotoProcess:
        proc = MotoProcess()
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()


@pytest.fixture
def moto_iam_user(
    moto_url: str, aws_env: dict[str, str]
) -> Iterator[Callable[[dict[str, object]], tuple[str, str]]]:
    """Factory: an IAM user with an inline policy, and moto's IAM enforcement switched on.

    ``make(policy_document) -> (access_key_id, secret_access_key)``. Once called, every request
    to the session moto server must be signed by a known key and is checked against the
    caller's IAM policies (moto's ``INITIAL_NO_AUTH_ACTION_COUNT``, set to 0 through
    ``/moto-api/reset-auth``; the setting is process-wide, so it is switched off again at
    teardown). Seed everything *before* calling ``make``: the dummy ``testing`` key is
    unknown to IAM and is refused afterwards. moto names an action after the API operation
    (``s3:GetBucketPolicy``, ``s3:GetPublicAccessBlock`` for bucket *and* account level,
    ``s3:ListAllMyBuckets``), not always after the IAM action AWS uses.
    """
    import json

    import boto3

    enforced = False

    def make(policy: dict[str, object]) -> tuple[str, str]:
        nonlocal enforced
        iam = boto3.client("iam", endpoint_url=moto_url)
        if enforced:
            raise RuntimeError("moto_iam_user: call make() once, after seeding")
        name = "andon-test-auditor"
        iam.create_user(UserName=name)
        iam.put_user_policy(
            UserName=name, PolicyName="under-test", PolicyDocument=json.dumps(policy)
        )
        key = iam.create_access_key(UserName=name)["AccessKey"]
        moto_api(moto_url, "reset-auth", b"0")
        enforced = True
        return key["AccessKeyId"], key["SecretAccessKey"]

    try:
        yield make
    finally:
        if enforced:
            moto_api(moto_url, "reset-auth", b"inf")


# -- databases: every store-backed test runs on SQLite and on PostgreSQL ---------------------

PG_URL = os.environ.get("ANDON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("ANDON_REQUIRE_PG") == "1"


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The PostgreSQL server's URL, after checking it answers."""
    url = normalize_url(PG_URL)
    if "connect_timeout" not in url.query:
        url = url.update_query_dict({"connect_timeout": "5"})
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as e:
        detail = " ".join(str(getattr(e, "orig", None) or e).split())[:200]
        reason = f"PostgreSQL at {url.render_as_string()} unreachable: {detail}"
        if REQUIRE_PG:
            pytest.fail(f"{reason} (ANDON_REQUIRE_PG=1)")
        pytest.skip(f"{reason} (set ANDON_TEST_PG_URL, or ANDON_REQUIRE_PG=1 to fail)")
    finally:
        engine.dispose()
    return url.render_as_string(hide_password=False)


@pytest.fixture
def pg_schema_url(pg_url: str) -> Iterator[str]:
    """A URL whose connections live in a fresh schema, dropped afterwards."""
    schema = f"andon_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_url, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('store') / 'andon.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    return url
