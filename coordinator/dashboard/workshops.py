"""Dashboard pages: a round's workshop sessions (date, venue, capacity, load), their
invitations and RSVPs; planning a session; changing one, after a preview of who gets an
updated calendar invitation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import select

from coordinator import db
from coordinator.dashboard.blueprint import bp
from coordinator.dashboard.helpers import actor_id, audit_trail, record_for_view, round_for_view
from coordinator.dashboard.session_changes import (
    KINDS,
    add_session,
    change_session,
    live_invitations,
    recipients,
    session_loads,
    venue_by_id,
)
from coordinator.models import Host, RoundStatus, WorkshopSession
from coordinator.services.workshops import VENUES

__all__ = ["bp"]
# Sessions can be planned until the workshops have been scheduled.
PLANNABLE = tuple(s for s in RoundStatus if s not in (RoundStatus.WORKSHOPS, RoundStatus.DONE))


def _rsvp_replies(invitation_id: int) -> dict[str, str]:
    try:
        from coordinator.services.rsvp import replies
    except ImportError:  # RSVP links not installed: the invitation's own state is all we know
        return {}
    return replies(db.session(), invitation_id)


def _session_form(kind_required: bool) -> tuple[dict[str, Any], dict[str, list[str]]]:
    form, values, errors = request.form, {}, {}
    try:
        values["date"] = dt.date.fromisoformat(form.get("date", ""))
    except ValueError:
        errors["date"] = [gettext("Enter a date, like 2027-08-30.")]
    venue = venue_by_id(form.get("venue", ""))
    if venue is None:
        errors["venue"] = [gettext("Choose from the list.")]
    values["venue"] = venue
    if kind_required:
        if form.get("kind") not in KINDS:
            errors["kind"] = [gettext("Choose from the list.")]
        values["kind"] = form.get("kind")
        raw = form.get("capacity", "")
        if not raw.isdigit() or not 1 <= int(raw) <= 500:
            errors["capacity"] = [gettext("Enter a whole number from 1 to 500.")]
        else:
            values["capacity"] = int(raw)
    return values, errors


@bp.route("/rounds/<int:round_id>/workshops", methods=["GET", "POST"])
def workshops(round_id: int) -> ResponseReturnValue:
    round_ = round_for_view(round_id)
    session = db.session()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values, errors = _session_form(kind_required=True)
        if round_.status not in PLANNABLE:
            errors["form"] = [gettext("The workshops of this round are already scheduled.")]
        if not errors:
            add_session(session, round_, values["kind"], values["date"], values["venue"],
                        values["capacity"], actor_id())
            session.commit()
            flash(gettext("The session was added."))
            return redirect(url_for("dashboard.workshops", round_id=round_id))
    sessions = session.scalars(select(WorkshopSession).where(
        WorkshopSession.round_id == round_id).order_by(WorkshopSession.date,
                                                       WorkshopSession.id)).all()
    loads = session_loads(session, round_id)
    rows = []
    for ws in sessions:
        invitations = [{"invitation": i, "host": session.get(Host, i.host_id),
                        "replies": _rsvp_replies(i.id)} for i in live_invitations(session, ws.id)]
        rows.append({"session": ws, "load": loads.get(ws.id, 0), "invitations": invitations})
    return render_template("dashboard/workshops.html", round_=round_, rows=rows, errors=errors,
                           venues=VENUES, kinds=KINDS, plannable=round_.status in PLANNABLE,
                           values=request.form), (400 if errors else 200)


@bp.route("/workshop-sessions/<int:session_id>/edit", methods=["GET", "POST"])
def workshop_session_edit(session_id: int) -> ResponseReturnValue:
    ws = record_for_view(WorkshopSession, session_id, "workshop session")
    round_ = round_for_view(ws.round_id)
    session = db.session()
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        values, errors = _session_form(kind_required=False)
        if not errors and values["date"] == ws.date and values["venue"]["name"] == ws.venue:
            errors["date"] = [gettext("Change the date or the venue.")]
        if not errors and request.form.get("confirm") == "yes":
            told = change_session(session, ws, values["date"], values["venue"], actor_id())
            session.commit()
            flash(gettext("The session was changed; %(count)s people get an updated calendar "
                          "invitation.", count=told))
            return redirect(url_for("dashboard.workshops", round_id=ws.round_id))
    people = recipients(session, ws) if ws.id else []
    return render_template(
        "dashboard/workshop_session.html", round_=round_, ws=ws, errors=errors, venues=VENUES,
        preview=request.method == "POST" and not errors, values=values, people=people,
        trail=audit_trail("workshop_session", ws.id)), (400 if errors else 200)
