"""The signed links mailed to applicants and hosts: see, edit and withdraw a submission.

The token in the URL is the only credential, so these pages never leak it in a Referer
header and are not cached (``coordinator.security`` sets both headers for every signed-link
URL: these pages, offers and RSVPs, and a 404 under them). A bad token changes nothing: 410
when it expired, 403 otherwise.
"""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError

from coordinator import db
from coordinator.models import Round
from coordinator.pages.blueprint import bp
from coordinator.pages.forms import FormState, validate
from coordinator.pages.kinds import APPLICATION, HOST, Kind, form_context, summary_rows
from coordinator.services.errors import Conflict, InvalidData
from coordinator.services.links import LinkError, read_token


def _record(kind: Kind, token: str) -> Any:
    """The record the token opens, or a 403/410 page (raised, so nothing runs after it)."""
    try:
        record_id = read_token(kind.purpose, token)
    except LinkError as exc:
        code = 410 if exc.expired else 403
        abort(make_response(render_template("link_problem.html", code=code, kind=kind.name), code))
    record = db.session().get(kind.model, record_id)
    if record is None:
        abort(make_response(render_template("link_problem.html", code=404, kind=kind.name), 404))
    return record


def _editable(record: Any, round_: Round) -> bool:
    return round_.is_open and record.status != "withdrawn"


def _page(kind: Kind, token: str, record: Any, form: FormState | None = None,
          status: int = 200, notice: str | None = None) -> ResponseReturnValue:
    dbs = db.session()
    round_ = dbs.get(Round, record.round_id)
    assert round_ is not None  # a record's round is deleted only with the record
    editable = _editable(record, round_)
    if not editable and notice is None:
        notice = _locked_notice(kind, record)
    if editable and form is None:
        form = FormState(kind.values(record), kind.fields)
    context = form_context(dbs, kind, round_, form) if editable and form else {
        "kind": kind.name, "round": round_}
    return render_template(
        "intake_link.html", **context, record=record, token=token, editable=editable,
        notice=notice, rows=summary_rows(dbs, kind, record)), status


def _locked_notice(kind: Kind, record: Any) -> str:
    if record.status == "withdrawn":
        if kind is APPLICATION:
            return gettext("This application has been withdrawn.")
        return gettext("This host offer has been withdrawn.")
    return gettext("The round is no longer open, so this can no longer be changed here. "
                   "Please contact the coordinators if something has changed.")


def _show(kind: Kind, token: str) -> ResponseReturnValue:
    record = _record(kind, token)
    if request.method == "GET":
        return _page(kind, token, record)
    dbs = db.session()
    if not _editable(record, dbs.get(Round, record.round_id)):
        return _page(kind, token, record, status=409, notice=_locked_notice(kind, record))
    data, form = kind.from_form(request.form)
    loaded, errors = validate(kind.schema(), data)
    if loaded is None:
        form.add_errors(errors)
        return _page(kind, token, record, form, 422)
    try:
        kind.update(dbs, record, loaded)
        dbs.commit()
    except InvalidData as exc:
        dbs.rollback()
        form.add_errors(exc.errors)
        return _page(kind, token, record, form, 422)
    except Conflict:
        dbs.rollback()
        return _page(kind, token, record, status=409, notice=_locked_notice(kind, record))
    except IntegrityError:
        dbs.rollback()
        form.add(kind.email_field, gettext(
            "Another application in this round uses this email address."))
        return _page(kind, token, record, form, 409)
    flash(gettext("Your changes have been saved."))
    return redirect(url_for(f"pages.{kind.name}_link", token=token), 303)


def _withdraw(kind: Kind, token: str) -> ResponseReturnValue:
    record = _record(kind, token)
    dbs = db.session()
    round_ = dbs.get(Round, record.round_id)
    assert round_ is not None
    if not _editable(record, round_):
        return _page(kind, token, record, status=409, notice=_locked_notice(kind, record))
    if request.form.get("confirm") != "yes":
        # The first press asks; only the explicit "yes" on the next page withdraws.
        return render_template("intake_withdraw.html", kind=kind.name, token=token,
                               record=record, round=round_)
    try:
        kind.withdraw(dbs, record)
        dbs.commit()
    except Conflict:
        dbs.rollback()
        return _page(kind, token, record, status=409, notice=_locked_notice(kind, record))
    # No flash: the page it leads to says the submission is withdrawn.
    return redirect(url_for(f"pages.{kind.name}_link", token=token), 303)


@bp.route("/application/<token>", methods=["GET", "POST"])
def application_link(token: str) -> ResponseReturnValue:
    return _show(APPLICATION, token)


@bp.post("/application/<token>/withdraw")
def application_withdraw(token: str) -> ResponseReturnValue:
    return _withdraw(APPLICATION, token)


@bp.route("/host/<token>", methods=["GET", "POST"])
def host_link(token: str) -> ResponseReturnValue:
    return _show(HOST, token)


@bp.post("/host/<token>/withdraw")
def host_withdraw(token: str) -> ResponseReturnValue:
    return _withdraw(HOST, token)
