"""Dashboard pages: offers and responses — per placement where host, visitor and manager
stand (answered, waiting, late, declined), and "resend reminder"."""

from __future__ import annotations

from collections import Counter

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime, gettext
from sqlalchemy.exc import IntegrityError

from coordinator import db
from coordinator.dashboard.blueprint import bp
from coordinator.dashboard.helpers import actor_id, paginate, record_for_view, round_for_view
from coordinator.dashboard.reminders import (
    CONSENT_STATES,
    last_reminder,
    offer_rows,
    resend_reminder,
)
from coordinator.models import Placement
from coordinator.models.placement import PARTIES
from coordinator.services import offers
from coordinator.services.errors import Conflict

__all__ = ["bp"]


@bp.get("/rounds/<int:round_id>/offers", endpoint="offers")
def offers_page(round_id: int) -> ResponseReturnValue:
    round_ = round_for_view(round_id)
    session = db.session()
    rows = offer_rows(session, offers.current_placements(session, round_id))
    totals = Counter(state for row in rows for state in row["states"].values())
    wanted = request.args.get("state", "")
    if wanted in CONSENT_STATES:
        rows = [row for row in rows if wanted in row["states"].values()]
    return render_template("dashboard/offers.html", round_=round_, page=paginate(rows),
                           totals=totals, states=CONSENT_STATES, wanted=wanted,
                           parties=PARTIES)


@bp.post("/placements/<int:placement_id>/remind")
def placement_remind(placement_id: int) -> ResponseReturnValue:
    placement = record_for_view(Placement, placement_id, "placement")
    session = db.session()
    try:
        count = resend_reminder(session, placement, actor_id())
    except IntegrityError:  # a second click raced this one and queued the reminder
        session.rollback()
        return redirect(url_for("dashboard.offers", round_id=placement.round_id))
    except Conflict as exc:
        session.rollback()
        previous = last_reminder(session, placement)
        if previous is not None and "12 hours" in exc.message:
            flash(gettext("A reminder was already sent at %(when)s; wait before sending another.",
                          when=format_datetime(previous, "short")))
        else:
            flash(gettext("No reminder was sent: the offer is no longer open or everyone has "
                          "answered."))
        return redirect(url_for("dashboard.offers", round_id=placement.round_id))
    session.commit()
    flash(gettext("A reminder is on its way to %(count)s people.", count=count))
    return redirect(url_for("dashboard.offers", round_id=placement.round_id))
