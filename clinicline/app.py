"""The application factory: the composition root that wires core, the channels and the console."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, request

from clinicline.metrics import init_degraded_line
from core.config import Config, secret_key_of
from core.db import deadline, ping
from core.federation import neighbour_health
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
    )
    app.extensions["clinicline"] = runtime
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    import smsbot
    import staff
    import voicebot
    from staff import api_tokens as staff_api_tokens
    from staff import display as staff_display
    from staff import fhir as staff_fhir

    app.register_blueprint(voicebot.bp)
    app.register_blueprint(smsbot.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(staff_fhir.bp)  # /fhir: SMART Scheduling Links and the read API
    app.register_blueprint(staff_api_tokens.bp)  # /staff/api-tokens: the read API's tokens
    app.register_blueprint(staff_display.screen)  # /display/<token>: the waiting-room screen
    init_degraded_line(
        app, runtime
    )  # /metrics, and a replay of what the spool kept while the database was down

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
        neighbours = neighbour_health(runtime) if database == "ok" else []
        if neighbours:  # federation: how each neighbour answered its last poll (a down one is flagged here)
            body["neighbours"] = neighbours
        return jsonify(body), 200 if database == "ok" else 503

    return app
