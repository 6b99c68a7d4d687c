"""Emails for coordinators: what was sent, what failed, who cannot be reached."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_login import current_user
from marshmallow import Schema, fields, validate

from coordinator import db
from coordinator.api.blueprint import Blueprint
from coordinator.api.paging import page_of
from coordinator.auth import coordinator_required
from coordinator.models.message import MESSAGE_STATUSES
from coordinator.services import outbox

blp = Blueprint("emails", __name__, url_prefix="/api/emails",
                description="Email messages and undeliverable addresses (coordinators only)")
blp.before_request(coordinator_required(lambda: None))


class EmailListArgs(Schema):
    status = fields.String(validate=validate.OneOf(MESSAGE_STATUSES))
    template = fields.String(validate=validate.Length(max=60))


class MessageOut(Schema):
    id = fields.Integer()
    template = fields.String()
    language = fields.String()
    recipient = fields.String()
    subject = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    provider_id = fields.String(allow_none=True)
    last_error = fields.String(allow_none=True)
    possible_duplicate = fields.Boolean()
    round_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class MessageDetailOut(MessageOut):
    body_text = fields.String()
    body_html = fields.String()


class UndeliverableOut(Schema):
    email = fields.String()
    event = fields.String()
    reason = fields.String(allow_none=True)
    message_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


@blp.route("")
class Emails(MethodView):
    @blp.arguments(EmailListArgs, location="query")
    @blp.response(200, MessageOut(many=True))
    @blp.paginate()
    @coordinator_required
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        return page_of(outbox.messages_query(current_user, args.get("status"),
                                             args.get("template")), pagination_parameters)


@blp.route("/<int:message_id>")
class EmailById(MethodView):
    @blp.response(200, MessageDetailOut)
    @blp.alt_response(404, description="No such message")
    @coordinator_required
    def get(self, message_id: int) -> Any:
        return outbox.visible_message(db.session(), current_user, message_id)


@blp.route("/undeliverable")
class Undeliverable(MethodView):
    @blp.response(200, UndeliverableOut(many=True))
    @coordinator_required
    def get(self) -> Any:
        return list(db.session().scalars(outbox.undeliverable_query(current_user)))
