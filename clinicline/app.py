"""The application factory: the composition root that wires core, the channels and the console."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, jsonify

from clinicline.metrics import init_degraded_line
from core.config import Config
from core.db import ping
from core.federation import neighbour_health
from core.jobs import attach_queue
from core.runtime import Runtime, build_runtime


def create_app(config: Config | None = None, runtime: Runtime | None = None) -> Flask:
    """A clinicline web app; `runtime` lets tests share one with their own clock."""
    config = config or (runtime.config if runtime else Config.from_env())
    if runtime is None:
        runtime = build_runtime(config)
    if runtime.jobs is None:
        attach_queue(runtime)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.secret_key or secrets.token_urlsafe(32),
        TESTING=config.testing,
        MAX_CONTENT_LENGTH=1 * 1024 * 1024,
    )
    app.extensions["clinicline"] = runtime
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    import smsbot
    import staff
    import voicebot
    from staff import api_tokens as staff_api_tokens
    from staff import fhir as staff_fhir

    app.register_blueprint(voicebot.bp)
    app.register_blueprint(smsbot.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(staff_fhir.bp)  # /fhir: SMART Scheduling Links and the read API
    app.register_blueprint(staff_api_tokens.bp)  # /staff/api-tokens: the read API's tokens
    init_degraded_line(
        app, runtime
    )  # /metrics, and a replay of what the spool kept while the database was down

    @app.get("/healthz")
    def healthz():
        ok = ping(runtime.engine)
        body = {
            "status": "ok" if ok else "unavailable",
            "database": "ok" if ok else "down",
            "jobs": "rq" if config.redis_url else "in-process",
        }
        neighbours = neighbour_health(runtime) if ok else []
        if neighbours:  # federation: how each neighbour answered its last poll (a down one is flagged here)
            body["neighbours"] = neighbours
        return jsonify(body), 200 if ok else 503

    return app
