"""GET /metrics: Prometheus text, behind a bearer token (CLINICLINE_METRICS_TOKEN; without it, 404).

Webhook requests are timed and counted here, by channel and outcome, so the channels stay free of it.
"""

from __future__ import annotations

import hmac
import os
import time

from flask import Blueprint, Flask, Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from core import metrics

CHANNELS = (("/fallback/sms", "sms"), ("/fallback/voice", "voice"), ("/sms", "sms"), ("/voice", "voice"))


def _channel(path: str) -> str | None:
    return next((channel for prefix, channel in CHANNELS if path.startswith(prefix)), None)


def _registry(runtime) -> CollectorRegistry:
    """The counters (summed over processes in multiprocess mode) and the state read now."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (metrics.TURNS, metrics.TURN_SECONDS, metrics.DEGRADED_ANSWERS):
            registry.register(collector)
    registry.register(metrics.StateCollector(runtime))
    return registry


def init_degraded_line(app: Flask, runtime) -> None:
    """/metrics, and a replayer for a spool left by an earlier run (it waits for the database to answer)."""
    from core.spool import spool_for, wake_replayer

    init_metrics(app, runtime)
    if spool_for(runtime).has_pending():
        wake_replayer(runtime)


def init_metrics(app: Flask, runtime) -> None:
    """Register /metrics (webhook requests are timed in their own app: time_webhooks)."""
    token = runtime.config.metrics_token
    bp = Blueprint("metrics", __name__)

    @bp.get("/metrics")
    def scrape():
        if not token:
            abort(404)  # not configured: not there
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return Response("unauthorized\n", status=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(_registry(runtime)), mimetype=CONTENT_TYPE_LATEST)

    app.register_blueprint(bp)


def time_webhooks(app: Flask) -> None:
    """Time and count every webhook request of `app`, by channel and outcome."""

    @app.before_request
    def _start_clock():
        g.clinicline_started = time.perf_counter()

    @app.after_request
    def _count_turn(response):
        channel = _channel(request.path)
        if channel is None or request.path.endswith("/status"):
            return response
        if response.status_code >= 500:
            outcome = "error"
        elif response.status_code >= 400:
            outcome = "refused"
        else:
            outcome = g.get("clinicline_outcome", "ok")
        metrics.TURNS.labels(channel=channel, outcome=outcome).inc()
        started = g.get("clinicline_started")
        if started is not None:
            metrics.TURN_SECONDS.labels(channel=channel).observe(time.perf_counter() - started)
        return response
