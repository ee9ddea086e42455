"""The application factory: the composition root that wires core, the channels and the console."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, jsonify

from core.config import Config
from core.db import ping
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

    app.register_blueprint(voicebot.bp)
    app.register_blueprint(smsbot.bp)
    app.register_blueprint(staff.bp)

    @app.get("/healthz")
    def healthz():
        ok = ping(runtime.engine)
        body = {
            "status": "ok" if ok else "unavailable",
            "database": "ok" if ok else "down",
            "jobs": "rq" if config.redis_url else "in-process",
        }
        return jsonify(body), 200 if ok else 503

    return app
