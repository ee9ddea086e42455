"""The staff console: named accounts see and run their clinics' day, inbox, audit log, patient rights and settings."""

from staff import display, inbox, live, manager, schedule, settings, waitlist, week  # noqa: F401  (their routes join the blueprint)
from staff.routes import bp

__all__ = ["bp"]
