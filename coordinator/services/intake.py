"""Applications and host offers: submit, edit, withdraw (while the round is open).

Each function validates the domain rules the schemas cannot see (the round's state and
weeks, ranked hosts of the same round, one live application per person), writes the change
with its event and the mailed edit link in one transaction, and leaves the commit to the
caller.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from coordinator.models import Application, ApplicationChoice, Host, Round, RoundStatus
from coordinator.models._types import utcnow
from coordinator.services.errors import Conflict, InvalidData, NotFound
from coordinator.services.events import insert_event, record_event
from coordinator.services.links import external_url, make_token
from coordinator.services.mail import queue_first_message, queue_message

APPLICATION_FIELDS = (
    "name", "email", "organisation", "org_level", "municipality_code", "lat", "lon",
    "learning_goal", "topics", "open_to_any", "weeks", "max_km", "language",
    "team_mate_email", "manager_name", "manager_email",
)
HOST_FIELDS = (
    "organisation", "org_level", "municipality_code", "lat", "lon", "innovation_title",
    "innovation_description", "topics", "language", "capacity", "min_visitors", "weeks",
    "visit_days", "contact_name", "contact_email", "contact_phone",
)


def normalise_email(value: str | None) -> str | None:
    return value.strip().lower() if value else value


def open_round(session: Session, round_id: int) -> Round:
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound("round")
    if round_.status != RoundStatus.OPEN:
        raise Conflict(f"the round is not open for submissions (it is '{round_.status}')",
                       state=round_.status)
    return round_


def _check_weeks(round_weeks: list[str], weeks: list[str], errors: dict[str, list[str]]) -> None:
    outside = [week for week in weeks if week not in round_weeks]
    if outside:
        errors.setdefault("weeks", []).append(
            f"{', '.join(outside)} not in this round's weeks ({', '.join(round_weeks)})")


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


ALREADY_APPLIED = ("an application from this email address already exists in this round; "
                   "use the edit link in the confirmation email we sent you to change it")


_ROUNDS, _HOSTS = Round.__table__, Host.__table__
# Built once: a statement object caches its compiled form, so a submission pays for
# neither building nor compiling SQL (one literal ``.values(row)`` per request did both).
_SUBMISSION_ROUND = select(
    _ROUNDS.c.status, _ROUNDS.c.weeks, _ROUNDS.c.default_max_km, _HOSTS.c.id,
).select_from(_ROUNDS.outerjoin(_HOSTS, and_(
    _HOSTS.c.round_id == _ROUNDS.c.id, _HOSTS.c.status == "active",
    _HOSTS.c.id.in_(bindparam("host_ids", expanding=True))),
)).where(_ROUNDS.c.id == bindparam("round_id"))
_INSERT_APPLICATION = insert(Application.__table__).returning(Application.__table__.c.id)
_INSERT_CHOICE = insert(ApplicationChoice.__table__)


def _submission_round(connection: Connection, round_id: int,
                      host_ids: list[int]) -> tuple[Row[Any], set[int]]:
    """The round's (status, weeks, default_max_km) and which of ``host_ids`` it offers.

    One query for what a submission checks (an outer join, so a round without any of the
    hosts still comes back); ``open_round`` would load the whole round first.
    """
    rows = connection.execute(_SUBMISSION_ROUND,
                              {"round_id": round_id, "host_ids": host_ids}).all()
    if not rows:
        raise NotFound("round")
    round_ = rows[0]
    if round_.status != RoundStatus.OPEN:
        raise Conflict(f"the round is not open for submissions (it is '{round_.status}')",
                       state=round_.status)
    return round_, {row[3] for row in rows if row[3] is not None}


def _application_row(data: dict[str, Any], round_id: int, default_max_km: int,
                     now: dt.datetime) -> dict[str, Any]:
    row = {key: data[key] for key in APPLICATION_FIELDS if key in data}
    row.update(round_id=round_id, status="submitted", created_at=now, updated_at=now,
               email=normalise_email(row.get("email")) or "",
               manager_email=normalise_email(row.get("manager_email")) or "",
               team_mate_email=normalise_email(row.get("team_mate_email")))
    if not row.get("max_km"):
        row["max_km"] = default_max_km
    return row


def insert_application(session: Session, round_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Store a new application with its ranked choices, its event and its edit-link email;
    the stored row (with its ``id``). No ORM object is made (the API needs only the id).

    Plain Core statements on the session's connection (a select, then one INSERT each for
    the application, the choices, the event and the message): the ORM's unit of work cost
    more than everything else together on this, the busiest write. One live application
    per person is the unique index's job; a duplicate shows up as the IntegrityError caught
    below (the caller rolls back).
    """
    connection = session.connection()
    host_ids: list[int] = data.get("host_choices") or []
    round_, offered = _submission_round(connection, round_id, host_ids)
    errors: dict[str, list[str]] = {}
    _check_weeks(round_.weeks, data.get("weeks") or [], errors)
    for index, host_id in enumerate(host_ids):
        if host_id not in offered:
            errors.setdefault(f"host_choices.{index}", []).append(
                f"host {host_id} is not offered in this round")
    if errors:
        raise InvalidData(errors)
    row = _application_row(data, round_id, round_.default_max_km, utcnow())
    try:
        application_id = connection.execute(_INSERT_APPLICATION, row).scalar_one()
    except IntegrityError as exc:
        # Someone with this email already applied (perhaps a concurrent submission that
        # committed a moment ago): the unique index refused this one.
        if "email" in str(exc.orig):
            raise Conflict(ALREADY_APPLIED, field="email") from exc
        raise
    if host_ids:
        connection.execute(_INSERT_CHOICE, [
            {"application_id": application_id, "rank": rank, "host_id": host_id}
            for rank, host_id in enumerate(host_ids, start=1)])
    insert_event(connection, "application.submitted", "application", application_id, round_id)
    token = make_token("application-edit", application_id)
    queue_first_message(
        connection,
        template="application_received",
        language=row.get("language", "da"),
        recipient=row["email"],
        context={"name": row["name"], "reason": "submitted",
                 "edit_url": external_url(f"/application/{token}")},
        dedup_key=f"application_received:{application_id}:submitted:"
                  f"{int(row['updated_at'].timestamp())}",
        round_id=round_id,
    )
    row["id"] = application_id
    return row


def submit_application(session: Session, round_id: int, data: dict[str, Any]) -> Application:
    """``insert_application``, and the new application as an ORM object in ``session``
    (made from the row without a query; a caller that changes it flushes as usual)."""
    row = insert_application(session, round_id, data)
    application = Application(**row)
    make_transient_to_detached(application)
    session.add(application)
    return application


def update_application(session: Session, application: Application, data: dict[str, Any]) -> Application:
    round_ = open_round(session, application.round_id)
    if application.status == "withdrawn":
        raise Conflict("this application has been withdrawn", state=application.status)
    errors: dict[str, list[str]] = {}
    _check_weeks(round_.weeks, data.get("weeks") or [], errors)
    _check_choices(session, round_, data.get("host_choices") or [], errors)
    new_email = normalise_email(data.get("email"))
    if new_email and new_email != application.email:
        other = _live_application(session, application.round_id, new_email)
        if other is not None and other.id != application.id:
            errors.setdefault("email", []).append("another application uses this address")
    if errors:
        raise InvalidData(errors)
    _apply_application(session, application, data)
    session.flush()
    record_event(session, "application.updated", "application", application.id, round_.id)
    return application


def withdraw_application(session: Session, application: Application) -> Application:
    if application.status == "withdrawn":
        return application
    open_round(session, application.round_id)
    application.status = "withdrawn"
    session.flush()
    record_event(session, "application.withdrawn", "application", application.id,
                 application.round_id)
    return application


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


def submit_host_offer(session: Session, round_id: int, data: dict[str, Any]) -> Host:
    round_ = open_round(session, round_id)
    errors: dict[str, list[str]] = {}
    _check_weeks(round_.weeks, data.get("weeks") or [], errors)
    if errors:
        raise InvalidData(errors)
    host = Host(round_id=round_id, status="active")
    for key in HOST_FIELDS:
        if key in data:
            setattr(host, key, data[key])
    host.contact_email = normalise_email(host.contact_email) or ""
    if not host.weeks:
        host.weeks = list(round_.weeks)
    session.add(host)
    session.flush()
    record_event(session, "host.submitted", "host", host.id, round_id)
    _mail_host_link(session, host, "submitted")
    return host


def update_host_offer(session: Session, host: Host, data: dict[str, Any]) -> Host:
    round_ = open_round(session, host.round_id)
    if host.status == "withdrawn":
        raise Conflict("this host offer has been withdrawn", state=host.status)
    errors: dict[str, list[str]] = {}
    _check_weeks(round_.weeks, data.get("weeks") or [], errors)
    if errors:
        raise InvalidData(errors)
    for key in HOST_FIELDS:
        if key in data:
            setattr(host, key, data[key])
    host.contact_email = normalise_email(host.contact_email) or ""
    if not host.weeks:
        host.weeks = list(round_.weeks)
    session.flush()
    record_event(session, "host.updated", "host", host.id, round_.id)
    return host


def withdraw_host_offer(session: Session, host: Host) -> Host:
    if host.status == "withdrawn":
        return host
    open_round(session, host.round_id)
    host.status = "withdrawn"
    session.flush()
    record_event(session, "host.withdrawn", "host", host.id, host.round_id)
    return host
