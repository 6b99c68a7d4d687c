"""Dashboard pages: the email outbox (status, template filters), one message, and the
addresses the provider could not deliver to."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from coordinator import db
from coordinator.api.emails import EmailListArgs
from coordinator.dashboard.blueprint import bp
from coordinator.dashboard.helpers import form_errors, paginate, round_for_view, state_label
from coordinator.models import Message, MessageAttachment, Round
from coordinator.models.message import MESSAGE_STATUSES
from coordinator.services import outbox

__all__ = ["bp"]


def _outbox(round_: Round | None) -> ResponseReturnValue:
    raw = {key: request.args.get(key, "").strip() for key in ("status", "template")}
    args, errors = form_errors(EmailListArgs(), {k: v for k, v in raw.items() if v})
    rows: list[Message] = []
    session = db.session()
    if not errors:
        query = outbox.messages_query(current_user, args.get("status"), args.get("template"),
                                      round_.id if round_ else None)
        rows = list(session.scalars(query))
    templates = sorted(set(session.scalars(select(Message.template).distinct())))
    return render_template(
        "dashboard/emails.html", round_=round_, page=paginate(rows), errors=errors, filters=raw,
        statuses=[(s, state_label(s)) for s in MESSAGE_STATUSES], templates=[(t, t) for t in templates],
    ), (400 if errors else 200)


@bp.get("/emails")
def emails() -> ResponseReturnValue:
    return _outbox(None)


@bp.get("/rounds/<int:round_id>/emails")
def round_emails(round_id: int) -> ResponseReturnValue:
    return _outbox(round_for_view(round_id))


@bp.get("/emails/<int:message_id>")
def email(message_id: int) -> ResponseReturnValue:
    session = db.session()
    message = outbox.visible_message(session, current_user, message_id)
    attachments = session.scalars(select(MessageAttachment.filename).where(
        MessageAttachment.message_id == message_id)).all()
    round_ = session.get(Round, message.round_id) if message.round_id else None
    return render_template("dashboard/email.html", message=message, attachments=attachments,
                           round_=round_)


@bp.get("/emails/undeliverable")
def undeliverable() -> ResponseReturnValue:
    rows = list(db.session().scalars(outbox.undeliverable_query(current_user)))
    return render_template("dashboard/undeliverable.html", page=paginate(rows))
