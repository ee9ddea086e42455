"""The clinic's SMS inbox on the console: threads of patients who asked for a person, answered by SMS.

The list and an open thread refresh themselves (static/console.js polls the .json views every few seconds).
"""

from __future__ import annotations

from flask import g, jsonify, render_template, request
from flask_login import current_user

from core.jobs.names import SEND_MESSAGE
from core.models import InboxThread, Patient
from core.services import audit, inbox
from core.webhooks import runtime
from staff.routes import act, bp, clinic_or_404, owned_or_404, when_formatter


def _thread_summary(thread: InboxThread, when) -> dict:
    last = thread.messages[-1] if thread.messages else None
    return {
        "id": thread.id,
        "phone": thread.phone,
        "status": thread.status,
        "updated": when(thread.updated_at, True),
        "last": (last.body[:120] if last else ""),
        "last_in": bool(last and last.direction == "in"),
    }


@bp.get("/<clinic_id>/inbox")
def inbox_list(clinic_id: str):
    rt = runtime()
    with rt.session_factory() as s:
        clinic = clinic_or_404(s, clinic_id)
        when = when_formatter(clinic, g.staff_lang)
        threads = [_thread_summary(t, when) for t in inbox.threads(s, clinic.id)]
        return render_template(
            "staff/inbox.html", clinic=clinic, threads=threads, notice=request.args.get("notice")
        )


@bp.get("/<clinic_id>/inbox.json")
def inbox_list_json(clinic_id: str):
    rt = runtime()
    with rt.session_factory() as s:
        clinic = clinic_or_404(s, clinic_id)
        when = when_formatter(clinic, g.staff_lang)
        threads = [_thread_summary(t, when) for t in inbox.threads(s, clinic.id)]
        return jsonify({"open": sum(t["status"] == "open" for t in threads), "threads": threads})


def _thread_view(s, clinic, thread: InboxThread) -> dict:
    when = when_formatter(clinic, g.staff_lang)
    sent = inbox.statuses(s, thread)
    messages = []
    for m in thread.messages:
        outbound = sent.get(m.outbound_message_id)
        messages.append(
            {
                "id": m.id,
                "direction": m.direction,
                "body": m.body,
                "at": when(m.at, True),
                "status": outbound.status if outbound else None,
            }
        )
    return {"id": thread.id, "status": thread.status, "messages": messages}


@bp.get("/<clinic_id>/inbox/<id:thread_id>")
def inbox_thread(clinic_id: str, thread_id: int):
    rt = runtime()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id)
        thread = owned_or_404(s, InboxThread, thread_id, clinic)
        patient = s.get(Patient, thread.patient_id) if thread.patient_id else None
        audit.record(
            s,
            "inbox.viewed",
            channel="staff",
            clinic_id=clinic.id,
            actor=current_user.actor,
            subject=f"thread:{thread.id}",
        )
        return render_template(
            "staff/thread.html",
            clinic=clinic,
            thread=thread,
            view=_thread_view(s, clinic, thread),
            patient_name=", ".join(p.name for p in patient.people if p.name) if patient else None,
            notice=request.args.get("notice"),
            reply_max=inbox.REPLY_MAX,
        )


@bp.get("/<clinic_id>/inbox/<id:thread_id>.json")
def inbox_thread_json(clinic_id: str, thread_id: int):
    rt = runtime()
    with rt.session_factory() as s:
        clinic = clinic_or_404(s, clinic_id)
        thread = owned_or_404(s, InboxThread, thread_id, clinic)
        return jsonify(_thread_view(s, clinic, thread))


@bp.post("/<clinic_id>/inbox/<id:thread_id>/reply")
def inbox_reply(clinic_id: str, thread_id: int):
    """Answer the patient by SMS, through the outbound sender (the thread shows its delivery status)."""

    def action(s, clinic, now, actor):
        thread = owned_or_404(s, InboxThread, thread_id, clinic)
        message = inbox.reply(s, thread, request.form.get("body", ""), current_user.account_id, actor, now)
        return [(SEND_MESSAGE, message.id)]

    return act(clinic_id, action, back="staff.inbox_thread", thread_id=thread_id)


@bp.post("/<clinic_id>/inbox/<id:thread_id>/close")
def inbox_close(clinic_id: str, thread_id: int):
    """Done with this patient: their next texts go to the automated line again."""

    def action(s, clinic, now, actor):
        thread = owned_or_404(s, InboxThread, thread_id, clinic)
        inbox.close(s, thread, current_user.account_id, actor, now)

    return act(clinic_id, action, back="staff.inbox_list")
