"""A loopback endpoint that answers chosen routes with recorded AWS responses and forwards
every other request to the moto server.

For the calls moto lacks or answers in another shape than AWS (ListFunctionUrlConfigs,
GetVaultAccessPolicy, GetBackupVaultAccessPolicy, the escaped REST API policy), a test seeds
moto, then points Andon at this endpoint with the documented answer for just that route: the
collector runs unchanged, with real boto3 clients over HTTP, and botocore parses the recorded
wire shape.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Route = tuple[str, str]  # (HTTP method, regular expression over the path without the query)


@dataclass(frozen=True)
class Answer:
    """A recorded answer: HTTP status, JSON body, extra headers (``x-amzn-ErrorType`` …)."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@contextmanager
def recorded_endpoint(upstream: str, routes: dict[Route, Answer]) -> Iterator[str]:
    """Serve ``routes`` on 127.0.0.1 (any free port), forward the rest to ``upstream``; yield
    the URL. ``routes`` may be filled in after the server starts (it is read per request)."""
    target = urlsplit(upstream)
    compiled = routes

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            for (method, pattern), answer in list(compiled.items()):
                if method == self.command and re.fullmatch(pattern, path):
                    data = json.dumps(answer.body).encode()
                    self.send_response(answer.status)
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
            conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            headers["Host"] = target.netloc
            conn.request(self.command, self.path, body=body, headers=headers)
            reply = conn.getresponse()
            data = reply.read()
            self.send_response(reply.status)
            for key, value in reply.getheaders():
                if key.lower() not in {"content-length", "transfer-encoding", "connection"}:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
