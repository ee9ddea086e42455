"""A fair rush: many patients text "RDV" at the same moment and all take the first offer.

Usage: python bench/rush.py [--patients 150] [--only sqlite|postgresql] [--server-threads 8]
                            [--max-messages 30] [--postgres-url ADMIN_URL]

For each database, starts a real `clinicline serve` process (waitress; a fresh SQLite file, or a fresh
database on a PostgreSQL server started from its binaries as the tests do — tests/support/servers.py — or
on --postgres-url) with a Twilio auth token, so every request is signed as Twilio signs it. The demo
clinics are loaded by the server (the Clinique du Parc: 2 practitioners, 30 days, 1,000+ free slots).
Then --patients threads, each its own phone number, are released together by a barrier and follow the
real SMS flow: "RDV", then "1" (the first slot offered, again after every "someone just took it"),
then a name, then "OUI". A patient stops once booked or after --max-messages messages.

Prints, per database: the share booked within 4 messages (the target is 95 %), how many were booked at
all, how many "someone just took this time" answers patients read, the distribution of messages per
booked patient, and — read in the database afterwards — double bookings (slots with two live
appointments, patients with two appointments), which must be 0.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import uuid
from collections import Counter
from pathlib import Path

import requests
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

import prompts  # noqa: E402
from clinicline.sms_cmd import message_form, reply_messages  # noqa: E402
from core.models import Appointment, AppointmentStatus, Slot, SlotStatus  # noqa: E402
from tests.support.servers import PostgresServer, free_port  # noqa: E402

CLINIC_NUMBER = "+15145550100"  # the Clinique du Parc of the demo clinics
NAME = "Marie Tremblay"


def fold(value: str) -> str:
    """Lower case without accents: an SMS may drop accents to stay in GSM-7."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def marker(key: str) -> str:
    """The longest fixed part of a prompt's French SMS text: how a patient recognises that question."""
    template = prompts.text(key, "fr", "sms")
    parts = [part.split("}", 1)[-1] for part in template.split("{")]
    return fold(max(parts, key=len).strip())


MARKERS = {
    what: marker(key)
    for what, key in (
        ("booked", "booked"),
        ("taken", "slot_taken"),
        ("confirm", "confirm_slot"),
        ("name", "ask_name"),
        ("pick", "pick_slot"),
    )
}


def classify(replies: list[str]) -> set[str]:
    """What the server's answer says, by the prompts it contains."""
    body = fold(" ".join(replies))
    return {what for what, mark in MARKERS.items() if mark in body}


def start_server(port: int, instance: Path, env_extra: dict[str, str], threads: int) -> subprocess.Popen:
    env = dict(os.environ, CLINICLINE_INSTANCE=str(instance), **env_extra)
    env.pop("PUBLIC_BASE_URL", None)
    log = open(instance / "server.log", "wb")  # noqa: SIM115  (closed with the process)
    proc = subprocess.Popen(
        [sys.executable, "-m", "clinicline.cli", "serve", "--port", str(port), "--threads", str(threads)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: see {instance / 'server.log'}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit("the server did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class Patient:
    """One patient thread: the real SMS flow, answering what the server asks."""

    def __init__(self, index: int, url: str, token: str, max_messages: int):
        self.phone = f"+1438{5560000 + index:07d}"
        self.url = url
        self.validator = RequestValidator(token)
        self.max_messages = max_messages
        self.messages = 0
        self.taken = 0  # "someone just took this time" answers read
        self.booked = False
        self.error: str | None = None

    def send(self, body: str) -> set[str]:
        form = message_form(self.phone, CLINIC_NUMBER, body, None)
        headers = {
            "X-Twilio-Signature": self.validator.compute_signature(self.url, form),
            "Connection": "close",  # as Twilio: one request per message, no connection kept per patient
        }
        self.messages += 1
        response = requests.post(self.url, data=form, headers=headers, timeout=120)
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}")
        return classify(reply_messages(response.text))

    def run(self) -> None:
        try:
            said = self.send("RDV")
            while self.messages < self.max_messages:
                self.taken += "taken" in said
                if "booked" in said:
                    self.booked = True
                    return
                if "confirm" in said:
                    said = self.send("OUI")
                elif "name" in said:
                    said = self.send(NAME)
                elif "pick" in said:
                    said = self.send("1")
                else:  # anything else (a menu, an answer not understood): start again
                    said = self.send("RDV")
        except Exception as exc:  # reported as an error, the rush goes on
            self.error = f"{type(exc).__name__}: {exc}"


def free_slots(db_url: str) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        count = conn.scalar(
            select(func.count())
            .select_from(Slot)
            .where(Slot.clinic_id == "parc", Slot.status == SlotStatus.FREE)
        )
    engine.dispose()
    return count


def doubles(db_url: str) -> tuple[int, int, bool]:
    """(slots with two live appointments, patients with two live appointments, slot states agree)."""
    engine = create_engine(db_url)
    live = Appointment.status == AppointmentStatus.BOOKED
    with engine.connect() as conn:
        per_slot = conn.execute(
            select(Appointment.slot_id).where(live).group_by(Appointment.slot_id).having(func.count() > 1)
        ).all()
        per_patient = conn.execute(
            select(Appointment.patient_id)
            .where(live)
            .group_by(Appointment.patient_id)
            .having(func.count() > 1)
        ).all()
        booked_slots = set(conn.scalars(select(Slot.id).where(Slot.status == SlotStatus.BOOKED)))
        live_slots = set(conn.scalars(select(Appointment.slot_id).where(live)))
    engine.dispose()
    return len(per_slot), len(per_patient), booked_slots == live_slots


def rush(kind: str, db_url: str, args, workdir: Path) -> dict:
    instance = workdir / f"{kind}-{uuid.uuid4().hex[:6]}"
    instance.mkdir()
    token = secrets.token_hex(16)
    env = {"TWILIO_AUTH_TOKEN": token, "DATABASE_URL": db_url}
    port = free_port()
    proc = start_server(port, instance, env, args.server_threads)
    try:
        before = free_slots(sqlalchemy_url(db_url))
        url = f"http://127.0.0.1:{port}/sms"
        patients = [Patient(i, url, token, args.max_messages) for i in range(args.patients)]
        barrier = threading.Barrier(len(patients) + 1)

        def run(p: Patient) -> None:
            barrier.wait()
            p.run()

        threads = [threading.Thread(target=run, args=(p,)) for p in patients]
        for t in threads:
            t.start()
        barrier.wait()
        started = time.perf_counter()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - started
    finally:
        stop(proc)
    slot_doubles, patient_doubles, consistent = doubles(sqlalchemy_url(db_url))
    booked = [p for p in patients if p.booked]
    return {
        "free_before": before,
        "patients": len(patients),
        "within4": sum(1 for p in booked if p.messages <= 4),
        "booked": len(booked),
        "taken_total": sum(p.taken for p in patients),
        "taken_max": max(p.taken for p in patients),
        "messages": Counter(p.messages for p in booked),
        "unbooked_messages": Counter(p.messages for p in patients if not p.booked),
        "errors": Counter(p.error for p in patients if p.error),
        "slot_doubles": slot_doubles,
        "patient_doubles": patient_doubles,
        "consistent": consistent,
        "seconds": seconds,
    }


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def fresh_postgres(admin_url: str) -> str:
    name = "rush_" + uuid.uuid4().hex[:10]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def report(kind: str, r: dict) -> None:
    share = r["within4"] / r["patients"]
    print(f"\n== {kind}: {r['patients']} patients, {r['free_before']} free slots before the rush ==")
    print(f"booked within 4 messages: {r['within4']}/{r['patients']} = {share:.1%}  (target 95 %)")
    print(f"booked at all:            {r['booked']}/{r['patients']}")
    print(f"'someone just took it':   {r['taken_total']} in all, at most {r['taken_max']} for one patient")
    print(
        f"double bookings:          {r['slot_doubles']} slots, {r['patient_doubles']} patients "
        f"(slot states agree: {'yes' if r['consistent'] else 'NO'})"
    )
    print(f"seconds from release to the last patient: {r['seconds']:.1f}")
    dist = ", ".join(f"{n} msgs: {c}" for n, c in sorted(r["messages"].items()))
    print(f"messages per booked patient: {dist or '-'}")
    if r["unbooked_messages"]:
        print(
            "not booked, messages sent: "
            + ", ".join(f"{n}: {c}" for n, c in sorted(r["unbooked_messages"].items()))
        )
    for error, count in r["errors"].items():
        print(f"errors: {count} × {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=150)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--max-messages", type=int, default=30)
    parser.add_argument("--postgres-url", help="an admin URL of a PostgreSQL server to use")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="clinicline-rush-") as tmp:
        workdir = Path(tmp)
        if args.only in (None, "sqlite"):
            report("SQLite", rush("sqlite", f"sqlite:///{workdir / 'rush.db'}", args, workdir))
        if args.only in (None, "postgresql"):
            server = None
            admin = args.postgres_url
            if admin is None:
                server = PostgresServer().start()
                admin = server.admin_url
            try:
                report("PostgreSQL", rush("postgresql", fresh_postgres(sqlalchemy_url(admin)), args, workdir))
            finally:
                if server is not None:
                    server.stop()


if __name__ == "__main__":
    main()
