"""A coordinator's small edits of a host or an application, checked by the intake rules.

The edited fields are merged into the record's current data and the whole lot is loaded
through the intake schema (HostIn / ApplicationIn), so a coordinator's edit obeys exactly
the rules an applicant's does; the round's weeks are checked as the intake services do.
Every edit writes an audit row (before/after) and the event others react to.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coordinator.dashboard.helpers import form_errors
from coordinator.models import Application, Host, Round, RoundStatus
from coordinator.pages.messages import translate
from coordinator.schemas.intake import ApplicationIn, HostIn
from coordinator.services.audit import record_audit
from coordinator.services.errors import Conflict
from coordinator.services.events import record_event

EDITABLE_ROUND_STATES = (RoundStatus.DRAFT, RoundStatus.OPEN, RoundStatus.CLOSED)
HOST_EDITS = ("capacity", "min_visitors", "visit_days", "weeks")
APPLICATION_EDITS = ("max_km", "weeks")
HOST_STATUSES = ("active", "withdrawn")
APPLICATION_STATUSES = ("submitted", "withdrawn")
_HOST_DATA = ("organisation", "org_level", "municipality_code", "innovation_title",
              "innovation_description", "topics", "language", "capacity", "min_visitors",
              "weeks", "visit_days", "contact_name", "contact_email", "contact_phone")
_APPLICATION_DATA = ("name", "email", "organisation", "org_level", "municipality_code",
                     "learning_goal", "topics", "open_to_any", "weeks", "max_km", "language",
                     "team_mate_email", "manager_name", "manager_email")


def _require_editable(round_: Round) -> None:
    if round_.status not in EDITABLE_ROUND_STATES:
        raise Conflict(f"a round in state '{round_.status}' can no longer be edited",
                       state=round_.status)


def _current(record: Any, names: tuple[str, ...]) -> dict[str, Any]:
    data = {name: getattr(record, name) for name in names}
    if not data.get("municipality_code"):
        data.update(lat=record.lat, lon=record.lon)
    return {key: value for key, value in data.items() if value is not None}


def _check(schema: Any, record: Any, names: tuple[str, ...], changes: dict[str, Any],
           round_: Round, status: str, statuses: tuple[str, ...]) -> dict[str, list[str]]:
    merged = {**_current(record, names), **changes}
    if isinstance(record, Application):
        merged["host_choices"] = record.ranked_host_ids
    _, errors = form_errors(schema, merged)
    outside = [week for week in changes.get("weeks") or [] if week not in round_.weeks]
    if outside:
        errors.setdefault("weeks", []).append(translate(
            f"{', '.join(outside)} not in this round's weeks ({', '.join(round_.weeks)})"))
    if "weeks" in changes and not changes["weeks"]:
        errors.setdefault("weeks", []).append(gettext("Choose at least one week."))
    if status not in statuses:
        errors.setdefault("status", []).append(gettext("Choose from the list."))
    # Only the fields on the coordinator's form can be wrong here; others were stored valid.
    return {key: texts for key, texts in errors.items() if key in (*changes, "status")}


def _apply(session: Session, record: Host | Application, kind: str, changes: dict[str, Any],
           status: str, actor_id: int | None) -> dict[str, list[str]]:
    before = {key: getattr(record, key) for key in (*changes, "status")}
    for key, value in changes.items():
        setattr(record, key, value)
    record.status = status
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return {"status": [gettext("Another live application uses this email address.")]}
    after = {key: getattr(record, key) for key in (*changes, "status")}
    if before == after:
        return {}
    record_audit(session, actor_id, f"{kind}.edit", kind, record.id, before, after)
    event = "withdrawn" if status == "withdrawn" and before["status"] != status else "updated"
    record_event(session, f"{kind}.{event}", kind, record.id, record.round_id,
                 {"by": "coordinator"})
    return {}


def edit_host(session: Session, host: Host, round_: Round, changes: dict[str, Any],
              status: str, actor_id: int | None) -> dict[str, list[str]]:
    """Apply the edit and return {} or the messages per form field (nothing stored)."""
    _require_editable(round_)
    errors = _check(HostIn(), host, _HOST_DATA, changes, round_, status, HOST_STATUSES)
    return errors or _apply(session, host, "host", changes, status, actor_id)


def edit_application(session: Session, application: Application, round_: Round,
                     changes: dict[str, Any], status: str,
                     actor_id: int | None) -> dict[str, list[str]]:
    _require_editable(round_)
    errors = _check(ApplicationIn(), application, _APPLICATION_DATA, changes, round_, status,
                    APPLICATION_STATUSES)
    return errors or _apply(session, application, "application", changes, status, actor_id)
