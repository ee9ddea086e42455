"""The append-only audit log."""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.models import AuditEntry

_APPEND = insert(AuditEntry.__table__)

# The staff account acting in this request (set by the console around each request, reset after it), so
# services that record staff actions need not carry the account through their signatures.
acting_account: ContextVar[int | None] = ContextVar("acting_account", default=None)


def record(
    session: Session,
    action: str,
    *,
    channel: str,
    clinic_id: str | None = None,
    actor: str | None = None,
    subject: str | None = None,
    account_id: int | None = None,
    **detail,
) -> None:
    """Append one entry; never updated, never deleted by the application.

    One plain INSERT, sent now: an entry is never read back in the transaction that writes it, so the ORM's
    unit of work (a flush of its own before a savepoint ends or the answer is kept) is not paid for it.
    """
    session.execute(
        _APPEND,
        {
            "action": action,
            "channel": str(channel),
            "clinic_id": clinic_id,
            "actor": actor,
            "subject": subject,
            "account_id": account_id if account_id is not None else acting_account.get(),
            "detail": detail,
        },
    )
