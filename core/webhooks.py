"""What both Twilio webhooks share: the public URL, signature checks, and answering a retried event once."""

from __future__ import annotations

from flask import Request, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from core.models import ProcessedEvent
from core.runtime import Runtime


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


def replayed_response(session: Session, key: str) -> str | None:
    """What we answered the first time this event reached us, if it did."""
    return session.scalar(select(ProcessedEvent.response).where(ProcessedEvent.key == key))


def claim_event(session: Session, key: str) -> str | None:
    """Claim an event for this transaction, or get the answer a concurrent delivery of it already gave.

    Twilio may deliver the same event again while the first delivery is still being answered. Inserting
    the key first makes the second delivery wait on the first one's row; once the first commits, the
    second finds its answer instead of acting again.
    """
    replay = replayed_response(session, key)
    if replay is not None:
        return replay
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(key=key, response=""))
    except IntegrityError:
        return replayed_response(session, key) or ""
    return None


def remember_response(session: Session, key: str, response: str) -> None:
    """Keep the answer so a retry of the same event gets it again without acting twice."""
    session.merge(ProcessedEvent(key=key, response=response))
