"""The AWS transport: sessions, client cache, s3control host fix, and the error mapping.

Error mapping is checked twice: on botocore's real exception shapes (pure), and end to end over
HTTP against a scripted loopback server that answers like a throttling, denying, broken or silent
S3 would — real boto3 clients, real retries, nothing patched.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from andon.collect.aws.transport import AwsClients, map_error
from andon.core import (
    AccessDenied,
    AwsTarget,
    CollectError,
    ConfigError,
    EndpointError,
    Limits,
    MalformedResponse,
    Throttled,
)

# -- the session and its clients ---------------------------------------------------------------


def test_clients_use_adaptive_retries_timeouts_and_pool(aws_env: dict[str, str]) -> None:
    limits = Limits(concurrency=40, max_attempts=5, connect_timeout=2.5, read_timeout=7.0)
    clients = AwsClients(AwsTarget(), limits)
    config = clients.client("s3").meta.config
    assert config.retries["mode"] == "adaptive"
    assert config.retries["total_max_attempts"] == 5 + 1  # botocore: retries after the first
    assert (config.connect_timeout, config.read_timeout) == (2.5, 7.0)
    assert config.max_pool_connections >= 40


def test_clients_are_cached_per_service_and_region_across_threads(
    aws_env: dict[str, str],
) -> None:
    clients = AwsClients(AwsTarget(), Limits())
    seen: list[Any] = []
    barrier = threading.Barrier(8)

    def grab() -> None:
        barrier.wait()
        seen.append(clients.client("s3", "eu-west-1"))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in seen}) == 1
    assert seen[0].meta.region_name == "eu-west-1"
    assert clients.client("s3") is clients.client("s3", "us-east-1")  # home region default
    assert clients.client("s3control", "eu-west-1") is not seen[0]


def test_explicit_keys_win_over_the_environment(aws_env: dict[str, str]) -> None:
    target = AwsTarget(access_key_id="AKIAEXPLICIT", secret_access_key="s3cr3t")
    session_creds = AwsClients(target, Limits()).session.get_credentials()
    assert (session_creds.access_key, session_creds.secret_key, session_creds.token) == (
        "AKIAEXPLICIT",
        "s3cr3t",
        None,
    )


def test_profile_gives_credentials_and_home_region(
    aws_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    config = tmp_path / "config"
    config.write_text(
        "[profile audit]\nregion = eu-central-1\n"
        "aws_access_key_id = AKIAPROFILE\naws_secret_access_key = fromprofile\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    clients = AwsClients(AwsTarget(profile="audit"), Limits())
    assert clients.home_region == "eu-central-1"
    assert clients.client("s3").meta.region_name == "eu-central-1"
    assert clients.session.get_credentials().access_key == "AKIAPROFILE"


def test_unknown_profile_is_a_config_error(aws_env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="no-such-profile"):
        AwsClients(AwsTarget(profile="no-such-profile"), Limits())


def test_account_id_comes_from_sts_once(moto_url: str, aws_env: dict[str, str]) -> None:
    clients = AwsClients(AwsTarget(endpoint_url=moto_url), Limits())
    assert clients.account_id() == "123456789012"
    assert clients.account_id() == "123456789012"
    assert clients.partition() == "aws"
    assert clients.call_counts == {("sts", "GetCallerIdentity"): 1}


# -- the s3control host prefix -----------------------------------------------------------------


def _capture_urls(client: Any) -> list[str]:
    """Record each request's final URL (botocore's own event hook; the request still goes)."""
    urls: list[str] = []
    client.meta.events.register("before-send", lambda request, **_: urls.append(request.url))
    return urls


def test_s3control_reaches_an_endpoint_url_without_the_account_prefix(
    moto_url: str, aws_env: dict[str, str]
) -> None:
    clients = AwsClients(AwsTarget(endpoint_url=moto_url), Limits(max_attempts=1))
    client = clients.client("s3control")
    urls = _capture_urls(client)
    with pytest.raises(CollectError) as caught:
        clients.call(client, "GetPublicAccessBlock", AccountId="123456789012")
    assert caught.value.code == "NoSuchPublicAccessBlockConfiguration"  # moto answered
    assert urls == [f"{moto_url}/v20180820/configuration/publicAccessBlock"]


def test_s3control_keeps_the_account_prefix_on_real_aws(aws_env: dict[str, str]) -> None:
    clients = AwsClients(AwsTarget(), Limits(max_attempts=0))
    client = clients.client("s3control")
    urls: list[str] = []

    def answer_locally(request: Any, **_: Any) -> AWSResponse:  # never leaves the machine
        urls.append(request.url)
        return AWSResponse(request.url, 200, {}, _Raw(b"<GetPublicAccessBlockOutput/>"))

    client.meta.events.register("before-send", answer_locally)
    clients.call(client, "GetPublicAccessBlock", AccountId="123456789012")
    assert urls == [
        "https://123456789012.s3-control.us-east-1.amazonaws.com"
        "/v20180820/configuration/publicAccessBlock"
    ]


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


# -- error mapping on botocore's real exception shapes -----------------------------------------


def _client_error(code: str, status: int, message: str = "msg") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "GetBucketPolicy",
    )


@pytest.mark.parametrize(
    ("error", "kind", "code"),
    [
        (_client_error("AccessDenied", 403), AccessDenied, "AccessDenied"),
        (_client_error("AllAccessDisabled", 403), AccessDenied, "AllAccessDisabled"),
        (_client_error("InvalidAccessKeyId", 403), AccessDenied, "InvalidAccessKeyId"),
        (_client_error("AccessDeniedException", 400), AccessDenied, "AccessDeniedException"),
        (_client_error("SlowDown", 503), Throttled, "SlowDown"),
        (_client_error("Throttling", 400), Throttled, "Throttling"),
        (_client_error("ThrottlingException", 400), Throttled, "ThrottlingException"),
        (_client_error("RequestLimitExceeded", 400), Throttled, "RequestLimitExceeded"),
        (_client_error("TooManyRequestsException", 429), Throttled, "TooManyRequestsException"),
        (_client_error("ServiceUnavailable", 503), Throttled, "ServiceUnavailable"),
        (_client_error("NoSuchBucketPolicy", 404), CollectError, "NoSuchBucketPolicy"),
        (_client_error("InternalError", 500), CollectError, "InternalError"),
        (_client_error("", 500, ""), CollectError, "500"),
        (
            EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
            EndpointError,
            "EndpointConnectionError",
        ),
        (
            ConnectionClosedError(endpoint_url="http://127.0.0.1:9"),
            EndpointError,
            "ConnectionClosedError",
        ),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:9"), EndpointError, "ReadTimeoutError"),
        (
            ConnectTimeoutError(endpoint_url="http://127.0.0.1:9"),
            EndpointError,
            "ConnectTimeoutError",
        ),
        (ResponseParserError("Unable to parse"), MalformedResponse, "ResponseParserError"),
        (ValueError('Invalid timestamp "x"'), MalformedResponse, "ValueError"),
        (NoCredentialsError(), AccessDenied, "NoCredentialsError"),
    ],
)
def test_botocore_errors_map_onto_the_andon_tree(
    error: Exception, kind: type[CollectError], code: str
) -> None:
    mapped = map_error(error, service="s3", operation="GetBucketPolicy")
    assert type(mapped) is kind
    assert (mapped.service, mapped.operation, mapped.code) == ("s3", "GetBucketPolicy", code)
    assert str(mapped).startswith(f"{code} on GetBucketPolicy: ")


def test_a_denial_reads_as_a_gap_reason() -> None:
    mapped = map_error(
        _client_error("AccessDenied", 403, "Access Denied"), service="s3", operation="GetBucketAcl"
    )
    assert str(mapped) == "AccessDenied on GetBucketAcl: Access Denied"


def test_query_style_errors_of_rest_services_keep_their_code() -> None:
    error = ClientError(
        {
            "Error": {"Code": "", "Message": ""},
            "Errors": {"Error": {"Code": "AccessDenied", "Message": "not authorized"}},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        },
        "ListAccessPoints",
    )
    mapped = map_error(error, service="s3control", operation="ListAccessPoints")
    assert isinstance(mapped, AccessDenied)
    assert str(mapped) == "AccessDenied on ListAccessPoints: not authorized"


# -- the same, end to end over HTTP ------------------------------------------------------------


class Scripted(ThreadingHTTPServer):
    """A loopback HTTP server answering every request the same scripted way."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.status = 200
        self.body = b""
        self.mode = "answer"  # or "silent" (never answers) or "hangup" (closes the socket)
        self.requests = 0
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Scripted
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.requests += 1
        if self.server.mode == "silent":
            self.server.release.wait(5)
            return
        if self.server.mode == "hangup":
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    do_POST = do_GET

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    server = Scripted()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def _get_acl(url: str, **limits: Any) -> None:
    clients = AwsClients(AwsTarget(endpoint_url=url), Limits(**limits))
    clients.call(clients.client("s3"), "GetBucketAcl", Bucket="andon-bucket")


def _s3_error(code: str, message: str) -> bytes:
    return f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()


def test_http_throttling_is_retried_then_throttled(
    scripted: Scripted, aws_env: dict[str, str]
) -> None:
    scripted.status, scripted.body = 503, _s3_error("SlowDown", "Please reduce your request rate.")
    with pytest.raises(Throttled) as caught:
        _get_acl(scripted.url, max_attempts=1)
    assert scripted.requests == 1 + 1  # botocore's adaptive retries ran out first
    assert str(caught.value) == "SlowDown on GetBucketAcl: Please reduce your request rate."
    assert (caught.value.service, caught.value.operation) == ("s3", "GetBucketAcl")


def test_http_denial_is_access_denied(scripted: Scripted, aws_env: dict[str, str]) -> None:
    scripted.status, scripted.body = 403, _s3_error("AccessDenied", "Access Denied")
    with pytest.raises(AccessDenied, match=r"^AccessDenied on GetBucketAcl: Access Denied$"):
        _get_acl(scripted.url, max_attempts=3)
    assert scripted.requests == 1  # a denial is not retried


def test_http_unparseable_answers_are_malformed(
    scripted: Scripted, aws_env: dict[str, str]
) -> None:
    clients = AwsClients(AwsTarget(endpoint_url=scripted.url), Limits(max_attempts=0))
    scripted.body = b"<GetCallerIdentityResponse><Account>not closed"
    with pytest.raises(MalformedResponse) as caught:
        clients.account_id()
    assert (caught.value.service, caught.value.operation) == ("sts", "GetCallerIdentity")
    assert caught.value.code == "ResponseParserError"

    scripted.body = (
        b"<ListAllMyBucketsResult><Buckets><Bucket><Name>b</Name>"
        b"<CreationDate>yesterday-ish</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>"
    )  # botocore raises a bare ValueError for this one
    with pytest.raises(MalformedResponse) as caught:
        clients.call(clients.client("s3"), "ListBuckets")
    assert (caught.value.operation, caught.value.code) == ("ListBuckets", "ValueError")


def test_sts_answer_without_an_account_is_malformed(
    scripted: Scripted, aws_env: dict[str, str]
) -> None:
    scripted.body = (
        b"<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::x</Arn>"
        b"</GetCallerIdentityResult></GetCallerIdentityResponse>"
    )
    clients = AwsClients(AwsTarget(endpoint_url=scripted.url), Limits(max_attempts=0))
    with pytest.raises(MalformedResponse, match="no account id"):
        clients.account_id()


def test_s3_unparseable_200_is_retried_as_a_500(
    scripted: Scripted, aws_env: dict[str, str]
) -> None:
    scripted.body = b"<AccessControlPolicy><Owner>cut short"
    with pytest.raises(CollectError) as caught:
        _get_acl(scripted.url, max_attempts=1)
    assert scripted.requests == 2  # botocore took it for a truncated answer and retried
    assert (type(caught.value), caught.value.code) == (CollectError, "500")


def test_http_server_error_keeps_its_status_as_code(
    scripted: Scripted, aws_env: dict[str, str]
) -> None:
    scripted.status, scripted.body = 500, b"<html>oops</html>"
    with pytest.raises(CollectError) as caught:
        _get_acl(scripted.url, max_attempts=0)
    assert type(caught.value) is CollectError
    assert caught.value.code == "500"


def test_http_silence_is_an_endpoint_error(scripted: Scripted, aws_env: dict[str, str]) -> None:
    scripted.mode = "silent"
    started = time.monotonic()
    with pytest.raises(EndpointError) as caught:
        _get_acl(scripted.url, max_attempts=0, read_timeout=0.3)
    assert caught.value.code == "ReadTimeoutError"
    assert time.monotonic() - started < 5


def test_http_hangup_is_an_endpoint_error(scripted: Scripted, aws_env: dict[str, str]) -> None:
    scripted.mode = "hangup"
    with pytest.raises(EndpointError) as caught:
        _get_acl(scripted.url, max_attempts=0)
    assert caught.value.code == "ConnectionClosedError"


def test_refused_connection_is_an_endpoint_error(aws_env: dict[str, str]) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(EndpointError) as caught:
        _get_acl(f"http://127.0.0.1:{port}", max_attempts=0)
    assert caught.value.code == "EndpointConnectionError"
    assert "GetBucketAcl" in str(caught.value)


def test_xml_parse_error_from_botocore_handlers_is_malformed_response() -> None:
    # botocore's S3 handlers (e.g. GetBucketLocation) parse bodies with ElementTree; an
    # endpoint dying mid-answer leaves an empty body and a ParseError, not a botocore error.
    from xml.etree.ElementTree import ParseError

    from andon.collect.aws.transport import map_error
    from andon.core.errors import MalformedResponse

    err = map_error(
        ParseError("no element found: line 1, column 0"),
        service="s3",
        operation="GetBucketLocation",
    )
    assert isinstance(err, MalformedResponse)
    assert err.operation == "GetBucketLocation"
    assert "no element found" in str(err)
