"""Domain errors raised by services; the dialog and the console turn them into words."""

from __future__ import annotations

import datetime as dt


class DomainError(Exception):
    """Base of every error a patient or staff member can cause and be told about."""


class SlotTaken(DomainError):
    """The slot was booked or is held by someone else."""


class SlotNotFound(DomainError):
    pass


class AppointmentNotFound(DomainError):
    pass


class AppointmentNotCancellable(DomainError):
    """Already cancelled, or already past."""


class InvalidPhoneNumber(DomainError):
    pass


class WalkinUnavailable(DomainError):
    """The clinic has no walk-in service."""


class WalkinNotOpen(DomainError):
    """Registration is not open now; `opens_at` says when it next opens (aware, UTC) or None."""

    def __init__(self, opens_at: dt.datetime | None):
        super().__init__(opens_at)
        self.opens_at = opens_at


class QueueFull(DomainError):
    """Every place of today's queue is taken; `reopens_at` is the next opening."""

    def __init__(self, reopens_at: dt.datetime | None):
        super().__init__(reopens_at)
        self.reopens_at = reopens_at


class NotEnoughPlaces(DomainError):
    """Fewer places are left in today's queue than a group asked for; `left` may still be taken."""

    def __init__(self, left: int, asked: int):
        super().__init__(left, asked)
        self.left = left
        self.asked = asked


class AlreadyInQueue(DomainError):
    def __init__(self, ticket_id: int):
        super().__init__(ticket_id)
        self.ticket_id = ticket_id


class NotInQueue(DomainError):
    pass


class NoOneWaiting(DomainError):
    pass


class CallbackNotFound(DomainError):
    pass


class TooManyPeople(DomainError):
    """A phone already speaks for as many people as it may (core.services.people.MAX_PEOPLE)."""

    def __init__(self, patient_id: int):
        super().__init__(patient_id)
        self.patient_id = patient_id


class PersonAlreadyBooked(DomainError):
    """This person already has an appointment that starts at that time (at any practitioner)."""

    def __init__(self, person_id: int):
        super().__init__(person_id)
        self.person_id = person_id
