"""Prometheus metrics of ``andon watch`` (prometheus-client, an explicit registry).

Served on ``/metrics`` by :class:`MetricsServer` (a small HTTP server in a thread, loopback by
default). Nothing is registered globally: each daemon owns one :class:`WatchMetrics`.

=====================================================  =========  ==================================
metric                                                 type       meaning
=====================================================  =========  ==================================
``andon_open_exposures{severity}``                     gauge      open findings in the store
``andon_detection_latency_seconds``                    histogram  change (CloudTrail eventTime) to
                                                                  alert sent
``andon_watch_events_total{outcome}``                  counter    events: processed, duplicate,
                                                                  ignored, malformed
``andon_watch_batches_total``                          counter    batches committed
``andon_watch_queue_lag_seconds``                      histogram  message sent to SQS to received
``andon_watch_queue_depth``                            gauge      ApproximateNumberOfMessages
``andon_watch_errors_total{kind}``                     counter    failed calls, by error class
``andon_watch_sweep_duration_seconds``                 histogram  duration of reconciliation sweeps
``andon_watch_last_successful_sweep_timestamp_seconds`` gauge     end of the last complete sweep
``andon_watch_alerts_total{kind,ok}``                  counter    alerts handed out
=====================================================  =========  ==================================
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

SEVERITIES = ("critical", "high", "medium", "low", "info")
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)
SWEEP_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


class WatchMetrics:
    """Every metric of one daemon, on its own :class:`CollectorRegistry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.open_exposures = Gauge(
            "andon_open_exposures",
            "Open findings in the store, by severity",
            ["severity"],
            registry=r,
        )
        self.detection_latency = Histogram(
            "andon_detection_latency_seconds",
            "From the change (CloudTrail eventTime) to the alert sent",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.events = Counter(
            "andon_watch_events",
            "Events taken from the queue, by outcome",
            ["outcome"],
            registry=r,
        )
        self.batches = Counter("andon_watch_batches", "Batches committed", registry=r)
        self.queue_lag = Histogram(
            "andon_watch_queue_lag_seconds",
            "From the message entering SQS to this consumer receiving it",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "andon_watch_queue_depth", "Visible messages waiting in the queue", registry=r
        )
        self.errors = Counter(
            "andon_watch_errors", "Failed calls (retried), by error class", ["kind"], registry=r
        )
        self.sweep_duration = Histogram(
            "andon_watch_sweep_duration_seconds",
            "Duration of reconciliation sweeps",
            buckets=SWEEP_BUCKETS,
            registry=r,
        )
        self.last_sweep = Gauge(
            "andon_watch_last_successful_sweep_timestamp_seconds",
            "Unix time at which the last complete sweep ended",
            registry=r,
        )
        self.alerts = Counter(
            "andon_watch_alerts",
            "Alerts handed out, by transition kind and success",
            ["kind", "ok"],
            registry=r,
        )
        for severity in SEVERITIES:
            self.open_exposures.labels(severity=severity).set(0)
        for outcome in ("processed", "duplicate", "ignored", "malformed"):
            self.events.labels(outcome=outcome)

    def set_open(self, counts: Mapping[str, int]) -> None:
        """Open findings by severity (severities absent from ``counts`` are 0)."""
        for severity in set(SEVERITIES) | set(counts):
            self.open_exposures.labels(severity=severity).set(counts.get(severity, 0))

    def render(self) -> bytes:
        data: bytes = generate_latest(self.registry)
        return data


class MetricsServer:
    """``GET /metrics`` (and ``/healthz``) on ``host:port`` in a daemon thread; port 0 picks a
    free one (see :attr:`port`)."""

    def __init__(
        self, metrics: WatchMetrics, host: str = "127.0.0.1", port: int = 0, *, health: Any = None
    ) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] == "/metrics":
                    body, ctype, code = metrics.render(), CONTENT_TYPE_LATEST, 200
                elif self.path == "/healthz":
                    ok = outer.health() if outer.health is not None else True
                    body, ctype, code = (
                        (b"ok\n" if ok else b"unhealthy\n"),
                        "text/plain",
                        (200 if ok else 503),
                    )
                else:
                    body, ctype, code = b"not found\n", "text/plain", 404
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return  # no line per scrape

        self.health = health
        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.host = host
        self.port: int = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="andon-watch-metrics", daemon=True
        )

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
