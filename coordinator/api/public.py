"""Public endpoints: open rounds, the hosts to choose from, and submissions."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import select

from coordinator import db
from coordinator.api.blueprint import Blueprint
from coordinator.api.writes import KEY_HEADER, remembers_response, transactional
from coordinator.models import Host, Round, RoundStatus
from coordinator.municipalities import all_municipalities
from coordinator.schemas.intake import ApplicationIn, HostIn, PublicHostOut, SubmissionOut
from coordinator.services import intake, submission

# One instance each, not a class: webargs would build a schema (every field) per request.
APPLICATION_IN, HOST_IN = ApplicationIn(), HostIn()

blp = Blueprint("public", __name__, url_prefix="/api/public", public=True,
                description="For applicants and hosts (no sign-in)")


class PublicRoundOut(Schema):
    id = fields.Int()
    name = fields.Str()
    weeks = fields.List(fields.Str())
    applications_close_on = fields.Date(allow_none=True)


class MunicipalityOut(Schema):
    code = fields.Str()
    name = fields.Str()
    region = fields.Str()
    lat = fields.Float()
    lon = fields.Float()


# A retried POST with the same key gets the first answer again (coordinator.api.writes).
IDEMPOTENCY_KEY_HEADER = {"name": KEY_HEADER, "in": "header", "required": False,
                          "schema": {"type": "string", "maxLength": 200}}


@blp.route("/rounds")
class OpenRounds(MethodView):
    @blp.response(200, PublicRoundOut(many=True))
    def get(self) -> Any:
        """Rounds open for applications and host offers."""
        return db.session().scalars(
            select(Round).where(Round.status == RoundStatus.OPEN).order_by(Round.id)).all()


@blp.route("/rounds/<int:round_id>/hosts")
class OpenRoundHosts(MethodView):
    @blp.response(200, PublicHostOut(many=True))
    def get(self, round_id: int) -> Any:
        """The hosts an applicant may rank (no contact details)."""
        intake.open_round(db.session(), round_id)
        return db.session().scalars(select(Host).where(
            Host.round_id == round_id, Host.status == "active").order_by(Host.id)).all()


@blp.route("/rounds/<int:round_id>/applications")
class SubmitApplication(MethodView):
    @transactional
    @blp.arguments(APPLICATION_IN)
    @blp.response(201, SubmissionOut)
    @blp.alt_response(409, description="The round is not open, or this person already applied")
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER])
    def post(self, data: dict[str, Any], round_id: int) -> Any:
        """Apply for an internship. The edit link is emailed to the applicant."""
        if db.is_postgresql(db.engine()) and not remembers_response():
            application = submission.submit_application_alone(db.engine(), round_id, data)
        else:
            application = submission.insert_application(db.session(), round_id, data)
        return {"id": application["id"], "status": application["status"],
                "message": "application received; an edit link was emailed to you"}


@blp.route("/rounds/<int:round_id>/hosts/offers")
class SubmitHostOffer(MethodView):
    @transactional
    @blp.arguments(HOST_IN)
    @blp.response(201, SubmissionOut)
    @blp.alt_response(409, description="The round is not open")
    @blp.doc(parameters=[IDEMPOTENCY_KEY_HEADER])
    def post(self, data: dict[str, Any], round_id: int) -> Any:
        """Offer to host visitors. The edit link is emailed to the contact person."""
        host = intake.submit_host_offer(db.session(), round_id, data)
        return {"id": host.id, "status": host.status,
                "message": "host offer received; an edit link was emailed to you"}


@blp.route("/municipalities")
class Municipalities(MethodView):
    @blp.response(200, MunicipalityOut(many=True))
    def get(self) -> Any:
        """The 98 Danish municipalities with the coordinates used for distances."""
        return list(all_municipalities())


