"""Any day and any week of the schedule, practitioner by practitioner, and the day sheet to download (PDF, CSV).

The day view lists every slot (free, pooled, held, blocked, booked with who and the code) and is audited like
today's board (it shows patients' names); the week view shows counts only.
"""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, g, render_template, request
from flask_login import current_user

from core.services import agenda, audit
from core.timeutil import to_local
from core.webhooks import runtime
from prompts.format import format_date
from staff import paper
from staff.routes import audited, bp, clinic_or_404, when_formatter, wished_day


def _day_links(day: dt.date) -> dict[str, dt.date]:
    return {
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "previous_week": day - dt.timedelta(days=7),
        "next_week": day + dt.timedelta(days=7),
    }


@bp.get("/<clinic_id>/days")
def day_view(clinic_id: str):
    rt = runtime()
    now = rt.now()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id)
        day = wished_day(clinic, now)
        columns = agenda.day_agenda(s, clinic, day, now)
        audited(s, "staff.viewed_day", clinic, subject=f"day:{day.isoformat()}")
        lang = g.staff_lang
        return render_template(
            "staff/day_view.html",
            clinic=clinic,
            day=day,
            today=to_local(now, clinic.timezone).date(),
            date_label=format_date(day, lang),
            columns=columns,
            when=when_formatter(clinic, lang),
            kinds=agenda.KINDS,
            **_day_links(day),
        )


@bp.get("/<clinic_id>/week")
def week_view(clinic_id: str):
    rt = runtime()
    now = rt.now()
    with rt.session_factory() as s:
        clinic = clinic_or_404(s, clinic_id)
        days = agenda.week_of(wished_day(clinic, now))
        practitioners, counts = agenda.week_counts(s, clinic, days, now)
        lang = g.staff_lang
        return render_template(
            "staff/week.html",
            clinic=clinic,
            days=days,
            day_labels={d: format_date(d, lang) for d in days},
            today=to_local(now, clinic.timezone).date(),
            practitioners=practitioners,
            counts=counts,
            kinds=agenda.KINDS,
            previous_week=days[0] - dt.timedelta(days=7),
            next_week=days[0] + dt.timedelta(days=7),
        )


def _sheet(s, clinic, day: dt.date):
    sheet = paper.day_from_session(s, clinic, day)
    key = request.args.get("practitioner", "")[:40]
    if key:
        sheet = sheet.only(key)
        if sheet is None:
            abort(404)
    return sheet, key


def _download(clinic_id: str, kind: str):
    """The day sheet as a file; downloading one is in the audit log (it holds patients' names)."""
    rt = runtime()
    now = rt.now()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id)
        day = wished_day(clinic, now)
        sheet, key = _sheet(s, clinic, day)
        audit.record(
            s,
            "staff.daysheet_downloaded",
            channel="staff",
            clinic_id=clinic.id,
            actor=current_user.actor,
            subject=f"day:{day.isoformat()}",
            format=kind,
            **({"practitioner": key} if key else {}),
        )
    name = f"daysheet-{clinic_id}{'-' + key if key else ''}-{day.isoformat()}.{kind}"
    if kind == "pdf":
        body, mimetype = paper.pdf_bytes(sheet, day, now), "application/pdf"
    else:
        body, mimetype = "\ufeff" + paper.csv_text(sheet), "text/csv; charset=utf-8"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/<clinic_id>/daysheet.pdf")
def daysheet_pdf(clinic_id: str):
    return _download(clinic_id, "pdf")


@bp.get("/<clinic_id>/daysheet.csv")
def daysheet_csv(clinic_id: str):
    return _download(clinic_id, "csv")
