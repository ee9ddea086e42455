"""The staff console: a small web page to see and run the clinic's day (queue, appointments, callbacks)."""

from staff.routes import bp

__all__ = ["bp"]
