"""The application factory: the composition root that wires core, the channels and the console."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, request

from core.config import Config, secret_key_of
from core.db import deadline, ping
from core.health import Probe, redis_ping
from core.jobs import attach_queue
from core.runtime import Runtime, build_runtime

HEALTH_WAIT_SECONDS = 1.5  # /healthz answers within 2 s, whatever hangs
WEBHOOK_BLUEPRINTS = ("voicebot", "smsbot")
REQUEST_DEADLINE_SECONDS = 10.0  # the staff console and the other pages


def create_app(config: Config | None = None, runtime: Runtime | None = None) -> Flask:
    """A clinicline web app; `runtime` lets tests share one with their own clock."""
    config = config or (runtime.config if runtime else Config.from_env())
    if runtime is None:
        runtime = build_runtime(config)
    if runtime.jobs is None:
        attach_queue(runtime)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key_of(config),
        TESTING=config.testing,
        MAX_CONTENT_LENGTH=1 * 1024 * 1024,
        # No configured password: the console stays closed (serve makes one up and prints it).
        STAFF_PASSWORD=config.staff_password,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.extensions["clinicline"] = runtime
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    import smsbot
    import staff
    import voicebot

    app.register_blueprint(voicebot.bp)
    app.register_blueprint(smsbot.bp)
    app.register_blueprint(staff.bp)

    @app.before_request
    def _request_deadline():
        # Every database call of a request ends in time: a webhook's within Twilio's patience (the
        # degraded answer follows), a page's before the browser gives up. /healthz has its own probes.
        if request.endpoint == "healthz":
            return
        seconds = (
            config.webhook_deadline_seconds
            if request.blueprint in WEBHOOK_BLUEPRINTS
            else REQUEST_DEADLINE_SECONDS
        )
        g.clinicline_deadline = deadline(seconds)
        g.clinicline_deadline.__enter__()

    @app.teardown_request
    def _end_webhook_deadline(_exc):
        held = g.pop("clinicline_deadline", None)
        if held is not None:
            held.__exit__(None, None, None)

    database_probe = Probe(lambda: ping(runtime.engine), HEALTH_WAIT_SECONDS)
    queue_probe = (
        Probe(redis_ping(config.redis_url, HEALTH_WAIT_SECONDS), HEALTH_WAIT_SECONDS)
        if config.redis_url
        else None
    )

    @app.get("/healthz")
    def healthz():
        """200 while patients can be answered (the database); the job queue is reported beside it."""
        database = database_probe()
        queue = queue_probe() if queue_probe else "ok"
        if database != "ok":
            status = "unavailable"
        else:
            status = "ok" if queue == "ok" else "degraded"  # jobs wait in the outbox until the queue is back
        body = {
            "status": status,
            "database": database,
            "jobs": "rq" if config.redis_url else "in-process",
            "job_queue": queue,
        }
        return jsonify(body), 200 if database == "ok" else 503

    return app
