"""Per-round access: a coordinator sees only the rounds assigned to them; admins see all.

Someone else's round answers exactly like a round that does not exist (404), so its id
reveals nothing. Three ways in, for the three kinds of caller:

- ``can_see_round(user, round_id)`` / ``visible_rounds(query, user)``: plain checks and a
  query filter, for services, list views and jobs;
- ``round_visible_or_404(round_id)`` and ``record_visible_or_404(model, id)``: for a view
  that is about to use a round or one of its records (dashboard pages call these);
- ``init_app``: every signed-in request whose URL names a ``round_id`` outside the public
  blueprints is checked before its view runs, so a route added later is covered too.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Flask, request
from flask_login import current_user
from sqlalchemy import Select, event, exists, select
from sqlalchemy.orm import Session

from coordinator import db
from coordinator.models import AuditEntry, Round, RoundCoordinator, User
from coordinator.services.audit import record_audit
from coordinator.services.errors import InvalidData, NotFound

# Blueprints whose round_id URLs are for everyone (forms, public API, signed links).
PUBLIC_BLUEPRINTS = frozenset({"public", "pages", "offers", "webhooks"})
T = TypeVar("T")


def is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) == "admin"


def can_see_round(user: Any, round_id: int | None, session: Session | None = None) -> bool:
    """True if ``user`` is an admin (and the round exists) or is assigned to the round."""
    if round_id is None or not getattr(user, "is_authenticated", False):
        return False
    session = session or db.session()
    if is_admin(user):
        return session.get(Round, round_id) is not None
    return bool(session.scalar(select(exists().where(
        RoundCoordinator.round_id == round_id, RoundCoordinator.user_id == user.id))))


def visible_rounds(query: Select[Any], user: Any, round_column: Any = Round.id) -> Select[Any]:
    """``query`` narrowed to the rows whose ``round_column`` is a round ``user`` may see."""
    if is_admin(user):
        return query
    user_id = user.id if getattr(user, "is_authenticated", False) else None
    return query.where(round_column.in_(
        select(RoundCoordinator.round_id).where(RoundCoordinator.user_id == user_id)))


def round_visible_or_404(round_id: int) -> Round:
    """The round, for the signed-in user; a NotFound (404) if it is not theirs to see."""
    session = db.session()
    if not can_see_round(current_user, round_id, session):
        raise NotFound("round")
    round_ = session.get(Round, round_id)
    assert round_ is not None  # can_see_round found it or its assignment (FK) a moment ago
    return round_


def record_visible_or_404(model: type[T], record_id: int, what: str | None = None) -> T:
    """A record with a ``round_id`` (host, application, placement...), or NotFound (404)."""
    session = db.session()
    record = session.get(model, record_id)
    name = what or getattr(model, "__tablename__", "record").rstrip("s")
    if record is None or not can_see_round(current_user, getattr(record, "round_id", None),
                                           session):
        raise NotFound(name)
    return record


def coordinators_of_round(session: Session, round_id: int) -> list[User]:
    return list(session.scalars(
        select(User).join(RoundCoordinator, RoundCoordinator.user_id == User.id)
        .where(RoundCoordinator.round_id == round_id).order_by(User.id)))


def assign_coordinator(session: Session, round_id: int, user_id: int,
                       actor_id: int | None) -> bool:
    """Give ``user_id`` access to the round; false if they had it already."""
    user = session.get(User, user_id)
    if user is None:
        raise InvalidData({"user_id": ["no such user"]})
    if session.get(RoundCoordinator, (round_id, user_id)) is not None:
        return False
    session.add(RoundCoordinator(round_id=round_id, user_id=user_id, assigned_by=actor_id))
    record_audit(session, actor_id, "round.assign", "round", round_id, None,
                 {"user_id": user_id})
    return True


def unassign_coordinator(session: Session, round_id: int, user_id: int,
                         actor_id: int | None) -> bool:
    """Take the round away from ``user_id``; false if they did not have it."""
    row = session.get(RoundCoordinator, (round_id, user_id))
    if row is None:
        return False
    session.delete(row)
    record_audit(session, actor_id, "round.unassign", "round", round_id,
                 {"user_id": user_id}, None)
    return True


def _assign_round_creators(session: Session, _context: Any, _instances: Any) -> None:
    """Whoever creates a round can see it, whichever code path created it.

    Every creation writes a ``round.create`` audit entry with its actor (API, dashboard,
    CLI, demo data), so hooking that entry covers paths written later as well.
    """
    for entry in list(session.new):
        if (isinstance(entry, AuditEntry) and entry.action == "round.create"
                and entry.object_type == "round" and entry.actor_id is not None
                and session.get(RoundCoordinator, (entry.object_id, entry.actor_id)) is None):
            session.add(RoundCoordinator(round_id=entry.object_id, user_id=entry.actor_id,
                                         assigned_by=entry.actor_id))


def _round_in_url_visible() -> None:
    view_args = request.view_args or {}
    if "round_id" not in view_args or request.blueprint in PUBLIC_BLUEPRINTS:
        return
    # Anonymous callers are left to the blueprint's own sign-in check (401 / login page).
    if current_user.is_authenticated and not can_see_round(current_user, view_args["round_id"]):
        raise NotFound("round")


def init_app(app: Flask) -> None:
    if not event.contains(Session, "before_flush", _assign_round_creators):
        event.listen(Session, "before_flush", _assign_round_creators)
    app.before_request(_round_in_url_visible)
