"""A dialog Reply as TwiML: the one place that knows how clinicline sounds on the phone.

Voices: French is read by Amazon Polly's `Gabrielle-Neural` (fr-CA): the neural Québec voice sounds far
more natural than the older standard `Chantal`, which matters to elderly callers on poor lines. English is
read by `Joanna-Neural` (en-US), and speech is recognised in `en-US` to match.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from twilio.twiml.voice_response import VoiceResponse

from core.dialog.types import Parts, Reply, Say
from prompts import render
from prompts.format import format_date, format_time, format_when, is_phone_value

VOICES = {"fr": "Polly.Gabrielle-Neural", "en": "Polly.Joanna-Neural"}
LANGUAGES = {"fr": "fr-CA", "en": "en-US"}

# Seconds of silence before a gather gives up, and after speech before it is sent: a number, never "auto",
# which cuts off people who pause to think.
GATHER_TIMEOUT = 6
SPEECH_TIMEOUT = 3
# A caller who asked for a slower voice ("plus lentement", key 8) hears SSML prosody at this rate (Twilio
# passes <prosody> inside <Say> to Polly) and gets longer to answer and to pause mid-sentence.
SLOW_RATE = "85%"
SLOW_GATHER_TIMEOUT = 9
SLOW_SPEECH_TIMEOUT = 5
DIAL_TIMEOUT = 25  # seconds the reception phone rings before we offer a callback instead
MAX_HINTS = 100  # Twilio takes a few hundred; more than this only slows recognition down
# "* repeats" is said once a call, after the choices of the reply that opens it (our greeting, or the first
# words of a call we placed) and again after a switch of language: not after every menu, which costs elderly
# callers seconds on each question. * works on every question all the same.
STAR_HINT_WITH = frozenset({"greeting", "greeting_forwarded", "language_set", "reminder_prompt", "notice"})

_E164_NANP = re.compile(r"^\+1(\d{3})(\d{3})(\d{4})$")
_DIGITS = re.compile(r"^\d{3,12}$")


def voice_of(lang: str) -> tuple[str, str]:
    """(voice, language tag) for a catalog language."""
    lang = lang if lang in VOICES else "fr"
    return VOICES[lang], LANGUAGES[lang]


def spoken_phone(number: str) -> str:
    """'+15145551234' -> '5 1 4, 5 5 5, 1 2 3 4': a North American number read back in its three groups.

    Any other number is read digit by digit, a comma after each so the voice pauses and it can be noted.
    """
    match = _E164_NANP.match(number)
    if not match:
        return ", ".join(number.lstrip("+"))
    return ", ".join(" ".join(part) for part in match.groups())


def spoken_value(name: str, value: object, lang: str) -> object:
    """A placeholder value as it should sound: codes and numbers spaced out, dates and times in words.

    Values arrive raw from the dialog (datetimes in clinic-local wall time, dates, times, E.164 numbers);
    a value that is itself a sentence (a part a flow composed) is said first.
    """
    if isinstance(value, Say):
        return sentence(value, lang)[0]
    if isinstance(value, Parts):
        return value.sep.join(str(spoken_value(name, item, lang)) for item in value.items)
    if isinstance(value, dt.datetime):
        return format_when(value, lang, "voice")
    if isinstance(value, dt.date):
        return format_date(value, lang, "voice")
    if isinstance(value, dt.time):
        return format_time(value, lang, "voice")
    if isinstance(value, str):
        if (name == "code" or name.endswith("_code")) and _DIGITS.match(value):
            return ", ".join(value)  # "4, 8, 2, 1": the voice pauses after each digit
        if (name == "number" or is_phone_value(name)) and value.startswith("+"):
            return spoken_phone(value)
    return value


def sentence(say: Say, lang: str) -> tuple[str, str]:
    """One prompt of the reply rendered for the ear, with the language it is said in."""
    lang = getattr(say, "lang", None) or lang
    values = {name: spoken_value(name, value, lang) for name, value in say.values.items()}
    return render(say.key, lang, "voice", **values), lang


def sentences(reply: Reply) -> list[tuple[str, str]]:
    """Everything the reply says, in order, each with its language: its prompts, then each choice."""
    said = [sentence(say, reply.lang) for say in reply.says]
    for choice in reply.choices:
        label, lang = sentence(choice.label, reply.lang)
        said.append((render("voice_choice", lang, "voice", label=label, digit=choice.digit), lang))
    if reply.expects and reply.choices and any(say.key in STAR_HINT_WITH for say in reply.says):
        said.append((render("voice_star_to_repeat", reply.lang, "voice"), reply.lang))
    return [(text, lang) for text, lang in said if text.strip()]


def _hints(words: Iterable[str]) -> str | None:
    unique = list(dict.fromkeys(w.strip()[:100] for w in words if w and w.strip() and "," not in w))
    return ", ".join(unique[:MAX_HINTS]) or None


def _say_all(verb, texts: list[tuple[str, str]], slow: bool = False) -> None:
    for text, lang in texts:
        voice, tag = voice_of(lang)
        if slow:
            verb.say(voice=voice, language=tag).prosody(text, rate=SLOW_RATE)
        else:
            verb.say(text, voice=voice, language=tag)


def render_reply(reply: Reply, *, turn_url: str, silence_url: str, transfer_url: str) -> str:
    """TwiML for a reply: a gather (and a redirect for silence), a transfer, or goodbye and hang up."""
    response = VoiceResponse()
    texts = sentences(reply)
    slow = reply.slow
    if reply.transfer_to:
        _say_all(response, texts, slow)
        response.dial(reply.transfer_to, action=transfer_url, method="POST", timeout=DIAL_TIMEOUT)
    elif reply.expects and not reply.ends:
        _, tag = voice_of(reply.lang)
        keys = reply.max_digits or 1
        gather = response.gather(
            input="dtmf speech",
            action=turn_url,
            method="POST",
            timeout=SLOW_GATHER_TIMEOUT if slow else GATHER_TIMEOUT,
            speech_timeout=SLOW_SPEECH_TIMEOUT if slow else SPEECH_TIMEOUT,
            language=tag,
            hints=_hints(reply.hints),
            # One key answers a menu at once, # included (it means "skip"); a phone number ends with #
            # (or a pause), so 10 or 11 digits fit.
            num_digits=1 if keys == 1 else None,
            finish_on_key="" if keys == 1 else "#",
            action_on_empty_result=False,
        )
        _say_all(gather, texts, slow)
        # Without input Twilio falls through to the next verb: silence must come back to us, not hang up.
        response.redirect(silence_url, method="POST")
    else:
        # A reply that expects nothing is the end of the call on the phone: a call cannot wait for a text.
        _say_all(response, texts, slow)
        response.hangup()
    return str(response)


def bilingual_goodbye(key: str) -> str:
    """A fixed message in French then English, then hang up: needs no database and no dialog."""
    response = VoiceResponse()
    for lang in ("fr", "en"):
        voice, tag = voice_of(lang)
        response.say(render(key, lang, "voice"), voice=voice, language=tag)
    response.hangup()
    return str(response)


def hang_up() -> str:
    """Hang up at once, saying nothing (a fax answered a call we placed)."""
    response = VoiceResponse()
    response.hangup()
    return str(response)


def say_and_hang_up(key: str, lang: str, **values) -> str:
    """One prompt in one language, then hang up."""
    response = VoiceResponse()
    voice, tag = voice_of(lang)
    response.say(render(key, lang, "voice", **values), voice=voice, language=tag)
    response.hangup()
    return str(response)
