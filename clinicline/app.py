"""The application factory: the composition root that wires core, the channels and the console."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, request
from flask.sessions import SessionInterface

from clinicline.metrics import init_degraded_line, time_webhooks
from core.config import Config, secret_key_of
from core.db import CONNECT_TIMEOUT_SECONDS, deadline, known_to_hang, ping
from core.federation import neighbour_health
from core.health import Probe, redis_ping
from core.jobs import attach_queue
from core.runtime import Runtime, build_runtime

HEALTH_WAIT_SECONDS = 1.5  # /healthz answers within 2 s, whatever hangs
REQUEST_DEADLINE_SECONDS = 10.0  # the staff console and the other pages


WEBHOOK_PATHS = ("/sms", "/voice", "/fallback")  # what Twilio asks for: the webhook app's, all of it


def create_app(config: Config | None = None, runtime: Runtime | None = None) -> Flask:
    """A clinicline web app; `runtime` lets tests share one with their own clock.

    Two Flask apps answer under one address: Twilio's webhooks (WEBHOOK_PATHS) in an app of their own,
    without the console's sign-in, form tokens, rate limits and cookies, which a webhook never uses and
    would pay for on every turn; and the console with everything else. The returned app is the console's,
    with the webhooks' app in front of it (`app.extensions["webhooks"]`).
    """
    config = config or (runtime.config if runtime else Config.from_env())
    if runtime is None:
        runtime = build_runtime(config)
    if runtime.jobs is None:
        attach_queue(runtime)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = _flask_app(__name__, config, runtime)
    hooks = webhooks_app(config, runtime)

    import staff
    from staff import api_tokens as staff_api_tokens
    from staff import display as staff_display
    from staff import fhir as staff_fhir

    app.register_blueprint(staff.bp)
    app.register_blueprint(staff_fhir.bp)  # /fhir: SMART Scheduling Links and the read API
    app.register_blueprint(staff_api_tokens.bp)  # /staff/api-tokens: the read API's tokens
    app.register_blueprint(staff_display.screen)  # /display/<token>: the waiting-room screen
    init_degraded_line(
        app, runtime
    )  # /metrics, and a replay of what the spool kept while the database was down
    _with_deadline(app, lambda: REQUEST_DEADLINE_SECONDS)

    database_probe = Probe(lambda: ping(runtime.engine), HEALTH_WAIT_SECONDS)
    queue_probe = (
        Probe(redis_ping(config.redis_url, HEALTH_WAIT_SECONDS), HEALTH_WAIT_SECONDS)
        if config.redis_url
        else None
    )

    @app.get("/healthz")
    def healthz():
        """200 while patients can be answered (the database); the job queue is reported beside it."""
        # While this process knows the database hangs, its breaker's probe is already pinging it: /healthz
        # says so at once rather than wait on a ping of its own, since it may itself have waited for a
        # thread behind webhooks that the hang held.
        database = "timeout" if known_to_hang(runtime.engine) else database_probe()
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

    app.extensions["webhooks"] = hooks
    app.wsgi_app = _PathDispatch(hooks.wsgi_app, app.wsgi_app)
    _warm(runtime)
    return app


def _warm(runtime: Runtime) -> None:
    """The turn's first statement, run once in this process before its threads serve (core.dialog.store.warm);
    a database that does not answer now is simply not warmed: the first turns then warm it."""
    from core.dialog import store

    try:
        with deadline(CONNECT_TIMEOUT_SECONDS + 1, gated=False), runtime.session_factory() as session:
            store.warm(session, runtime.now())
            session.rollback()
    except Exception:  # noqa: BLE001 - never stops the app from starting
        logging.getLogger(__name__).warning("database not reached at start: turns warm it themselves")


def webhooks_app(config: Config, runtime: Runtime) -> Flask:
    """The app Twilio talks to: the SMS and voice blueprints, each request timed, counted and given the
    webhook deadline (every database call ends within Twilio's patience; the degraded answer follows)."""
    import smsbot
    import voicebot

    hooks = _flask_app("clinicline.webhooks", config, runtime)
    hooks.session_interface = _NoCookies()
    hooks.register_blueprint(voicebot.bp)
    hooks.register_blueprint(smsbot.bp)
    time_webhooks(hooks)
    _with_deadline(hooks, lambda: config.webhook_deadline_seconds)
    return hooks


def _flask_app(name: str, config: Config, runtime: Runtime) -> Flask:
    app = Flask(name)
    app.config.update(
        SECRET_KEY=secret_key_of(config),
        TESTING=config.testing,
        MAX_CONTENT_LENGTH=1 * 1024 * 1024,
    )
    app.extensions["clinicline"] = runtime
    return app


def _with_deadline(app: Flask, seconds) -> None:
    """Every database call of a request ends in time (a page's before the browser gives up); /healthz has
    its own probes."""

    @app.before_request
    def _request_deadline():
        if request.endpoint == "healthz":
            return
        g.clinicline_deadline = deadline(seconds())
        g.clinicline_deadline.__enter__()

    @app.teardown_request
    def _end_request_deadline(_exc):
        held = g.pop("clinicline_deadline", None)
        if held is not None:
            held.__exit__(None, None, None)


class _NoCookies(SessionInterface):
    """Twilio keeps no cookie, and a webhook keeps nothing in one: no session is read or written."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        return None


class _PathDispatch:
    """WSGI: Twilio's paths go to the webhooks' app, everything else to the console's."""

    def __init__(self, webhooks, console):
        self.webhooks, self.console = webhooks, console

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        for prefix in WEBHOOK_PATHS:
            if path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == "/"):
                return self.webhooks(environ, start_response)
        return self.console(environ, start_response)
