"""Subject requests: export one person's data and erase it (admins only).

Both span every round, while a coordinator sees only the rounds assigned to them
(``coordinator/access.py``), so both need the admin role.

The erasure takes the address in the JSON body, never in the URL, because URLs end up in
access logs. The export is a GET (a download); the Procfile's access log format leaves
query strings out for the same reason.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_login import current_user
from marshmallow import Schema, fields, validate

from coordinator import db
from coordinator.api.blueprint import Blueprint
from coordinator.auth import admin_required
from coordinator.schemas.common import Email
from coordinator.services.audit import record_audit
from coordinator.services.privacy import erase_person, export_person, subject_hash

blp = Blueprint("privacy", __name__, url_prefix="/api/privacy",
                description="Personal data: export and erasure (admins only)")
# The role first (401 anonymous, 403 coordinator), before any argument is looked at.
blp.before_request(admin_required(lambda: None))


class PersonArgs(Schema):
    email = Email(required=True, validate=validate.Length(max=254),
                  metadata={"description": "The person's email address"})


class ErasureOut(Schema):
    subject = fields.String(metadata={"description": "Keyed hash of the address, not the address"})
    applications = fields.Integer()
    hosts = fields.Integer()
    consents = fields.Integer()
    messages = fields.Integer()
    attachments = fields.Integer()
    message_events = fields.Integer()
    undeliverable = fields.Integer()
    users = fields.Integer()
    swept_cells = fields.Integer()
    redis_values = fields.Integer()
    audit_id = fields.Integer(allow_none=True)


def _redis() -> Any:
    from flask import current_app
    from redis import Redis

    return Redis.from_url(current_app.config["REDIS_URL"])


@blp.route("/people/export")
class PersonExport(MethodView):
    @blp.arguments(PersonArgs, location="query")
    @blp.doc(responses={"200": {
        "description": "Every stored row that names the person, as a JSON download",
        "content": {"application/json": {"schema": {"type": "object"}}}}})
    @admin_required
    def get(self, args: dict[str, Any]) -> Response:
        """Export everything stored about one person (subject access request)."""
        session = db.session()
        data = export_person(session, args["email"], redis=_redis())
        record_audit(session, current_user.id, "privacy.export", "person", 0, None,
                     {"subject": subject_hash(args["email"])})
        session.commit()
        response = Response(json.dumps(data, ensure_ascii=False, indent=1),
                            mimetype="application/json")
        response.headers["Content-Disposition"] = 'attachment; filename="person-export.json"'
        response.headers["Cache-Control"] = "no-store"
        return response


@blp.route("/people/erase")
class PersonErase(MethodView):
    @admin_required
    @blp.arguments(PersonArgs)
    @blp.response(200, ErasureOut)
    @blp.alt_response(403, description="Only admins may erase")
    def post(self, args: dict[str, Any]) -> Any:
        """Erase one person from the database and Redis (irreversible; idempotent)."""
        session = db.session()
        try:
            report = erase_person(session, _redis(), args["email"], actor_id=current_user.id)
            session.commit()
        except Exception:
            session.rollback()
            raise
        return report.as_dict()
