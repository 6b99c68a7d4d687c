"""Admins assign coordinators to rounds: who may see and run which round."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from coordinator import access, db
from coordinator.api.blueprint import Blueprint
from coordinator.api.writes import transactional
from coordinator.auth import admin_required
from coordinator.models import User
from coordinator.schemas.common import Email
from coordinator.services.errors import InvalidData, NotFound
from coordinator.services.rounds import get_round

blp = Blueprint("round_coordinators", __name__, url_prefix="/api/rounds",
                description="Who coordinates which round (admins only)")
blp.before_request(admin_required(lambda: None))


class AssignIn(Schema):
    user_id = fields.Int(validate=validate.Range(min=1, max=2**31 - 1))
    email = Email(validate=validate.Length(max=254))

    @validates_schema
    def _exactly_one(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if ("user_id" in data) == ("email" in data):
            raise ValidationError("give exactly one of user_id and email", "user_id")


class CoordinatorOut(Schema):
    id = fields.Int()
    email = fields.Str()
    role = fields.Str()


def _user_id(data: dict[str, Any]) -> int:
    if "user_id" in data:
        return data["user_id"]
    user_id = db.session().scalar(
        select(User.id).where(User.email == data["email"].strip().lower()))
    if user_id is None:
        raise InvalidData({"email": ["no coordinator account has this email"]})
    return user_id


@blp.route("/<int:round_id>/coordinators")
class RoundCoordinators(MethodView):
    @blp.response(200, CoordinatorOut(many=True))
    @blp.alt_response(404, description="No such round")
    def get(self, round_id: int) -> Any:
        get_round(db.session(), round_id)
        return access.coordinators_of_round(db.session(), round_id)

    @transactional
    @blp.arguments(AssignIn)
    @blp.response(200, CoordinatorOut(many=True))
    @blp.alt_response(404, description="No such round")
    def post(self, data: dict[str, Any], round_id: int) -> Any:
        """Give a coordinator access to the round (assigning twice changes nothing)."""
        session = db.session()
        get_round(session, round_id)
        access.assign_coordinator(session, round_id, _user_id(data), current_user.id)
        session.flush()
        return access.coordinators_of_round(session, round_id)


@blp.route("/<int:round_id>/coordinators/<int:user_id>")
class RoundCoordinatorById(MethodView):
    @transactional
    @blp.response(200, CoordinatorOut(many=True))
    @blp.alt_response(404, description="No such round, or the user is not assigned to it")
    def delete(self, round_id: int, user_id: int) -> Any:
        """Take the round away from a coordinator."""
        session = db.session()
        get_round(session, round_id)
        if not access.unassign_coordinator(session, round_id, user_id, current_user.id):
            raise NotFound("assignment")
        session.flush()
        return access.coordinators_of_round(session, round_id)
