"""The phone line while the database does not answer: a short menu whose steps need no database.

1 registers for the walk-in clinic, 2 asks to be called back (the caller says their name), 3 reads the
caller's appointments from the local snapshot, 9 switches language. Requests go to the local spool
(core.spool) and are replayed when the database is back. Every step is a Gather on /fallback/voice with
the step in the query string, followed by a Redirect for silence; two silences or wrong keys end the call
with the usual apology.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from flask import g, has_request_context
from twilio.twiml.voice_response import VoiceResponse

from core import metrics
from core.language import mentions_emergency, understand
from core.snapshot import Snapshot, load
from core.spool import spool_for, wake_replayer
from core.timeutil import to_local
from prompts import render
from prompts.format import format_time, format_when
from voicebot.calls import MAX_SPEECH, call_sid, caller_phone, is_outbound
from voicebot.twiml import GATHER_TIMEOUT, SPEECH_TIMEOUT, bilingual_goodbye, voice_of

log = logging.getLogger(__name__)

CHANNEL = "voice"
FALLBACK_URL = "/fallback/voice"
MAX_TRIES = 2
MAX_APPOINTMENTS = 3
LANGS = ("fr", "en")


def _url(step: str, lang: str, **extra) -> str:
    return f"{FALLBACK_URL}?{urlencode({'step': step, 'lang': lang, **extra})}"


def _said(what: str, twiml: str) -> str:
    metrics.DEGRADED_ANSWERS.labels(channel=CHANNEL, answer=what).inc()
    if has_request_context():
        g.clinicline_outcome = "degraded"
    return twiml


def _say(verb, key: str, lang: str, **values) -> None:
    voice, tag = voice_of(lang)
    verb.say(render(key, lang, CHANNEL, **values), voice=voice, language=tag)


def _clinic(snapshot: Snapshot | None, form) -> tuple[str, dict] | None:
    if snapshot is None:
        return None
    for field in ("To", "ForwardedFrom"):
        found = snapshot.clinic_for_number(caller_phone(form.get(field)))
        if found:
            return found
    return None


def apology() -> str:
    return _said("apology", bilingual_goodbye("voice_application_error"))


def menu(runtime, form, lang: str | None = None, tries: int = 0, lead: str | None = None) -> str:
    """The short menu, French first unless the clinic or the caller chose English."""
    if tries >= MAX_TRIES:
        return apology()
    if lang not in LANGS:
        clinic = _clinic(load(runtime.config.instance_path), form)
        lang = (clinic[1].get("default_lang") if clinic else None) or "fr"
    response = VoiceResponse()
    _, tag = voice_of(lang)
    gather = response.gather(
        input="dtmf speech",
        num_digits=1,
        action=_url("menu", lang, n=tries),
        method="POST",
        timeout=GATHER_TIMEOUT,
        speech_timeout=SPEECH_TIMEOUT,
        language=tag,
        action_on_empty_result=False,
    )
    if lead:
        _say(gather, lead, lang)
    _say(gather, "degraded_voice_menu", lang)
    other = "en" if lang == "fr" else "fr"
    _say(gather, "offer_english" if other == "en" else "offer_french", other)
    response.redirect(_url("silence", lang, n=tries + 1), method="POST")
    return _said("menu", str(response))


def handle(runtime, form, args) -> str:
    """One step of the degraded call (POST /fallback/voice?step=…); needs no database."""
    step = args.get("step", "")
    lang = args.get("lang") if args.get("lang") in LANGS else None
    tries = int(args["n"]) if args.get("n", "").isdigit() and len(args["n"]) < 3 else 0
    if step in ("", "silence"):
        return menu(runtime, form, lang, tries)
    lang = lang or "fr"
    phone = caller_phone(args.get("phone")) or caller_phone(form.get("From"))
    if step == "menu":
        said = (form.get("SpeechResult") or "").strip()[:MAX_SPEECH]
        if said and mentions_emergency(said):
            return _emergency(lang)
        digit = (form.get("Digits") or "").strip()[:1] or _spoken_choice(said, lang)
        if digit == "9":
            return menu(runtime, form, "en" if lang == "fr" else "fr")
        if digit == "1":
            return (
                _needs_number(runtime, form, lang, "walkin")
                if phone is None
                else _record(runtime, form, lang, "walkin", phone)
            )
        if digit == "2":
            return _needs_number(runtime, form, lang, "callback") if phone is None else _ask_name(lang, phone)
        if digit == "3" and phone is not None:
            return _appointments(runtime, form, lang, phone)
        return menu(runtime, form, lang, tries + 1, lead="degraded_voice_retry")
    if step == "number":
        typed = caller_phone((form.get("Digits") or "")[:15])
        then = args.get("then")
        if typed is None or then not in ("walkin", "callback"):
            return menu(runtime, form, lang, tries + 1, lead="degraded_voice_retry")
        return _record(runtime, form, lang, "walkin", typed) if then == "walkin" else _ask_name(lang, typed)
    if step == "name" and phone is not None:
        said = (form.get("SpeechResult") or "").strip()[:MAX_SPEECH]
        if mentions_emergency(said):
            return _emergency(lang)
        return _record(runtime, form, lang, "callback", phone, name=said[:120] or None)
    return apology()


def _emergency(lang: str) -> str:
    response = VoiceResponse()
    _say(response, "emergency", lang)
    response.hangup()
    return _said("emergency", str(response))


def _spoken_choice(said: str, lang: str) -> str:
    """The menu key a caller said instead of pressing it ("un", "le sans rendez-vous", "call me back")."""
    if not said:
        return ""
    heard = understand(said, lang)
    if heard.intent == "choice" and heard.choice in (1, 2, 3, 9):
        return str(heard.choice)
    return {"walkin": "1", "person": "2", "list": "3"}.get(heard.intent, "")


def _needs_number(runtime, form, lang: str, then: str) -> str:
    response = VoiceResponse()
    _, tag = voice_of(lang)
    gather = response.gather(
        input="dtmf",
        action=_url("number", lang, then=then),
        method="POST",
        timeout=GATHER_TIMEOUT,
        finish_on_key="#",
        language=tag,
        action_on_empty_result=False,
    )
    _say(gather, "degraded_voice_number", lang)
    response.redirect(_url("silence", lang, n=1), method="POST")
    return _said("ask_number", str(response))


def _ask_name(lang: str, phone: str) -> str:
    response = VoiceResponse()
    _, tag = voice_of(lang)
    gather = response.gather(
        input="speech",
        action=_url("name", lang, phone=phone),
        method="POST",
        timeout=GATHER_TIMEOUT,
        speech_timeout=SPEECH_TIMEOUT,
        language=tag,
    )
    _say(gather, "degraded_voice_name", lang)
    # Silence still records the request: the reception calls the number back without a name.
    response.redirect(_url("name", lang, phone=phone), method="POST")
    return _said("ask_name", str(response))


def _record(runtime, form, lang: str, kind: str, phone: str, name: str | None = None) -> str:
    clinic = _clinic(load(runtime.config.instance_path), form)
    if kind == "walkin" and clinic is not None and not clinic[1].get("walkin_enabled"):
        return apology()
    sid = call_sid(form)
    spool_for(runtime).append(
        kind,
        runtime.now(),
        channel=CHANNEL,
        phone=phone,
        to=caller_phone(form.get("To")) or (form.get("To") or "")[:20],
        clinic_id=clinic[0] if clinic else None,
        lang=lang,
        name=name,
        event=f"voice:{sid}:{kind}" if sid else None,
    )
    wake_replayer(runtime)
    response = VoiceResponse()
    _say(response, f"degraded_{kind}_recorded", lang)
    response.hangup()
    return _said(f"{kind}_recorded", str(response))


def _appointments(runtime, form, lang: str, phone: str) -> str:
    snapshot = load(runtime.config.instance_path)
    clinic = _clinic(snapshot, form)
    if snapshot is None or clinic is None:
        return apology()
    now = runtime.now()
    timezone = clinic[1].get("timezone") or "America/Toronto"
    taken = to_local(snapshot.generated_at, timezone).replace(tzinfo=None, second=0, microsecond=0)
    at = format_time(taken.time(), lang, CHANNEL)
    if taken.date() != to_local(now, timezone).date():
        at = format_when(taken, lang, CHANNEL)
    upcoming = snapshot.upcoming(clinic[0], phone, now)[:MAX_APPOINTMENTS]
    response = VoiceResponse()
    if not upcoming:
        _say(response, "degraded_no_appointments", lang, time=at)
    else:
        _say(response, "degraded_appointments", lang, time=at)
        for a in upcoming:
            _say(
                response,
                "degraded_appointment_item",
                lang,
                when=format_when(to_local(a.starts_at, timezone).replace(tzinfo=None), lang, CHANNEL),
                practitioner=a.practitioner,
                code=", ".join(a.code),
            )
    _say(response, "goodbye", lang, clinic=clinic[1].get("name_en" if lang == "en" else "name") or "")
    response.hangup()
    return _said("appointments", str(response))


def spool_call_status(runtime, form) -> None:
    """Keep a call status that came while the database was down; it is recorded on replay."""
    spool_for(runtime).append(
        "status",
        runtime.now(),
        channel=CHANNEL,
        sid=call_sid(form),
        status=(form.get("CallStatus") or "")[:20],
        error_code=form.get("ErrorCode") or None,
        duration=(form.get("CallDuration") or "")[:8],
        outbound=is_outbound(form),
    )
    wake_replayer(runtime)
    metrics.DEGRADED_ANSWERS.labels(channel=CHANNEL, answer="status_spooled").inc()


def spooled_outcome_call(runtime, message_id: int) -> str:
    """Our call to a landline with the outcome of its spooled request: the stored words, then goodbye."""
    from core.models import OutboundMessage

    with runtime.session_factory() as session:
        message = session.get(OutboundMessage, message_id)
        if message is None or not message.purpose.startswith("spooled_"):
            return bilingual_goodbye("voice_application_error")
        body, lang = message.body, message.lang or "fr"
    response = VoiceResponse()
    voice, tag = voice_of(lang)
    response.say(body, voice=voice, language=tag)
    response.pause(length=1)
    response.say(
        body, voice=voice, language=tag
    )  # said twice: a call is heard once, and not always from its start
    response.hangup()
    return str(response)
