"""The Twilio error codes clinicline acts on, in one place (they arrive as ints from the REST client and as
strings in status callbacks)."""

from __future__ import annotations

OPTED_OUT = frozenset({21610})  # the recipient replied STOP to this sender: send nothing more
NOT_TEXTABLE = frozenset({21211, 21614, 30006})  # invalid number, not a mobile, landline/unreachable carrier
TRANSIENT_SEND = frozenset({30003, 20429, 20500, 20503})  # unreachable handset, rate limit, Twilio trouble
TRANSIENT_DELIVERY = frozenset({30003})  # undelivered to a handset that was off: worth another attempt


def error_code(raw: object) -> int | None:
    """A Twilio error code as an int ("21610" and 21610 alike); None when there is none."""
    try:
        return int(str(raw).strip()) if raw is not None else None
    except ValueError:
        return None
