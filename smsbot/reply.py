"""A dialog Reply as SMS: one compact message (the sentences, then the numbered choices) in TwiML."""

from __future__ import annotations

import datetime as dt

from twilio.twiml.messaging_response import MessagingResponse

import prompts
from core.dialog.types import Reply, Say
from core.timeutil import to_local
from prompts.format import format_date, format_time, format_when
from smsbot.segments import economical

CHANNEL = "sms"


def _value(value: object, lang: str, timezone: str) -> object:
    """Dates and times written short for the eye; anything else as given."""
    if isinstance(value, dt.datetime):
        local = to_local(value, timezone) if value.tzinfo else value
        return format_when(local, lang, CHANNEL)
    if isinstance(value, dt.date):
        return format_date(value, lang, CHANNEL)
    if isinstance(value, dt.time):
        return format_time(value, lang, CHANNEL)
    return value


def say_text(say: Say, lang: str, timezone: str = "America/Toronto") -> str:
    """One sentence of a reply, its placeholders filled in (in its own language when it has one)."""
    lang = say.lang or lang
    values = {name: _value(value, lang, timezone) for name, value in say.values.items()}
    return prompts.render(say.key, lang, CHANNEL, **values).strip()


def reply_text(reply: Reply, timezone: str = "America/Toronto") -> str:
    """The whole reply as one message; empty when there is nothing to say (opt-out: the carrier answers).

    Accents GSM-7 lacks (ê, ô, ç…) are dropped only when keeping them would cost another segment.
    """
    sentences = " ".join(t for t in (say_text(s, reply.lang, timezone) for s in reply.says) if t)
    if not sentences:
        return ""
    lines = [sentences]
    for choice in reply.choices:
        label = say_text(choice.label, reply.lang, timezone)
        lines.append(prompts.render("sms_choice", reply.lang, CHANNEL, digit=choice.digit, label=label))
    return economical("\n".join(lines))


def twiml(*messages: str) -> str:
    """A MessagingResponse with one <Message> per non-empty text, or an empty <Response/>."""
    response = MessagingResponse()
    for message in messages:
        if message:
            response.message(message)
    return str(response)


def bilingual(key: str) -> str:
    """A fixed text French first, then English (used where the patient's language is not known)."""
    return "\n".join(prompts.render(key, lang, CHANNEL) for lang in ("fr", "en"))
