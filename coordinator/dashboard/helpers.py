"""What every dashboard view needs: the round it may see, pages of rows, form errors, links
that survive a missing endpoint, and the audit trail of one object."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, request, url_for
from flask_babel import gettext
from flask_login import current_user
from marshmallow import Schema, ValidationError
from sqlalchemy import Select, select
from werkzeug.routing import BuildError

from coordinator import access, db
from coordinator.dashboard.blueprint import bp
from coordinator.models import AuditEntry, Round, User
from coordinator.pages.messages import N_, flatten, translate

PAGE_SIZE = 25
T = TypeVar("T")


def round_for_view(round_id: int) -> Round:
    """The round a dashboard view asks for; 404 when it is missing or not the user's.

    Every view that takes a round id goes through here, so per-round access is enforced
    once for all of them (coordinator.access also checks round ids in URLs beforehand).
    """
    return access.round_visible_or_404(round_id)


def record_for_view(model: type[T], record_id: int, what: str) -> T:
    """A host, application, placement... of a round the user may see, else 404."""
    return access.record_visible_or_404(model, record_id, what)


def visible_only(query: Select[Any], round_column: Any) -> Select[Any]:
    """``query`` narrowed to the rounds the signed-in user may see."""
    return access.visible_rounds(query, current_user, round_column)


@dataclass
class Page:
    """One page of rows and what the pagination links need."""

    items: list[Any]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    def url(self, number: int) -> str:
        """The current URL with another page number and the same filters."""
        args = request.args.to_dict()
        args["page"] = str(number)
        return url_for(request.endpoint or "", **(request.view_args or {}), **args)


def page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def paginate(rows: Sequence[Any], size: int = PAGE_SIZE) -> Page:
    number = page_number()
    start = (number - 1) * size
    return Page(list(rows[start:start + size]), number, size, len(rows))


def form_errors(schema: Schema, data: Mapping[str, Any],
                partial: bool | Sequence[str] = False) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """(loaded data, {} ) or ({}, field -> messages in the reader's language)."""
    try:
        return schema.load(dict(data), partial=partial), {}
    except ValidationError as exc:
        errors = flatten(exc.messages)
        return {}, {key.partition(".")[0]: [translate(t) for t in texts]
                    for key, texts in errors.items()}


def integer_or_text(raw: str | None) -> int | str | None:
    """A form number as int; anything else as it came, so the schema names the problem."""
    if raw is None or raw.strip() == "":
        return None
    try:
        return int(raw.strip())
    except ValueError:
        return raw


def audit_trail(object_type: str, object_id: int) -> list[dict[str, Any]]:
    """Who changed this object and how, newest first, with the actor's email."""
    session = db.session()
    rows = session.execute(
        select(AuditEntry, User.email).outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.id.desc())).all()
    trail = []
    for entry, email in rows:
        before, after = entry.before or {}, entry.after or {}
        changes = [(key, before.get(key), after.get(key))
                   for key in sorted(set(before) | set(after))
                   if before.get(key) != after.get(key)]
        trail.append({"at": entry.at, "action": entry.action, "actor": email,
                      "changes": changes})
    return trail


def actor_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def has_endpoint(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def dash_link(endpoint: str, **values: Any) -> str | None:
    """The URL of an endpoint, or None while it does not exist (yet)."""
    if not has_endpoint(endpoint):
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.context_processor
def _dashboard_helpers() -> dict[str, Any]:
    return {"dash_link": dash_link, "has_endpoint": has_endpoint}


# The states of rounds, records, placements, consents, messages and runs, in words.
STATE_LABELS = {
    "draft": N_("draft"), "open": N_("open"), "closed": N_("closed"),
    "matching": N_("matching"), "review": N_("review"), "offers": N_("offers"),
    "confirmed": N_("confirmed"), "workshops": N_("workshops"), "done": N_("done"),
    "submitted": N_("submitted"), "withdrawn": N_("withdrawn"), "active": N_("active"),
    "offered": N_("offered"), "accepted": N_("accepted"), "declined": N_("declined"),
    "expired": N_("expired"), "pending": N_("pending"), "waiting": N_("waiting"),
    "late": N_("late"), "sending": N_("sending"), "sent": N_("sent"), "failed": N_("failed"),
    "bounced": N_("bounced"), "queued": N_("queued"), "running": N_("running"),
    "cancelled": N_("cancelled"), "empty": N_("empty"), "prep": N_("preparation"),
    "followup": N_("follow-up"), "yes": N_("yes"), "no": N_("no"),
}


def state_label(value: str | None) -> str:
    return gettext(STATE_LABELS[value]) if value in STATE_LABELS else (value or "")


@bp.app_template_filter("dash_state")
def _state_filter(value: str | None) -> str:
    return state_label(value)


DECLINE_REASON_LABELS = {
    "week": N_("the week does not suit"), "workload": N_("too much work"),
    "distance": N_("too far to travel"), "topic": N_("not what they want to learn"),
    "other": N_("another reason"),
}


@bp.app_template_filter("decline_reason")
def decline_reason_label(value: str | None) -> str:
    """A stored decline reason ("<code>" or "<code>: <words>") with the code in words."""
    code, _, words = (value or "").partition(": ")
    label = gettext(DECLINE_REASON_LABELS[code]) if code in DECLINE_REASON_LABELS else code
    return f"{label}: “{words}”" if words else label
