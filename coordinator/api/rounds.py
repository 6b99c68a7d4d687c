"""Rounds, for coordinators: create, edit, open, close, read."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_login import current_user
from sqlalchemy import select

from coordinator import access, db
from coordinator.api.blueprint import Blueprint
from coordinator.api.writes import transactional
from coordinator.auth import coordinator_required
from coordinator.models import Round, RoundStatus
from coordinator.schemas.rounds import RoundIn, RoundOut, RoundPatch
from coordinator.services import rounds as round_service

blp = Blueprint("rounds", __name__, url_prefix="/api/rounds",
                description="Internship rounds (coordinators only)")
# Sign-in is checked before the body is validated and before an Idempotency-Key is looked
# up, so an anonymous caller never sees a 422 or a remembered response: always 401.
blp.before_request(coordinator_required(lambda: None))


def _with_counts(round_: Round) -> Round:
    round_.counts = round_service.round_counts(db.session(), round_.id)  # type: ignore[attr-defined]
    return round_


@blp.route("")
class Rounds(MethodView):
    @blp.response(200, RoundOut(many=True))
    @blp.alt_response(401, description="Not signed in")
    @coordinator_required
    def get(self) -> Any:
        query = access.visible_rounds(select(Round).order_by(Round.id.desc()), current_user)
        rounds = db.session().scalars(query).all()
        return [_with_counts(r) for r in rounds]

    @transactional
    @blp.arguments(RoundIn)
    @blp.response(201, RoundOut)
    @blp.alt_response(401, description="Not signed in")
    @coordinator_required
    def post(self, data: dict[str, Any]) -> Any:
        return _with_counts(round_service.create_round(db.session(), data, current_user.id))


@blp.route("/<int:round_id>")
class RoundById(MethodView):
    @blp.response(200, RoundOut)
    @blp.alt_response(404, description="No such round")
    @coordinator_required
    def get(self, round_id: int) -> Any:
        return _with_counts(round_service.get_round(db.session(), round_id))

    @transactional
    @blp.arguments(RoundPatch(partial=True))
    @blp.response(200, RoundOut)
    @blp.alt_response(409, description="The round can no longer be edited")
    @coordinator_required
    def patch(self, data: dict[str, Any], round_id: int) -> Any:
        session = db.session()
        round_ = round_service.get_round(session, round_id)
        return _with_counts(round_service.update_round(session, round_, data, current_user.id))


def _transition_view(to_status: RoundStatus) -> type[MethodView]:
    class Transition(MethodView):
        @transactional
        @blp.response(200, RoundOut)
        @blp.alt_response(409, description="Not allowed from the round's current state")
        @coordinator_required
        def post(self, round_id: int) -> Any:
            session = db.session()
            round_ = round_service.get_round(session, round_id)
            return _with_counts(round_service.transition_round(session, round_, to_status,
                                                               current_user.id))

    Transition.__name__ = f"Round{to_status.title()}"
    Transition.post.__doc__ = f"Move the round to '{to_status}'."
    return Transition


blp.route("/<int:round_id>/open", endpoint="open")(_transition_view(RoundStatus.OPEN))
blp.route("/<int:round_id>/close", endpoint="close")(_transition_view(RoundStatus.CLOSED))
