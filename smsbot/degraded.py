"""The SMS line while the database does not answer: take walk-in and callback requests into the spool.

Nothing here touches the database: the clinic and the patient's appointments come from the local snapshot
(core.snapshot), requests go to the local spool (core.spool) and are replayed when the database is back.
Emergency words are answered first; "MES RDV" is answered from the snapshot; a walk-in request or a
request to be called back is recorded and the patient told so in their language (French when unknown);
anything else gets the usual apology.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from flask import g, has_request_context

from core import metrics
from core.language import detect_language, mentions_emergency, understand
from core.language.normalize import fold
from core.services.patients import try_normalize_phone
from core.snapshot import Snapshot, load
from core.spool import spool_for, wake_replayer
from core.timeutil import to_local
from prompts import render
from prompts.format import format_time, format_when, phone_for_eye
from smsbot.reply import bilingual, twiml

log = logging.getLogger(__name__)

CHANNEL = "sms"
# A request to be called back, in the words patients use (folded: no accents, lower case).
_CALLBACK = re.compile(
    r"\brappel(?:ez|er|le|ler|lez)?\b|\bme rappel|\bcall ?back\b|\bcall me\b|\bappelez[- ]moi\b"
    r"|\bphone me\b|\bring me\b|\bme telephoner\b|\btelephonez[- ]moi\b"
)
MAX_APPOINTMENTS = 3  # one message: the next few


def wants_callback(text: str) -> bool:
    """Whether a message asks to be called back."""
    return bool(_CALLBACK.search(fold(text or "")))


def answer(runtime, form, text: str) -> str:
    """The TwiML answer to an incoming SMS while the database does not answer (never touches it)."""
    now = runtime.now()
    to = (form.get("To") or "").strip()
    phone = try_normalize_phone(form.get("From"))
    snapshot = load(runtime.config.instance_path)
    clinic = snapshot.clinic_for_number(try_normalize_phone(to)) if snapshot else None
    known_lang = snapshot.patient_lang(phone) if snapshot and phone else None
    lang = detect_language(text, known_lang)
    if mentions_emergency(text):
        return _said("emergency", render("emergency", lang, CHANNEL))
    heard = understand(text, lang, _local_naive(now, clinic))
    if heard.intent == "list" and phone and snapshot and clinic:
        return _said("appointments", _appointments(snapshot, clinic[0], clinic[1], phone, lang, now))
    wants_walkin = heard.intent == "walkin" and (clinic is None or clinic[1].get("walkin_enabled"))
    callback = heard.intent == "person" or wants_callback(text)
    if phone and (wants_walkin or callback):
        kind = "walkin" if wants_walkin else "callback"
        message_sid = form.get("MessageSid") or form.get("SmsSid")
        spool_for(runtime).append(
            kind,
            now,
            channel=CHANNEL,
            phone=phone,
            to=try_normalize_phone(to) or to[:20],
            clinic_id=clinic[0] if clinic else None,
            lang=lang,
            name=heard.name if kind == "callback" else None,
            event=f"sms:{message_sid}" if message_sid else None,
        )
        wake_replayer(runtime)
        return _said(f"{kind}_recorded", render(f"degraded_{kind}_recorded", lang, CHANNEL))
    apology = bilingual("sms_fallback")
    if clinic and clinic[1].get("phone"):  # the snapshot knows the clinic: its number too
        number = phone_for_eye(clinic[1]["phone"])
        apology += "\n" + render("degraded_clinic_phone", lang, CHANNEL, phone=number)
    return _said("apology", apology)


def fallback(runtime, form, text: str) -> str:
    """Twilio's fallback URL: the same degraded answer (it never touches the database either)."""
    try:
        return answer(runtime, form, text)
    except Exception:  # the spool's disk failing too must still leave the patient an answer
        log.exception("degraded SMS answer failed")
        return _said("apology", bilingual("sms_fallback"))


def _said(what: str, text: str) -> str:
    metrics.DEGRADED_ANSWERS.labels(channel=CHANNEL, answer=what).inc()
    if has_request_context():
        g.clinicline_outcome = "degraded"
    return twiml(text)


def _local_naive(now: dt.datetime, clinic: tuple[str, dict] | None) -> dt.datetime:
    timezone = clinic[1].get("timezone") if clinic else None
    return to_local(now, timezone or "America/Toronto").replace(tzinfo=None)


def _appointments(snapshot: Snapshot, clinic_id: str, clinic: dict, phone: str, lang: str, now) -> str:
    """The patient's next appointments from the snapshot, saying when it was taken."""
    timezone = clinic.get("timezone") or "America/Toronto"
    taken = to_local(snapshot.generated_at, timezone)
    at = format_time(taken.time().replace(second=0, microsecond=0), lang, CHANNEL)
    if taken.date() != to_local(now, timezone).date():
        at = format_when(taken.replace(tzinfo=None, second=0, microsecond=0), lang, CHANNEL)
    upcoming = snapshot.upcoming(clinic_id, phone, now)[:MAX_APPOINTMENTS]
    if not upcoming:
        return render("degraded_no_appointments", lang, CHANNEL, time=at)
    items = "\n".join(
        render(
            "degraded_appointment_item",
            lang,
            CHANNEL,
            when=format_when(to_local(a.starts_at, timezone).replace(tzinfo=None), lang, CHANNEL),
            practitioner=a.practitioner,
            code=a.code,
        )
        for a in upcoming
    )
    return render("degraded_appointments", lang, CHANNEL, time=at) + "\n" + items


def spool_status(runtime, form) -> None:
    """Keep a delivery status that came while the database was down; it is recorded on replay."""
    spool_for(runtime).append(
        "status",
        runtime.now(),
        channel=CHANNEL,
        sid=(form.get("MessageSid") or form.get("SmsSid") or "")[:64],
        status=(form.get("MessageStatus") or form.get("SmsStatus") or "")[:20],
        error_code=(form.get("ErrorCode") or None),
    )
    wake_replayer(runtime)
    metrics.DEGRADED_ANSWERS.labels(channel=CHANNEL, answer="status_spooled").inc()
