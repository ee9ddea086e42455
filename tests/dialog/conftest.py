"""Fixtures of the dialog tests: patients who text or call the engine as a route would."""

from __future__ import annotations

import datetime as dt

import pytest

import prompts
from core.dialog.state import DialogState
from core.dialog.types import Inbound, Outcome, Parts, Reply, Say
from prompts.sms import value_text
from tests.support.apps import JOHN, MARIE
from tests.support.turns import take_turn
from voicebot.twiml import spoken_value

__all__ = ["JOHN", "MARIE"]  # with Patient and RecordingQueue, imported by tests from here


class RecordingQueue:
    """A job queue that only remembers what was enqueued (the jobs have their own tests)."""

    def __init__(self):
        self.jobs: list[tuple[str, tuple]] = []

    def enqueue(self, path: str, *args, at=None) -> None:
        self.jobs.append((path, args))


def _worded(name: str, value: object, lang: str, channel: str) -> object:
    """A raw value worded as the channel's adapter words it (numbers and codes left as given on the phone)."""
    if isinstance(value, Say):
        return _sentence(value, lang, channel)
    if isinstance(value, Parts):
        return value.sep.join(str(_worded(name, item, lang, channel)) for item in value.items)
    if channel == "sms":
        return value_text(name, value, lang)
    return spoken_value(name, value, lang) if isinstance(value, dt.date | dt.time) else value


def _sentence(say: Say, lang: str, channel: str) -> str:
    lang = say.lang or lang
    values = {name: _worded(name, value, lang, channel) for name, value in say.values.items()}
    return prompts.render(say.key, lang, channel, **values)


def render_text(reply: Reply, channel: str) -> str:
    """The reply as words (enough to read what the patient would see or hear)."""
    lines = [_sentence(s, reply.lang, channel) for s in reply.says]
    for choice in reply.choices:
        if choice.keypad_only and channel == "sms":
            continue  # the SMS adapter leaves them out
        lines.append(f"{choice.digit}) {_sentence(choice.label, reply.lang, channel)}")
    return "\n".join(lines)


class Patient:
    """One patient talking to one clinic on one channel; each turn is taken as a webhook route takes it."""

    def __init__(self, runtime, channel="sms", clinic="parc", phone=MARIE, key=None, **options):
        self.runtime = runtime
        self.channel = channel
        self.clinic = clinic
        self.phone = phone
        self.key = key or phone
        self.options = options
        self.outcome: Outcome | None = None
        self.text = ""
        self.turns = 0

    def _turn(self, inbound: Inbound, event_key: str | None = None) -> Patient:
        self.turns += 1
        self.text, outcome = take_turn(
            self.runtime,
            channel=self.channel,
            clinic=self.clinic,
            conversation_key=self.key,
            phone=self.phone,
            inbound=inbound,
            render=lambda reply: render_text(reply, self.channel),
            event_key=event_key,
            **self.options,
        )
        if outcome is not None:
            self.outcome = outcome
        return self

    def send(self, text: str, confidence: float | None = None, event_key: str | None = None) -> Patient:
        """A text message, or speech on the phone."""
        return self._turn(Inbound(kind="text", text=text, confidence=confidence), event_key)

    def press(self, digits: str) -> Patient:
        return self._turn(Inbound(kind="digits", digits=digits))

    def silence(self) -> Patient:
        return self._turn(Inbound(kind="silence"))

    def call(self) -> Patient:
        return self._turn(Inbound(kind="start"))

    @property
    def reply(self) -> Reply:
        return self.outcome.reply

    @property
    def keys(self) -> list[str]:
        """The prompt keys of the last reply, in order."""
        return [s.key for s in self.reply.says]

    @property
    def state(self) -> DialogState:
        return self.outcome.state

    @property
    def effects(self) -> list[tuple[str, tuple]]:
        return [(e.job.rsplit(".", 1)[-1], e.args) for e in self.outcome.effects]

    def value(self, key: str, name: str):
        """A placeholder value of a prompt said in the last reply."""
        return next(s.values[name] for s in self.reply.says if s.key == key)

    def choice_digits(self) -> list[str]:
        shown = [c for c in self.reply.choices if not (c.keypad_only and self.channel == "sms")]
        return [c.digit for c in shown]


@pytest.fixture
def queue(runtime):
    runtime.jobs = RecordingQueue()
    return runtime.jobs


@pytest.fixture
def texter(runtime, queue):
    """Marie, texting the Clinique du Parc."""
    return Patient(runtime, "sms")


@pytest.fixture
def caller(runtime, queue):
    """Marie, calling the Clinique du Parc from her mobile."""
    return Patient(runtime, "voice", key=MARIE)


@pytest.fixture
def patient_factory(runtime, queue):
    def make(**kwargs) -> Patient:
        return Patient(runtime, **kwargs)

    return make


@pytest.fixture
def understood(monkeypatch):
    """What the language layer will read in a few sentences, ahead of it: {text: {field: value}}.

    The dialog's own logic is tested through these fields (day limits, the old day, "the last one", a name,
    self-harm, small talk); the same sentences are tested end to end, unpatched, where core.language
    reads them.
    """
    import dataclasses

    import core.language

    extra: dict[str, dict] = {}
    real = core.language.understand

    def understand(text, lang=None, now=None):
        found = real(text, lang, now)
        fields = extra.get(text)
        return dataclasses.replace(found, **fields) if fields else found

    monkeypatch.setattr(core.language, "understand", understand)
    return extra
