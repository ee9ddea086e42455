"""What every Twilio webhook route shares on the Flask side: the runtime, the public URL, the signature check.

The replay of retried events lives in core.replay (no Flask); this module is the adapters' half.
"""

from __future__ import annotations

import functools
import logging

from flask import Request, abort, current_app, request
from twilio.request_validator import RequestValidator

from core.runtime import Runtime

log = logging.getLogger(__name__)


def runtime() -> Runtime:
    """The runtime of the current app."""
    return current_app.extensions["clinicline"]


def public_url(request: Request, public_base_url: str | None) -> str:
    """The URL Twilio called: behind a TLS proxy the app sees another one, so rebuild it from the base URL."""
    if not public_base_url:
        return request.url
    query = request.query_string.decode("latin-1")
    return public_base_url + request.path + (f"?{query}" if query else "")


def signature_is_valid(request: Request, auth_token: str, public_base_url: str | None) -> bool:
    """Whether X-Twilio-Signature matches the URL and the POST parameters."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    validator = RequestValidator(auth_token)
    params = request.form.to_dict(flat=True) if request.method == "POST" else {}
    return validator.validate(public_url(request, public_base_url), params, signature)


def twilio_webhook(view):
    """A route Twilio calls: with an auth token configured, a request without a valid signature gets 403."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        config = runtime().config
        if config.verify_signatures and not signature_is_valid(
            request, config.twilio_auth_token, config.public_base_url
        ):
            log.warning("rejected %s: invalid X-Twilio-Signature", request.path)
            abort(403)
        return view(*args, **kwargs)

    return checked
