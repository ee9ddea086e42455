"""What a conversation by text costs: SMS segments in and out for a booking, a walk-in registration and a
cancellation, in French and in English.

Runs in-process (Flask test client, a fresh SQLite file, the demo clinics, a fixed clock: Monday
7 December 2026, 09:00 in Montréal) and prints one row per conversation. Usage:

    .venv/bin/python bench/sms_segments.py [--verbose]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clinicline.app import create_app  # noqa: E402
from core.clinics_file import EXAMPLE_FILE, load_clinics  # noqa: E402
from core.config import Config  # noqa: E402
from core.db import make_engine, make_session_factory, upgrade  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from smsbot.segments import segments  # noqa: E402

MONDAY_9AM = dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC)
PARC = "+15145550100"
WORDS = {
    "fr": {
        "book": "RDV",
        "walkin": "SANS RDV",
        "cancel": "ANNULER",
        "yes": "OUI",
        "name": "Marie-Ève Bélanger-Côté",
    },
    # Whole English phrases: a bare keyword on a French-first clinic may still be answered in French.
    "en": {
        "book": "I need an appointment",
        "walkin": "walk-in please",
        "cancel": "cancel my appointment",
        "yes": "YES",
        "name": "John O'Brien",
    },
}
PATIENTS = {"fr": "+15145551234", "en": "+15145559876"}
_sids = itertools.count(1)


class NoJobs:
    """Jobs (reminders, notices) are not part of what a conversation costs in replies: run none."""

    def enqueue(self, path, *args, at=None):
        pass

    def stop(self):
        pass


@dataclass
class Tally:
    conversation: str
    lang: str
    exchanges: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def inbound(self) -> int:
        return sum(segments(sent).segments for sent, _ in self.exchanges)

    @property
    def outbound(self) -> int:
        return sum(segments(text).segments for _, replies in self.exchanges for text in replies)

    @property
    def encodings(self) -> str:
        found = {segments(text).encoding for _, replies in self.exchanges for text in replies}
        return "/".join(sorted(found)) or "-"


class Phone:
    """A patient texting a clinic through the test client, with a running tally."""

    def __init__(self, client, from_: str, to: str, tally: Tally):
        self.client, self.from_, self.to, self.tally = client, from_, to, tally

    def __call__(self, body: str) -> str:
        sid = f"SM{next(_sids):032x}"
        form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32, "From": self.from_}
        form.update({"To": self.to, "Body": body, "NumMedia": "0", "ApiVersion": "2010-04-01"})
        response = self.client.post("/sms", data=form)
        if response.status_code != 200:
            raise SystemExit(f"POST /sms answered {response.status_code} to {body!r}")
        root = ET.fromstring(response.data)
        replies = [(m.findtext("Body") or m.text or "") for m in root.iter("Message")]
        self.tally.exchanges.append((body, replies))
        return "\n".join(replies)


def choices(text: str) -> list[str]:
    return [line.split(") ", 1)[1] for line in text.splitlines() if line[:1].isdigit() and ") " in line[:4]]


def booking(phone: Phone, w: dict) -> None:
    offer = phone(w["book"])
    first = choices(offer)[0]
    answer = phone("1")
    if first not in answer:  # the name is asked the first time
        phone(w["name"])
    phone(w["yes"])


def walkin(phone: Phone, w: dict) -> None:
    phone(w["walkin"])


def cancellation(phone: Phone, w: dict) -> None:
    answer = phone(w["cancel"])
    if choices(answer):
        phone("1")
    phone(w["yes"])


def run(verbose: bool) -> list[Tally]:
    tallies = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        config = Config.from_env({}, database_url=url, instance_path=Path(tmp), testing=True)
        engine = make_engine(url)
        upgrade(engine)
        rt = Runtime(config, engine, make_session_factory(engine), clock=lambda: MONDAY_9AM, jobs=NoJobs())
        with rt.session_factory.begin() as session:
            load_clinics(session, EXAMPLE_FILE, MONDAY_9AM, config.slot_horizon_days)
        client = create_app(runtime=rt).test_client()
        for lang in ("fr", "en"):
            for name, flow in (
                ("booking", booking),
                ("walk-in registration", walkin),
                ("cancellation", cancellation),
            ):
                tally = Tally(name, lang)
                flow(Phone(client, PATIENTS[lang], PARC, tally), WORDS[lang])
                tallies.append(tally)
                if verbose:
                    print(f"--- {name} ({lang})")
                    for sent, replies in tally.exchanges:
                        print(f"> {sent}")
                        for text in replies:
                            count = segments(text)
                            print(
                                f"{text}\n  [{count.segments} seg, {count.encoding}, {count.characters} chars]"
                            )
        rt.dispose()
    return tallies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every message and its segments")
    args = parser.parse_args()
    tallies = run(args.verbose)
    print(f"{'conversation':<22} {'lang':<4} {'messages':>8} {'in seg':>7} {'out seg':>8}  encoding")
    for t in tallies:
        print(
            f"{t.conversation:<22} {t.lang:<4} {len(t.exchanges):>8} {t.inbound:>7} {t.outbound:>8}  {t.encodings}"
        )


if __name__ == "__main__":
    main()
