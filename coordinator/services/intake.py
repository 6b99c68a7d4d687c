"""Applications and host offers: submit, edit, withdraw (while the round is open).

Each function validates the domain rules the schemas cannot see (the round's state and
weeks, ranked hosts of the same round, one live application per person), writes the change
with its event and the mailed edit link in one transaction, and leaves the commit to the
caller.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, make_transient_to_detached

from coordinator.models import Application, ApplicationChoice, Host, Round, RoundStatus
from coordinator.services.errors import Conflict, InvalidData, NotFound
from coordinator.services.events import record_event
from coordinator.services.links import external_url, make_token
from coordinator.services.mail import queue_message
from coordinator.services.submission import (
    APPLICATION_FIELDS,
    check_weeks,
    insert_application,
    normalise_email,
    not_open,
)

HOST_FIELDS = (
    "organisation", "org_level", "municipality_code", "lat", "lon", "innovation_title",
    "innovation_description", "topics", "language", "capacity", "min_visitors", "weeks",
    "visit_days", "contact_name", "contact_email", "contact_phone",
)


def open_round(session: Session, round_id: int) -> Round:
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound("round")
    if round_.status != RoundStatus.OPEN:
        raise not_open(round_.status)
    return round_


def _check_choices(session: Session, round_: Round, host_ids: list[int],
                   errors: dict[str, list[str]]) -> None:
    if not host_ids:
        return
    found = set(session.scalars(select(Host.id).where(
        Host.id.in_(host_ids), Host.round_id == round_.id, Host.status == "active")))
    for index, host_id in enumerate(host_ids):
        if host_id not in found:
            errors.setdefault(f"host_choices.{index}", []).append(
                f"host {host_id} is not offered in this round")


def _apply_application(session: Session, application: Application, data: dict[str, Any]) -> None:
    for key in APPLICATION_FIELDS:
        if key in data and not (key == "max_km" and data[key] is None):
            setattr(application, key, data[key])
    application.email = normalise_email(application.email) or ""
    application.manager_email = normalise_email(application.manager_email) or ""
    application.team_mate_email = normalise_email(application.team_mate_email)
    if "host_choices" in data:
        application.choices.clear()
        session.flush()  # delete old ranks before inserting new ones (unique rank per app)
        application.choices.extend(
            ApplicationChoice(rank=rank, host_id=host_id)
            for rank, host_id in enumerate(data["host_choices"], start=1))


def _live_application(session: Session, round_id: int, email: str) -> Application | None:
    return session.scalar(select(Application).where(
        Application.round_id == round_id,
        func.lower(Application.email) == email,
        Application.status != "withdrawn",
    ))


def submit_application(session: Session, round_id: int, data: dict[str, Any]) -> Application:
    """``insert_application``, and the new application as an ORM object in ``session``
    (made from the row without a query; a caller that changes it flushes as usual)."""
    row = insert_application(session, round_id, data)
    application = Application(**row)
    make_transient_to_detached(application)
    session.add(application)
    return application


def update_application(session: Session, application: Application, data: dict[str, Any]) -> Application:
    round_ = _editable_round(session, application, "application")
    errors: dict[str, list[str]] = {}
    check_weeks(round_.weeks, data.get("weeks") or [], errors)
    _check_choices(session, round_, data.get("host_choices") or [], errors)
    new_email = normalise_email(data.get("email"))
    if new_email and new_email != application.email:
        other = _live_application(session, application.round_id, new_email)
        if other is not None and other.id != application.id:
            errors.setdefault("email", []).append("another application uses this address")
    if errors:
        raise InvalidData(errors)
    _apply_application(session, application, data)
    _record_change(session, application, "application", "updated")
    return application


def withdraw_application(session: Session, application: Application) -> Application:
    _withdraw(session, application, "application")
    return application


def _withdraw(session: Session, record: Application | Host, kind: str) -> None:
    """Withdraw an application or a host offer while its round is open (once: a second call
    changes nothing and writes no event)."""
    if record.status == "withdrawn":
        return
    open_round(session, record.round_id)
    record.status = "withdrawn"
    _record_change(session, record, kind, "withdrawn")


def _editable_round(session: Session, record: Application | Host, what: str) -> Round:
    """The record's round, if it is open and the record not withdrawn (Conflict otherwise)."""
    round_ = open_round(session, record.round_id)
    if record.status == "withdrawn":
        raise Conflict(f"this {what} has been withdrawn", state=record.status)
    return round_


def _record_change(session: Session, record: Application | Host, kind: str, change: str) -> None:
    """Flush the change (the record gets its id) and write its ``<kind>.<change>`` event."""
    session.flush()
    record_event(session, f"{kind}.{change}", kind, record.id, record.round_id)


def _mail_host_link(session: Session, host: Host, reason: str) -> None:
    token = make_token("host-edit", host.id)
    version = int(host.updated_at.timestamp()) if host.updated_at else 0
    queue_message(
        session,
        template="host_offer_received",
        language=host.language,
        recipient=host.contact_email,
        context={"name": host.contact_name, "title": host.innovation_title, "reason": reason,
                 "edit_url": external_url(f"/host/{token}")},
        dedup_key=f"host_offer_received:{host.id}:{reason}:{version}",
        round_id=host.round_id,
    )


def _apply_host_offer(round_: Round, host: Host, data: dict[str, Any]) -> None:
    """Check the offered weeks against the round (InvalidData), then set the given fields; a
    host that names no weeks offers every week of the round."""
    errors: dict[str, list[str]] = {}
    check_weeks(round_.weeks, data.get("weeks") or [], errors)
    if errors:
        raise InvalidData(errors)
    for key in HOST_FIELDS:
        if key in data:
            setattr(host, key, data[key])
    host.contact_email = normalise_email(host.contact_email) or ""
    if not host.weeks:
        host.weeks = list(round_.weeks)


def submit_host_offer(session: Session, round_id: int, data: dict[str, Any]) -> Host:
    round_ = open_round(session, round_id)
    host = Host(round_id=round_id, status="active")
    _apply_host_offer(round_, host, data)
    session.add(host)
    _record_change(session, host, "host", "submitted")
    _mail_host_link(session, host, "submitted")
    return host


def update_host_offer(session: Session, host: Host, data: dict[str, Any]) -> Host:
    _apply_host_offer(_editable_round(session, host, "host offer"), host, data)
    _record_change(session, host, "host", "updated")
    return host


def withdraw_host_offer(session: Session, host: Host) -> Host:
    _withdraw(session, host, "host")
    return host
