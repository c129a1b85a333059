"""The emulated cloud: loopback only, a free port, clean start and stop, lazy moto."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from andon.core.errors import ConfigError
from andon.demo import EmulatedCloud, seed_estate
from andon.demo.server import DUMMY_CREDENTIALS, loopback_host, loopback_url, make_client


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "10.0.0.5", "192.168.1.20", "8.8.8.8", "example.com", ""]
)
def test_refuses_a_non_loopback_address(host: str) -> None:
    with pytest.raises(ConfigError, match="loopback"):
        EmulatedCloud(host=host)


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", "127.0.0.1"), ("localhost", "127.0.0.1"), ("127.0.0.2", "127.0.0.2"),
     ("::1", "::1"), ("[::1]", "::1")],
)  # fmt: skip
def test_accepts_loopback_addresses(host: str, expected: str) -> None:
    assert loopback_host(host) == expected


@pytest.mark.parametrize(
    "url", ["https://s3.amazonaws.com", "http://10.1.2.3:4566", "ftp://127.0.0.1/", "127.0.0.1"]
)
def test_endpoint_urls_must_be_loopback(url: str) -> None:
    with pytest.raises(ConfigError):
        loopback_url(url)


def test_seeding_refuses_a_real_cloud_before_any_request() -> None:
    with pytest.raises(ConfigError, match="loopback"):
        seed_estate("https://s3.ap-northeast-1.amazonaws.com")
    with pytest.raises(ConfigError, match="loopback"):
        make_client("s3", "https://s3.amazonaws.com")


def test_refuses_a_bad_port() -> None:
    with pytest.raises(ConfigError, match="port"):
        EmulatedCloud(port=70000)


def test_starts_on_a_free_loopback_port_and_stops_cleanly() -> None:
    level = logging.getLogger("werkzeug").level
    with EmulatedCloud() as cloud:
        assert logging.getLogger("werkzeug").level == logging.CRITICAL  # quiet by default
        assert cloud.running
        assert cloud.port > 0
        assert cloud.endpoint_url == f"http://127.0.0.1:{cloud.port}"
        assert cloud.region == "ap-northeast-1"
        assert cloud.credentials == DUMMY_CREDENTIALS
        assert cloud.credentials.access_key_id == "testing"
        s3 = cloud.client("s3")
        s3.create_bucket(
            Bucket="hello-demo", CreateBucketConfiguration={"LocationConstraint": cloud.region}
        )
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["hello-demo"]
        url = cloud.endpoint_url
    assert not cloud.running
    assert logging.getLogger("werkzeug").level == level
    with pytest.raises(ConfigError, match="not running"):
        _ = cloud.endpoint_url
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/moto-api/data.json", timeout=2)
    cloud.stop()  # idempotent


def test_a_new_cloud_starts_empty() -> None:
    with EmulatedCloud() as cloud:
        cloud.client("s3").create_bucket(
            Bucket="left-behind", CreateBucketConfiguration={"LocationConstraint": cloud.region}
        )
    with EmulatedCloud() as cloud:
        assert cloud.client("s3").list_buckets()["Buckets"] == []


def test_runs_on_ipv6_loopback() -> None:
    try:
        cloud = EmulatedCloud(host="::1").start()
    except ConfigError:  # pragma: no cover - a machine without IPv6
        pytest.skip("no IPv6 loopback here")
    try:
        assert cloud.endpoint_url == f"http://[::1]:{cloud.port}"
        assert cloud.client("s3").list_buckets()["Buckets"] == []
    finally:
        cloud.stop()


def test_a_port_in_use_is_an_error_not_a_hang() -> None:
    level = logging.getLogger("werkzeug").level
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match="cannot listen"):
            EmulatedCloud(port=port).start()
    assert logging.getLogger("werkzeug").level == level


def test_cannot_start_twice() -> None:
    with EmulatedCloud() as cloud, pytest.raises(ConfigError, match="already running"):
        cloud.start()


def test_iam_enforcement_is_put_back_on_stop() -> None:
    from moto import settings

    before = settings.INITIAL_NO_AUTH_ACTION_COUNT
    with EmulatedCloud() as cloud:
        cloud.enforce_iam()
        assert settings.INITIAL_NO_AUTH_ACTION_COUNT == 0
        with pytest.raises(ClientError) as denied:
            cloud.client("s3").list_buckets()  # the dummy keys belong to no IAM user
        assert denied.value.response["Error"]["Code"] == "InvalidAccessKeyId"
    restored = settings.INITIAL_NO_AUTH_ACTION_COUNT
    assert restored == before


def test_s3control_works_through_the_endpoint() -> None:
    with EmulatedCloud() as cloud:
        s3control = cloud.client("s3control")
        answer = s3control.list_access_points(AccountId="123456789012")
        assert answer["AccessPointList"] == []


def test_without_moto_starting_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "moto.server", None)  # import moto.server -> ImportError
    with pytest.raises(ConfigError, match=r"install andon\[demo\]"):
        EmulatedCloud().start()


def test_importing_the_package_loads_no_optional_dependency() -> None:
    code = (
        "import sys, andon.demo, andon.demo.estate, andon.demo.server\n"
        "loaded = {'moto', 'boto3', 'botocore', 'faker'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
