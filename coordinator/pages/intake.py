"""The application form and the host offer form, with their confirmation pages.

POST-redirect-GET: a stored submission redirects to its confirmation, so reloading the
confirmation never submits twice.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError

from coordinator import db
from coordinator.models import Round
from coordinator.pages.blueprint import bp
from coordinator.pages.forms import FormState, validate
from coordinator.pages.kinds import APPLICATION, HOST, Kind, blank_form, form_context
from coordinator.services.errors import Conflict, InvalidData

SUBMITTED_KEY = "last_submission"


def _round(round_id: int) -> Round:
    round_ = db.session().get(Round, round_id)
    if round_ is None:
        abort(404)
    return round_


def _not_open(kind: Kind, round_: Round) -> ResponseReturnValue:
    return render_template("round_not_open.html", kind=kind.name, round=round_), 409


def _render(kind: Kind, round_: Round, form: FormState, status: int = 200) -> ResponseReturnValue:
    context = form_context(db.session(), kind, round_, form)
    return render_template("intake_form.html", **context), status


def _already_applied(form: FormState) -> None:
    form.add("email", gettext(
        "You have already applied in this round. Use the link in the confirmation email we "
        "sent you to see, change or withdraw your application."))


def _submit(kind: Kind, round_id: int) -> ResponseReturnValue:
    round_ = _round(round_id)
    if not round_.is_open:
        return _not_open(kind, round_)
    if request.method == "GET":
        return _render(kind, round_, blank_form(kind, round_))
    data, form = kind.from_form(request.form)
    loaded, errors = validate(kind.schema(), data)
    if loaded is None:
        form.add_errors(errors)
        return _render(kind, round_, form, 422)
    dbs = db.session()
    try:
        record = kind.submit(dbs, round_id, loaded)
        dbs.commit()
    except InvalidData as exc:
        dbs.rollback()
        form.add_errors(exc.errors)
        return _render(kind, round_, form, 422)
    except Conflict as exc:
        dbs.rollback()
        if exc.details.get("field") != "email":
            return _not_open(kind, _round(round_id))
        _already_applied(form)
        return _render(kind, round_, form, 409)
    except IntegrityError:
        # Two submissions of the same person raced past the service's check; the unique
        # index caught the second one.
        dbs.rollback()
        _already_applied(form)
        return _render(kind, round_, form, 409)
    session[SUBMITTED_KEY] = {"kind": kind.name, "round_id": round_id,
                              "email": getattr(record, kind.email_field)}
    return redirect(url_for(f"pages.{kind.name}_submitted", round_id=round_id), 303)


def _confirmation(kind: Kind, round_id: int) -> ResponseReturnValue:
    submitted = session.get(SUBMITTED_KEY) or {}
    if submitted.get("kind") != kind.name or submitted.get("round_id") != round_id:
        # Nothing submitted in this browser: the form is where to go.
        return redirect(url_for(f"pages.{kind.name}_form", round_id=round_id))
    return render_template("intake_submitted.html", kind=kind.name, round=_round(round_id),
                           email=submitted.get("email", ""))


@bp.route("/rounds/<int:round_id>/apply", methods=["GET", "POST"])
def application_form(round_id: int) -> ResponseReturnValue:
    return _submit(APPLICATION, round_id)


@bp.get("/rounds/<int:round_id>/apply/submitted")
def application_submitted(round_id: int) -> ResponseReturnValue:
    return _confirmation(APPLICATION, round_id)


@bp.route("/rounds/<int:round_id>/host", methods=["GET", "POST"])
def host_form(round_id: int) -> ResponseReturnValue:
    return _submit(HOST, round_id)


@bp.get("/rounds/<int:round_id>/host/submitted")
def host_submitted(round_id: int) -> ResponseReturnValue:
    return _confirmation(HOST, round_id)
