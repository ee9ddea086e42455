"""The append-only audit log."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.models import AuditEntry


def record(
    session: Session,
    action: str,
    *,
    channel: str,
    clinic_id: str | None = None,
    actor: str | None = None,
    subject: str | None = None,
    **detail,
) -> None:
    """Append one entry; never updated, never deleted by the application."""
    session.add(
        AuditEntry(
            action=action,
            channel=str(channel),
            clinic_id=clinic_id,
            actor=actor,
            subject=subject,
            detail=detail,
        )
    )
