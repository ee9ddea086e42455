"""Freed slots refilled by the waiting list: 30 simulated days of the demo clinic `parc`, on SQLite, with the
real services (booking, the waiting list, the outbox and its jobs) and a simulated clock.

Each day patients ask for an appointment (about 58 a weekday, 20 a weekend day, between 07:00 and 21:00),
each with a wish (any time, mornings or afternoons, two weekdays, or both). A patient books the first free
slot that suits; when that slot is further away than their patience (2 to 7 days), 60 % of them join the
waiting list instead with that wish and "before" that day, and the rest book it. 10 % of bookings are
cancelled, at a moment spread uniformly between the booking and 30 minutes before the slot. A freed slot
is offered by the real engine (the first 3 matching entries, 10-minute window, 08:00–21:00 only); a patient
offered a slot answers after 1–20 minutes (past 10 the offer has expired), takes it when it is earlier than
the first slot they could have had, otherwise declines. A patient still waiting when their entry ends, or
when their "before" day comes, books the first free slot then.

It prints the share of freed slots refilled (with the list, and in the same simulation without it) and the
median days gained by patients on the list: the days between the slot the list gave them and the first slot
they could have had when they joined.

    .venv/bin/python bench/backfill.py [--days 30] [--seed 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import itertools
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from core.clinics_file import EXAMPLE_FILE, load_clinics  # noqa: E402
from core.config import Config  # noqa: E402
from core.db import upgrade  # noqa: E402
from core.errors import DomainError  # noqa: E402
from core.jobs import attach_queue  # noqa: E402
from core.jobs.context import using  # noqa: E402
from core.models import Appointment, AppointmentStatus, Clinic, Slot, SlotStatus, WaitlistEntry, WaitlistOffer  # noqa: E402
from core.runtime import build_runtime  # noqa: E402
from core.services import booking, clinics, people, waitlist  # noqa: E402
from core.services.patients import get_or_create_patient  # noqa: E402
from core.timeutil import local_to_utc, to_local  # noqa: E402

TZ = "America/Toronto"
START = dt.date(2026, 12, 7)  # a Monday
CANCEL_SHARE = 0.10
JOIN_SHARE = 0.60


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Stats:
    requests: int = 0
    booked: int = 0
    joined: int = 0
    cancelled: int = 0
    freed: list[tuple[int, dt.datetime]] = field(default_factory=list)  # (slot id, freed at)
    offers_answered: int = 0
    offers_taken: int = 0
    offers_declined: int = 0
    offers_unanswered: int = 0
    gained_days: list[int] = field(default_factory=list)
    gave_up: int = 0


def wish_of(rng: random.Random) -> dict:
    roll = rng.random()
    wish: dict = {}
    if roll < 0.4:
        return wish
    if roll < 0.7 or roll >= 0.9:
        wish["part"] = rng.choice(["morning", "afternoon"])
    if roll >= 0.7:
        wish["days"] = sorted(rng.sample(range(5), 2))
    return wish


def first_suitable(session, clinic: Clinic, wish: dict, now: dt.datetime) -> Slot | None:
    """The first free slot, from an hour from now, that keeps the wish."""
    after = now + dt.timedelta(hours=1)
    for _ in range(20):
        rows = session.execute(
            select(Slot.id, Slot.starts_at)
            .where(Slot.clinic_id == clinic.id, Slot.starts_at > after, booking.bookable_now(now))
            .order_by(Slot.starts_at, Slot.practitioner_id)
            .limit(200)
        ).all()
        for slot_id, starts_at in rows:
            if waitlist.matches(wish, starts_at, clinic.timezone):
                return session.get(Slot, slot_id)
        if len(rows) < 200:
            return None
        after = rows[-1][1]
    return None


class Simulation:
    def __init__(
        self, days: int, seed: int, with_list: bool, workdir: Path, weekday: int = 58, weekend: int = 20
    ):
        self.days, self.with_list = days, with_list
        self.weekday, self.weekend = weekday, weekend
        self.rng = random.Random(seed)
        start = local_to_utc(START, dt.time(0, 0), TZ)
        self.clock = Clock(start)
        url = f"sqlite:///{workdir / ('with.db' if with_list else 'without.db')}"
        config = Config.from_env({}, database_url=url, instance_path=workdir, testing=True)
        upgrade(__import__("core.db", fromlist=["make_engine"]).make_engine(url))
        self.rt = build_runtime(config, clock=self.clock)
        attach_queue(self.rt, background=False)
        with self.rt.session_factory.begin() as s:
            load_clinics(s, EXAMPLE_FILE, start, 30)
            parc = s.get(Clinic, "parc")
            parc.settings = {**(parc.settings or {}), "waitlist_enabled": with_list}
        self.events: list = []
        self.seq = itertools.count()
        self.phones = (f"+1514556{n:04d}" for n in itertools.count(1))
        self.stats = Stats()
        self.fallback: dict[int, dt.datetime] = {}  # entry id -> the first slot they could have had
        self.entry_wish: dict[int, tuple[str, dict]] = {}
        self.scheduled_offers: set[int] = set()
        self.end = start + dt.timedelta(days=days)

    # -- events ---------------------------------------------------------------------------------------------

    def at(self, when: dt.datetime, kind: str, *args) -> None:
        heapq.heappush(self.events, (when, next(self.seq), kind, args))

    def plan(self) -> None:
        # Bookings made before the simulation: the first days are mostly full already.
        with self.rt.session_factory.begin() as s:
            parc = s.get(Clinic, "parc")
            now = self.clock()
            for slot in s.scalars(
                select(Slot)
                .where(Slot.clinic_id == "parc", Slot.status == SlotStatus.FREE)
                .order_by(Slot.starts_at)
            ).all():
                ahead = (slot.starts_at - now).days
                if self.rng.random() < max(0.95 - 0.08 * ahead, 0.05):
                    self._book(s, parc, slot, get_or_create_patient(s, next(self.phones), "fr"), now)
        for offset in range(self.days):
            day = START + dt.timedelta(days=offset)
            self.at(local_to_utc(day, dt.time(0, 5), TZ), "horizon")
            count = self.weekday if day.weekday() < 5 else self.weekend
            for _ in range(count):
                minute = self.rng.randrange(7 * 60, 21 * 60)
                self.at(local_to_utc(day, dt.time(minute // 60, minute % 60), TZ), "request")

    def run(self) -> Stats:
        self.plan()
        with using(self.rt):
            while self.events:
                when, _n, kind, args = heapq.heappop(self.events)
                if when >= self.end:
                    break
                self.clock.now = max(self.clock.now, when)
                getattr(self, "on_" + kind)(*args)
                self.rt.jobs.drain()
                self.schedule_answers()
        return self.stats

    # -- what happens ---------------------------------------------------------------------------------------

    def _book(self, s, clinic, slot, patient, now) -> Appointment | None:
        try:
            appointment = booking.book(s, slot.id, patient, "sms", now)
        except DomainError:
            return None
        self.stats.booked += 1
        if self.rng.random() < CANCEL_SHARE:
            latest = slot.starts_at - dt.timedelta(minutes=30)
            if latest > now:
                moment = now + (latest - now) * self.rng.random()
                self.at(moment, "cancel", appointment.id)
        return appointment

    def on_horizon(self) -> None:
        with self.rt.session_factory.begin() as s:
            clinics.generate_slots(s, s.get(Clinic, "parc"), self.clock(), 30)

    def on_request(self) -> None:
        now = self.clock()
        self.stats.requests += 1
        wish = wish_of(self.rng)
        patience = self.rng.randint(2, 7)
        with self.rt.session_factory.begin() as s:
            parc = s.get(Clinic, "parc")
            slot = first_suitable(s, parc, wish, now)
            if slot is None:
                return
            patient = get_or_create_patient(s, next(self.phones), "fr")
            far = (slot.starts_at - now) > dt.timedelta(days=patience)
            if far and self.with_list and self.rng.random() < JOIN_SHARE:
                local_day = to_local(slot.starts_at, TZ).date()
                listed = {**wish, "na": (local_day - dt.timedelta(days=1)).isoformat()}
                person = people.first_person(s, patient, now)
                entry, _new = waitlist.join(s, parc, patient, person, listed, "sms", now)
                self.stats.joined += 1
                self.fallback[entry.id] = slot.starts_at
                self.entry_wish[entry.id] = (patient.phone, wish)
                give_up = min(
                    entry.expires_at, local_to_utc(local_day - dt.timedelta(days=1), dt.time(0, 0), TZ)
                )
                self.at(give_up, "give_up", entry.id)
                return
            self._book(s, parc, slot, patient, now)

    def on_cancel(self, appointment_id: int) -> None:
        now = self.clock()
        with self.rt.session_factory.begin() as s:
            appointment = s.get(Appointment, appointment_id)
            if (
                appointment is None
                or appointment.status != AppointmentStatus.BOOKED
                or appointment.starts_at <= now
            ):
                return
            booking.cancel(s, appointment_id, now, "sms")
            self.stats.cancelled += 1
            self.stats.freed.append((appointment.slot_id, now))

    def on_give_up(self, entry_id: int) -> None:
        """Still waiting when the entry ends (or the day they could have had comes): book the first free slot."""
        now = self.clock()
        with self.rt.session_factory.begin() as s:
            entry = s.get(WaitlistEntry, entry_id)
            if entry.status not in (waitlist.WAITING, waitlist.EXPIRED):
                return
            if entry.status == waitlist.WAITING:
                waitlist.leave(s, entry, now, "sms")
            self.stats.gave_up += 1
            parc = s.get(Clinic, "parc")
            slot = first_suitable(s, parc, self.entry_wish[entry_id][1], now)
            if slot is not None:
                self._book(s, parc, slot, entry.patient, now)

    def schedule_answers(self) -> None:
        with self.rt.session_factory() as s:
            fresh = s.scalars(select(WaitlistOffer.id).where(WaitlistOffer.status == waitlist.OPEN)).all()
        for offer_id in fresh:
            if offer_id in self.scheduled_offers:
                continue
            self.scheduled_offers.add(offer_id)
            self.at(self.clock() + dt.timedelta(minutes=self.rng.uniform(1, 20)), "answer", offer_id)

    def on_answer(self, offer_id: int) -> None:
        now = self.clock()
        with self.rt.session_factory.begin() as s:
            offer = s.get(WaitlistOffer, offer_id)
            if offer.expires_at <= now or offer.status != waitlist.OPEN:
                self.stats.offers_unanswered += offer.status in (waitlist.OPEN, "expired")
                if offer.status == waitlist.OPEN:
                    waitlist.accept(s, offer, now, "sms")  # too late: told it expired, the slot goes on
                return
            self.stats.offers_answered += 1
            slot = s.get(Slot, offer.slot_id)
            if slot.starts_at >= self.fallback[offer.entry_id] or self.rng.random() < 0.1:
                waitlist.decline(s, offer, now)
                self.stats.offers_declined += 1
                return
            done = waitlist.accept(s, offer, now, "sms")
            if done.outcome == "booked":
                self.stats.offers_taken += 1
                gained = (
                    to_local(self.fallback[offer.entry_id], TZ).date() - to_local(slot.starts_at, TZ).date()
                )
                self.stats.gained_days.append(gained.days)

    # -- the figures ------------------------------------------------------------------------------------------

    def refilled(self, within: dt.timedelta | None = None) -> tuple[int, int, int]:
        """(freed slots whose start fell in the simulation, of which booked again before their start, by the list);
        `within`: only slots freed less than that before their start (short notice)."""
        with self.rt.session_factory() as s:
            total = refilled = by_list = 0
            listed = set(
                s.scalars(select(WaitlistOffer.appointment_id).where(WaitlistOffer.status == "accepted"))
            )
            for slot_id, freed_at in self.stats.freed:
                slot = s.get(Slot, slot_id)
                if slot.starts_at >= self.end or (within is not None and slot.starts_at - freed_at > within):
                    continue
                total += 1
                again = s.scalars(
                    select(Appointment).where(
                        Appointment.slot_id == slot_id,
                        Appointment.created_at > freed_at,
                        Appointment.status == AppointmentStatus.BOOKED,
                    )
                ).all()
                if again:
                    refilled += 1
                    by_list += any(a.id in listed for a in again)
            return total, refilled, by_list


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--weekday", type=int, default=58, help="appointment requests per weekday")
    parser.add_argument("--weekend", type=int, default=20, help="appointment requests per weekend day")
    args = parser.parse_args()
    results = {}
    short = dt.timedelta(hours=48)
    with tempfile.TemporaryDirectory() as tmp:
        for with_list in (True, False):
            started = time.perf_counter()
            sim = Simulation(args.days, args.seed, with_list, Path(tmp), args.weekday, args.weekend)
            stats = sim.run()
            results[with_list] = (
                sim,
                stats,
                sim.refilled(),
                sim.refilled(short),
                time.perf_counter() - started,
            )
            sim.rt.dispose()
    sim, stats, (total, refilled, by_list), (s_total, s_refilled, s_list), seconds = results[True]
    _sim0, stats0, (total0, refilled0, _), (s_total0, s_refilled0, _), seconds0 = results[False]
    print(
        f"clinic parc, {args.days} simulated days from {START}, seed {args.seed},"
        f" {args.weekday} requests a weekday and {args.weekend} a weekend day (capacity 64 a weekday)"
    )
    print(
        f"requests {stats.requests}, bookings {stats.booked}, cancellations {stats.cancelled}, joined the list {stats.joined}"
    )
    print(
        f"offers answered {stats.offers_answered} (taken {stats.offers_taken}, declined {stats.offers_declined}),"
        f" unanswered in time {stats.offers_unanswered}; still waiting at their last day: {stats.gave_up}"
    )
    share = refilled / total if total else 0.0
    share0 = refilled0 / total0 if total0 else 0.0
    print(
        f"freed slots refilled before their start, with the list: {refilled}/{total} = {share:.1%} ({by_list} by the list)"
    )
    print(f"freed slots refilled before their start, without it:    {refilled0}/{total0} = {share0:.1%}")

    def pct(a: int, b: int) -> str:
        return f"{a}/{b} = {a / b:.1%}" if b else "0/0"

    print(
        f"  freed less than 48 h before their start, with the list: {pct(s_refilled, s_total)} ({s_list} by the list)"
    )
    print(f"  freed less than 48 h before their start, without it:    {pct(s_refilled0, s_total0)}")
    if stats.gained_days:
        print(
            f"days gained by the {len(stats.gained_days)} patients the list gave a slot: median"
            f" {statistics.median(stats.gained_days):g}, mean {statistics.mean(stats.gained_days):.1f},"
            f" min {min(stats.gained_days)}, max {max(stats.gained_days)}"
        )
    else:
        print("days gained: no patient got a slot from the list")
    print(f"run time: {seconds:.1f} s with the list, {seconds0:.1f} s without")


if __name__ == "__main__":
    main()
