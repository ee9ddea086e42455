"""A person by text: asking for one (or three misunderstandings) opens a thread in the clinic's inbox, and
while it is open the patient's texts land in it instead of the automated line (core.services.inbox)."""

from __future__ import annotations

from core.dialog.types import Reply, Say
from core.services import inbox
from core.services.clinics import is_open, next_opening

RECENT_TEXTS = 6  # the conversation so far that staff read when a thread opens
RECENT_CHARS = 300


def relay(t, h, keyword: bool = False) -> Reply | None:
    """SMS: the text goes to the open thread (and nothing automated answers it), else None.

    A bare keyword (RDV, MES RDV, AIDE…) still reaches the automated line, which a patient waiting on a
    person may need meanwhile (staff see the keyword in the thread), and so do the answers to the question
    it asks, until that exchange is over: a patient is never left without a reply to the words the line
    told them to text."""
    if not t.phone:
        return None
    # A thread is opened for a patient's row, which stays while a thread holds it (patient_data): a number
    # whose row this turn wrote has none. The turn's first statement said whether there is one
    # (core/dialog/store.py); the thread itself is read only then.
    known = t.ctx.known
    if t.patient_is_new or (known is not None and known.threads_read and known.open_thread_id is None):
        thread = None
    else:
        thread = inbox.open_thread_for(t.session, t.clinic.id, t.phone)
    if thread is None:
        if h.text:  # kept (briefly, in the conversation state) in case the patient asks for a person next
            t.state.recent = t.state.recent[-(RECENT_TEXTS - 1) :] + [h.text[:RECENT_CHARS]]
        return None
    if t.state.pending:  # an answer to the automated line's own question
        return None
    inbox.add_incoming(t.session, thread, h.text, t.now)
    if keyword:
        return None
    t.state.close()
    if h.intent == "emergency":  # staff may be slow to read: the safety line is said at once
        t.audit("dialog.emergency")
        return t.reply([Say("emergency")])
    return t.silent()


def hand_to_staff(t, reason: str) -> Reply:
    """Open a thread in the clinic's inbox and tell the patient who reads it, and when."""
    recent, t.state.recent = t.state.recent, []
    inbox.open_thread(t.session, t.clinic, t.patient(), reason, t.lang, recent, t.now)
    t.state.data = {}
    if is_open(t.clinic, "appointments", t.now):
        return t.done(Say("inbox_opened", {"clinic": t.clinic_name(), "phone": t.clinic_phone()}))
    opens = next_opening(t.clinic, "appointments", t.now)
    if opens is None:
        return t.done(Say("inbox_opened_no_hours", {"clinic": t.clinic_name(), "phone": t.clinic_phone()}))
    return t.done(Say("inbox_opened_later", {"clinic": t.clinic_name(), "when": opens}))
