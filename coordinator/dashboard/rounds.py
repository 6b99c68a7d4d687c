"""Dashboard pages: the list of rounds, creating and editing one, its overview, its lifecycle
buttons (with a confirmation for every step that cannot be undone) and the demo import."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import func, select

from coordinator import db
from coordinator.dashboard.blueprint import bp
from coordinator.dashboard.helpers import (
    actor_id,
    audit_trail,
    form_errors,
    integer_or_text,
    round_for_view,
    state_label,
    visible_only,
)
from coordinator.models import Application, Placement, Round, RoundStatus
from coordinator.pages.messages import translate
from coordinator.schemas.rounds import RoundIn
from coordinator.services import rounds as round_service
from coordinator.services.demo_import import (
    DEMO_SIZES,
    IMPORTABLE,
    demo_import_queued,
    request_demo_import,
    round_is_empty,
)
from coordinator.services.errors import Conflict, InvalidData

__all__ = ["bp"]

S = RoundStatus
# Moves a coordinator makes from the round page. The others belong to the matching page
# (review -> offers is publishing) or to the workers (matching -> review when a run ends,
# offers -> confirmed when every answer is in, confirmed -> workshops when scheduled).
MANUAL_MOVES = {(S.DRAFT, S.OPEN), (S.OPEN, S.CLOSED), (S.CLOSED, S.OPEN), (S.CLOSED, S.MATCHING),
                (S.MATCHING, S.CLOSED), (S.WORKSHOPS, S.DONE)}
ROUND_FIELDS = ("name", "weeks", "applications_close_on", "response_days", "default_max_km")


def is_irreversible(from_status: str, to_status: str) -> bool:
    """No way back: the lifecycle has no move from the new state to the old one."""
    return from_status not in round_service.TRANSITIONS.get(to_status, frozenset())


def lifecycle_moves(round_: Round) -> list[dict[str, Any]]:
    return [{"to": to, "irreversible": is_irreversible(round_.status, to)}
            for to in sorted(round_service.TRANSITIONS.get(round_.status, frozenset()))
            if (round_.status, to) in MANUAL_MOVES]


def placement_counts(round_id: int) -> Counter[str]:
    rows = db.session().execute(
        select(Placement.status, func.count()).where(Placement.round_id == round_id)
        .group_by(Placement.status)).all()
    return Counter(dict(rows))


def application_counts(round_id: int) -> Counter[str]:
    rows = db.session().execute(
        select(Application.status, func.count()).where(Application.round_id == round_id)
        .group_by(Application.status)).all()
    return Counter(dict(rows))


@bp.get("/")
@bp.get("/rounds")
def rounds() -> ResponseReturnValue:
    session = db.session()
    rows = []
    for round_ in session.scalars(visible_only(select(Round), Round.id).order_by(Round.id.desc())):
        rows.append({"round": round_, "counts": round_service.round_counts(session, round_.id),
                     "placements": placement_counts(round_.id)})
    return render_template("dashboard/rounds.html", rows=rows)


def _values_from_form() -> dict[str, Any]:
    form = request.form
    return {"name": form.get("name", ""),
            "weeks": [w for w in re.split(r"[\s,;]+", form.get("weeks", "").strip()) if w],
            "applications_close_on": form.get("applications_close_on") or None,
            "response_days": integer_or_text(form.get("response_days")),
            "default_max_km": integer_or_text(form.get("default_max_km"))}


def _form_values(round_: Round | None) -> dict[str, Any]:
    if request.method == "POST":
        values = {key: request.form.get(key, "") for key in ROUND_FIELDS}
        return values
    if round_ is None:
        return {"name": "", "weeks": "", "applications_close_on": "", "response_days": 5,
                "default_max_km": 250}
    return {"name": round_.name, "weeks": ", ".join(round_.weeks),
            "applications_close_on": round_.applications_close_on or "",
            "response_days": round_.response_days, "default_max_km": round_.default_max_km}


def _save_round(round_: Round | None) -> tuple[Round | None, dict[str, list[str]]]:
    data = {k: v for k, v in _values_from_form().items() if v is not None}
    loaded, errors = form_errors(RoundIn(), data)
    if errors:
        return None, errors
    session = db.session()
    try:
        if round_ is None:
            round_ = round_service.create_round(session, loaded, actor_id())
        else:
            round_ = round_service.update_round(session, round_, loaded, actor_id())
    except InvalidData as exc:
        session.rollback()
        return None, {k: [translate(t) for t in v] for k, v in exc.errors.items()}
    session.commit()
    return round_, {}


@bp.route("/rounds/new", methods=["GET", "POST"])
def round_new() -> ResponseReturnValue:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        saved, errors = _save_round(None)
        if saved is not None:
            flash(gettext("The round was created."))
            return redirect(url_for("dashboard.round", round_id=saved.id))
    return render_template("dashboard/round_form.html", round_=None, values=_form_values(None),
                           errors=errors), (400 if errors else 200)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
def round_edit(round_id: int) -> ResponseReturnValue:
    round_ = round_for_view(round_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            saved, errors = _save_round(round_)
        except Conflict as exc:
            db.session().rollback()
            saved, errors = None, {"form": [exc.message]}
        if saved is not None:
            flash(gettext("The round was saved."))
            return redirect(url_for("dashboard.round", round_id=round_id))
    return render_template("dashboard/round_form.html", round_=round_, values=_form_values(round_),
                           errors=errors), (400 if errors else 200)


@bp.get("/rounds/<int:round_id>")
def round(round_id: int) -> ResponseReturnValue:  # noqa: A001 - the endpoint's public name
    round_ = round_for_view(round_id)
    session = db.session()
    return render_template(
        "dashboard/round.html", round_=round_,
        counts=round_service.round_counts(session, round_id),
        applications=application_counts(round_id), placements=placement_counts(round_id),
        moves=lifecycle_moves(round_), editable=round_.status in (S.DRAFT, S.OPEN, S.CLOSED),
        import_queued=demo_import_queued(session, round_id),
        can_import=(round_.status in IMPORTABLE and round_is_empty(session, round_id)
                    and not demo_import_queued(session, round_id)),
        demo_sizes=DEMO_SIZES, trail=audit_trail("round", round_id)[:20])


@bp.route("/rounds/<int:round_id>/move/<to_status>", methods=["GET", "POST"])
def round_transition(round_id: int, to_status: str) -> ResponseReturnValue:
    round_ = round_for_view(round_id)
    if to_status not in {s.value for s in S}:
        abort(404)
    if (round_.status, to_status) not in MANUAL_MOVES:
        raise Conflict(gettext("A round in state “%(state)s” cannot be moved to “%(to)s” here.",
                               state=state_label(round_.status), to=state_label(to_status)))
    irreversible = is_irreversible(round_.status, to_status)
    if request.method == "GET" or (irreversible and request.form.get("confirm") != "yes"):
        return render_template("dashboard/round_confirm.html", round_=round_, to=to_status,
                               irreversible=irreversible)
    session = db.session()
    round_service.transition_round(session, round_, to_status, actor_id())
    session.commit()
    flash(gettext("The round is now “%(state)s”.", state=state_label(to_status)))
    return redirect(url_for("dashboard.round", round_id=round_id))


@bp.route("/rounds/<int:round_id>/demo", methods=["GET", "POST"])
def round_demo(round_id: int) -> ResponseReturnValue:
    round_ = round_for_view(round_id)
    size = request.values.get("size", "small")
    if size not in DEMO_SIZES:
        abort(400, description=gettext("Choose the size of the demo data."))
    session = db.session()
    if round_.status not in IMPORTABLE or not round_is_empty(session, round_id):
        raise Conflict(gettext("Demo data can only go into an empty draft or open round."))
    if demo_import_queued(session, round_id):
        raise Conflict(gettext("The demo import for this round is already queued."))
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template("dashboard/round_demo.html", round_=round_, size=size,
                               sizes=DEMO_SIZES)
    # Seeding takes seconds: a worker does it (workers.jobs_demo); this request only asks.
    request_demo_import(session, round_, size, actor_id())
    session.commit()
    flash(gettext("The demo import is queued: %(count)s applications appear here when it is "
                  "done.", count=DEMO_SIZES[size][0]))
    return redirect(url_for("dashboard.round", round_id=round_id))
