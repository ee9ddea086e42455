"""The day page, live: the page polls a small JSON view and swaps in the parts of the board that changed.

Why polling and not server-sent events: an event stream holds its request open, and under gunicorn's sync
workers (the Procfile's) or waitress's fixed thread pool (`clinicline serve`) each open console or screen
would keep one worker or thread for itself, so a few open tabs could starve the webhooks. A poll every
POLL_SECONDS is a short request; when nothing changed since the stamp the page holds, it costs the sign-in
check and one aggregate query (core.services.live_board.day_stamp), and answers a few bytes.
"""

from __future__ import annotations

from flask import g, jsonify, render_template, request

from core.services import board, live_board, walkin
from core.services.clinics import clinic_by_id, local_now
from core.webhooks import runtime
from staff.routes import bp, no_show_context, when_formatter, works_at_or_404

POLL_SECONDS = 2.5  # a new walk-in shows within 5 s with a poll missed


@bp.get("/<clinic_id>/live.json")
def live_json(clinic_id: str):
    """{"stamp", "changed"} and, when the stamp moved, the board's parts as HTML (the page's own templates)."""
    works_at_or_404(clinic_id)
    rt = runtime()
    now = rt.now()
    with rt.session_factory() as s:
        clinic = clinic_by_id(s, clinic_id)  # from the clinics cache: no query
        if clinic is None:
            return jsonify({"error": "not_found"}), 404
        day = local_now(clinic, now).date()
        stamp = live_board.day_stamp(s, clinic, day)
        if stamp == request.args.get("stamp", "")[:32]:
            return jsonify({"stamp": stamp, "changed": False, "every": POLL_SECONDS})
        today = board.todays_board(s, clinic, now)
        html = render_template(
            "staff/parts/day_live.html",
            board=today,
            clinic=clinic,
            when=when_formatter(clinic, g.staff_lang),
            groups=walkin.group_leads(today.queue),
            **no_show_context(s, clinic, today, g.staff_lang),  # past no-shows next to each patient
        )
        return jsonify({"stamp": stamp, "changed": True, "every": POLL_SECONDS, "html": html})
