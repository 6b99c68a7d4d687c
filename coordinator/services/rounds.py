"""Creating, editing and moving rounds through their lifecycle."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator.models import Application, Host, Round, RoundStatus
from coordinator.services.audit import record_audit
from coordinator.services.errors import Conflict, InvalidData, NotFound
from coordinator.services.events import record_event

S = RoundStatus
# The lifecycle of DESIGN.md; backward moves exist where a coordinator must be able to redo a step.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.OPEN}),
    S.OPEN: frozenset({S.CLOSED}),
    S.CLOSED: frozenset({S.OPEN, S.MATCHING}),
    S.MATCHING: frozenset({S.REVIEW, S.CLOSED}),
    S.REVIEW: frozenset({S.MATCHING, S.OFFERS}),
    S.OFFERS: frozenset({S.CONFIRMED, S.MATCHING}),
    S.CONFIRMED: frozenset({S.WORKSHOPS}),
    S.WORKSHOPS: frozenset({S.DONE}),
    S.DONE: frozenset(),
}
EDITABLE_FIELDS = ("name", "weeks", "applications_close_on", "response_days", "default_max_km")


def _snapshot(round_: Round) -> dict[str, Any]:
    data = {name: getattr(round_, name) for name in ("status", *EDITABLE_FIELDS)}
    if data["applications_close_on"] is not None:
        data["applications_close_on"] = data["applications_close_on"].isoformat()
    return data


def get_round(session: Session, round_id: int) -> Round:
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound("round")
    return round_


def round_counts(session: Session, round_id: int) -> dict[str, int]:
    """Live applications and hosts of a round, for dashboards and the API."""
    applications = session.scalar(
        select(func.count()).select_from(Application).where(
            Application.round_id == round_id, Application.status != "withdrawn"))
    hosts = session.scalar(
        select(func.count()).select_from(Host).where(
            Host.round_id == round_id, Host.status != "withdrawn"))
    seats = session.scalar(
        select(func.coalesce(func.sum(Host.capacity), 0)).where(
            Host.round_id == round_id, Host.status != "withdrawn"))
    return {"applications": applications or 0, "hosts": hosts or 0, "seats": int(seats or 0)}


def create_round(session: Session, data: dict[str, Any], actor_id: int | None) -> Round:
    round_ = Round(status=S.DRAFT, **{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    session.add(round_)
    session.flush()
    record_audit(session, actor_id, "round.create", "round", round_.id, None, _snapshot(round_))
    record_event(session, "round.created", "round", round_.id, round_.id)
    return round_


def update_round(session: Session, round_: Round, data: dict[str, Any], actor_id: int | None) -> Round:
    if round_.status not in (S.DRAFT, S.OPEN, S.CLOSED):
        raise Conflict(f"a round in state '{round_.status}' can no longer be edited",
                       state=round_.status)
    if "weeks" in data and round_.status != S.DRAFT:
        removed = set(round_.weeks) - set(data["weeks"])
        if removed:
            raise InvalidData({"weeks": ["weeks can only be added once the round has opened"]})
    before = _snapshot(round_)
    for key, value in data.items():
        if key in EDITABLE_FIELDS:
            setattr(round_, key, value)
    session.flush()
    record_audit(session, actor_id, "round.update", "round", round_.id, before, _snapshot(round_))
    return round_


def transition_round(session: Session, round_: Round, to_status: str, actor_id: int | None) -> Round:
    """Move a round one step; an illegal move is a Conflict naming the current state."""
    if to_status not in TRANSITIONS.get(round_.status, frozenset()):
        raise Conflict(
            f"cannot move a round from '{round_.status}' to '{to_status}'",
            state=round_.status,
            allowed=sorted(TRANSITIONS.get(round_.status, frozenset())),
        )
    if to_status == S.OPEN and not round_.weeks:
        raise Conflict("a round needs at least one week before it can open", state=round_.status)
    before = _snapshot(round_)
    round_.status = to_status
    session.flush()
    record_audit(session, actor_id, f"round.{to_status}", "round", round_.id, before,
                 _snapshot(round_))
    record_event(session, f"round.{to_status}", "round", round_.id, round_.id,
                 {"from": before["status"], "to": to_status})
    return round_
