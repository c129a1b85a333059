"""An emulated AWS cloud on loopback: moto's server, in this process, on a free port.

::

    with EmulatedCloud() as cloud:
        manifest = cloud.seed()            # the synthetic connected-car estate
        s3 = cloud.client("s3", manifest.scanner)
        ...

moto is imported only when the cloud starts, so ``andon.demo`` can be imported without the
``demo`` extra; starting without moto raises :class:`~andon.core.errors.ConfigError`.

Things to know about moto (5.x) in this mode:

* Its state is process-wide: every :class:`EmulatedCloud` in one process shares the same
  backends. :meth:`EmulatedCloud.start` therefore resets moto (an emulated cloud starts empty),
  and only one cloud should run at a time in a process.
* IAM enforcement is process-wide too (``moto.settings.INITIAL_NO_AUTH_ACTION_COUNT``). The
  cloud starts with enforcement off (any credentials work, :data:`DUMMY_CREDENTIALS` included);
  :meth:`EmulatedCloud.enforce_iam` turns it on through moto's ``/moto-api/reset-auth``
  endpoint; :meth:`EmulatedCloud.stop` puts back whatever value was there before.
* With enforcement on, every request must be signed by an IAM user's keys; an unsigned
  (anonymous) request makes moto fail with a 500 (it looks up a missing ``Authorization``
  header), so anonymous probes only work against a cloud without enforcement.
* s3control puts ``{AccountId}.`` in front of the endpoint host; :func:`make_client` strips it
  again (a ``before-sign`` hook, so signatures are computed on the real host).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import urllib.request
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from andon.core.errors import ConfigError

if TYPE_CHECKING:
    from andon.demo.estate import EstateManifest

DEFAULT_REGION = "ap-northeast-1"  # the estate belongs to a Japanese carmaker
INSTALL_HINT = "install andon[demo] (pip install 'andon[demo]') to use the emulated cloud"


@dataclass(frozen=True)
class Credentials:
    """An access key pair for the emulator. None of these are real AWS credentials."""

    access_key_id: str
    secret_access_key: str
    identity: str = ""  # who the keys belong to (an ARN), for people reading the output

    def __repr__(self) -> str:  # keep secrets out of logs and test output, even fake ones
        return f"Credentials(access_key_id={self.access_key_id!r}, identity={self.identity!r})"

    def to_dict(self) -> dict[str, str]:
        return {"access_key_id": self.access_key_id, "identity": self.identity}


DUMMY_CREDENTIALS = Credentials("testing", "testing", "dummy (emulator without IAM enforcement)")


def loopback_host(host: str) -> str:
    """``host`` if it is a loopback address (``localhost`` becomes ``127.0.0.1``).

    Raises :class:`ConfigError` for anything else: the emulator and the estate seeding never
    talk to a network beyond this machine.
    """
    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        raise ConfigError(
            f"the emulated cloud only runs on a loopback address, not {host!r}"
        ) from None
    if not address.is_loopback:
        raise ConfigError(f"the emulated cloud only runs on a loopback address, not {host!r}")
    return str(address)


def loopback_url(url: str) -> str:
    """``url`` if it is an ``http(s)`` URL to a loopback host; :class:`ConfigError` otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"not an http(s) endpoint URL: {url!r}")
    loopback_host(parts.hostname)
    return url


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _check_bindable(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as e:
        raise ConfigError(f"cannot listen on {_url(host, port)}: {e.strerror or e}") from e


def new_session(credentials: Credentials = DUMMY_CREDENTIALS) -> Any:
    """A boto3 session of its own (never boto3's default one) holding ``credentials``.

    Clients made from one session share its cache of API models: reuse it for many clients.
    """
    try:
        import boto3.session
    except ImportError as e:  # pragma: no cover - boto3 is part of the demo extra
        raise ConfigError(INSTALL_HINT) from e
    return boto3.session.Session(
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
    )


def make_client(
    service: str,
    endpoint_url: str,
    region: str = DEFAULT_REGION,
    credentials: Credentials = DUMMY_CREDENTIALS,
    *,
    session: Any = None,
) -> Any:
    """A boto3 client for ``service`` on the emulator, with short timeouts and the s3control
    host fix. ``session`` (from :func:`new_session`) overrides ``credentials``."""
    loopback_url(endpoint_url)
    from botocore.config import Config

    session = session if session is not None else new_session(credentials)
    config = Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=16,
        proxies={},  # loopback: never through a proxy from the environment
        s3={"addressing_style": "path"},
    )
    client = session.client(service, region_name=region, endpoint_url=endpoint_url, config=config)
    if service == "s3control":
        netloc = urlsplit(endpoint_url).netloc
        client.meta.events.register("before-sign.s3-control", _strip_account_prefix(netloc))
    return client


def _strip_account_prefix(netloc: str) -> Any:
    """A botocore hook that turns ``123456789012.127.0.0.1:port`` back into the endpoint."""

    def hook(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        if parts.netloc != netloc and parts.netloc.endswith("." + netloc):
            request.url = urlunsplit(parts._replace(netloc=netloc))

    return hook


class EmulatedCloud:
    """moto's server on a loopback port, started and stopped with the context manager.

    ``port=0`` (the default) lets the operating system pick a free port; the chosen one is in
    :attr:`port` and :attr:`endpoint_url` once started. ``quiet`` silences the per-request
    lines of werkzeug (moto's HTTP server) while the cloud runs.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = DEFAULT_REGION,
        quiet: bool = True,
    ) -> None:
        self.host = loopback_host(host)
        if not 0 <= port <= 65535:
            raise ConfigError(f"not a TCP port: {port}")
        self.region = region
        self.credentials = DUMMY_CREDENTIALS
        self._requested_port = port
        self._quiet = quiet
        self._server: Any = None
        self._port = 0
        self._previous_auth = "inf"
        self._previous_log_level: int | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> EmulatedCloud:
        if self._server is not None:
            raise ConfigError("this emulated cloud is already running")
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as e:
            raise ConfigError(INSTALL_HINT) from e
        # ThreadedMotoServer.start() waits forever when its thread cannot bind: check first.
        _check_bindable(self.host, self._requested_port)
        if self._quiet:
            werkzeug_log = logging.getLogger("werkzeug")
            self._previous_log_level = werkzeug_log.level
            werkzeug_log.setLevel(logging.CRITICAL)
        try:
            server = ThreadedMotoServer(
                ip_address=self.host, port=self._requested_port, verbose=False
            )
            server.start()
            self._server = server
            self._port = int(server.get_host_and_port()[1])
            answer = self._moto_api("reset-auth", b"inf")
            self._previous_auth = str(answer.get("PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT", "inf"))
            self._moto_api("reset", b"")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server and put moto's process-wide auth setting back. Idempotent."""
        server, self._server = self._server, None
        try:
            if server is not None:
                try:
                    self._moto_api("reset-auth", self._previous_auth.encode(), server_running=True)
                finally:
                    server.stop()
        finally:
            if self._previous_log_level is not None:
                logging.getLogger("werkzeug").setLevel(self._previous_log_level)
                self._previous_log_level = None

    def __enter__(self) -> EmulatedCloud:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- facts -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        self._require_running()
        return self._port

    @property
    def endpoint_url(self) -> str:
        self._require_running()
        return _url(self.host, self._port)

    # -- helpers ---------------------------------------------------------------------------

    def client(self, service: str, credentials: Credentials | None = None) -> Any:
        """A boto3 client on this cloud (dummy credentials unless others are given)."""
        return make_client(service, self.endpoint_url, self.region, credentials or self.credentials)

    def enforce_iam(self, enabled: bool = True) -> None:
        """Make moto check every request against IAM (process-wide, undone by :meth:`stop`)."""
        self._moto_api("reset-auth", b"0" if enabled else b"inf")

    def reset(self) -> None:
        """Forget every resource (all of moto's backends in this process)."""
        self._moto_api("reset", b"")

    def seed(self, **options: Any) -> EstateManifest:
        """Seed the synthetic connected-car estate; see :func:`andon.demo.estate.seed_estate`."""
        from andon.demo.estate import seed_estate

        return seed_estate(self.endpoint_url, self.region, **options)

    def _require_running(self) -> None:
        if self._server is None:
            raise ConfigError("the emulated cloud is not running (use it as a context manager)")

    def _moto_api(self, path: str, body: bytes, *, server_running: bool = False) -> dict[str, Any]:
        if not server_running:
            self._require_running()
        return moto_api(_url(self.host, self._port), path, body)


def moto_api(endpoint_url: str, path: str, body: bytes = b"") -> dict[str, Any]:
    """POST ``body`` to moto's control API (``/moto-api/<path>``) on a loopback endpoint."""
    url = loopback_url(endpoint_url).rstrip("/") + "/moto-api/" + path
    # text/plain: with urllib's default form type, moto would find the body empty
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    with opener.open(request, timeout=10) as response:
        text = response.read().decode() or "{}"
    try:
        answer = json.loads(text)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
