"""API tokens for a clinic's own systems (the FHIR read API): shown once, kept as a hash, revocable, audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import DomainError
from core.models import ApiToken, Clinic
from core.services import audit

PREFIX = "clt_"


class TokenError(DomainError):
    """The clinic or the token does not exist (or the token is already revoked)."""


def _hash(token: str) -> str:
    # The token is 256 random bits: a plain SHA-256 cannot be brute-forced, and a lookup stays one index hit.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, clinic_id: str, name: str, actor: str | None, now: dt.datetime):
    """A new token for a clinic: returns (row, the token itself, which is never stored nor shown again)."""
    if session.get(Clinic, clinic_id) is None:
        raise TokenError(f"no clinic {clinic_id!r}")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        clinic_id=clinic_id,
        name=(name or "api")[:80],
        prefix=token[:12],
        token_hash=_hash(token),
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, "api_token.created", channel="staff", clinic_id=clinic_id, actor=actor, subject=f"api_token:{row.id}",
        name=row.name, prefix=row.prefix,
    )  # fmt: skip
    return row, token


def revoke_token(session: Session, token_id: int, actor: str | None, now: dt.datetime) -> ApiToken:
    """Revoke a token at once; the row stays so the audit trail still names it."""
    row = session.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None:
        raise TokenError(f"no active token {token_id}")
    row.revoked_at = now
    audit.record(
        session, "api_token.revoked", channel="staff", clinic_id=row.clinic_id, actor=actor,
        subject=f"api_token:{row.id}", prefix=row.prefix,
    )  # fmt: skip
    return row


def list_tokens(session: Session, clinic_id: str | None = None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.clinic_id, ApiToken.id)
    if clinic_id:
        query = query.where(ApiToken.clinic_id == clinic_id)
    return list(session.scalars(query))


def authenticate(session: Session, presented: str | None, now: dt.datetime) -> ApiToken | None:
    """The live token behind an `Authorization: Bearer …` value, or None."""
    if not presented or not presented.startswith(PREFIX) or len(presented) > 200:
        return None
    digest = _hash(presented)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, digest):
        return None
    row.last_used_at = now
    return row


def record_read(session: Session, token: ApiToken, what: str, count: int, query: str) -> None:
    """Every read through the API is in the audit log, under the token's prefix."""
    audit.record(
        session, "api.read", channel="api", clinic_id=token.clinic_id, actor=f"token:{token.prefix}",
        subject=what, count=count, query=query[:200],
    )  # fmt: skip
