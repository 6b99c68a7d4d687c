"""A new application, the busiest write there is: built for few statements and no ORM.

Everything a submission stores goes in one transaction: the application, its ranked
choices, its ``application.submitted`` event and its queued ``application_received`` email
(whose text and signed edit link the email worker renders, see ``services/mail.py``). The
ORM's unit of work cost more than everything else together here, so these are Core
statements built once (a statement object caches its compiled SQL).

On PostgreSQL a submission is one statement (``services/submission_sql.py``): it checks the
round and the hosts, draws the new id and writes all four rows, and returns what the checks
read, so the errors are worked out here. SQLite,
which has no DML in CTEs, gets a select and one INSERT per table. One live application per
person is the unique index's job: a duplicate surfaces as an IntegrityError from the insert
(the caller rolls back).

A submission that stores nothing else (no Idempotency-Key to remember) runs that statement
in autocommit mode on a connection of its own (``submit_application_alone``):
no BEGIN, no COMMIT, no ORM session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, Table, and_, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coordinator.models import Application, ApplicationChoice, Host, Round, RoundStatus
from coordinator.models._types import utcnow
from coordinator.services.errors import Conflict, InvalidData, NotFound
from coordinator.services.events import insert_event
from coordinator.services.mail import queue_first_message, unrendered_message_row
from coordinator.services.submission_sql import (
    APPLICATION_FIELDS,
    column_defaults,
    submit_in_one,
)

ALREADY_APPLIED = ("an application from this email address already exists in this round; "
                   "use the edit link in the confirmation email we sent you to change it")

_ROUNDS, _HOSTS = Round.__table__, Host.__table__
_APPLICATIONS: Table = Application.__table__  # type: ignore[assignment]
_CHOICES: Table = ApplicationChoice.__table__  # type: ignore[assignment]

_OFFERED = and_(_HOSTS.c.round_id == _ROUNDS.c.id, _HOSTS.c.status == "active",
                _HOSTS.c.id.in_(bindparam("host_ids", expanding=True)))
# Any database: one row per offered host of those ranked (one row with NULL when none is).
_ROUND_AND_HOSTS = select(
    _ROUNDS.c.status, _ROUNDS.c.weeks, _ROUNDS.c.default_max_km, _HOSTS.c.id,
).select_from(_ROUNDS.outerjoin(_HOSTS, _OFFERED)).where(_ROUNDS.c.id == bindparam("round_id"))
_INSERT_APPLICATION = insert(_APPLICATIONS).returning(_APPLICATIONS.c.id)
_INSERT_CHOICE = insert(_CHOICES)


def normalise_email(value: str | None) -> str | None:
    return value.strip().lower() if value else value


def check_weeks(round_weeks: list[str], weeks: list[str], errors: dict[str, list[str]]) -> None:
    outside = [week for week in weeks if week not in round_weeks]
    if outside:
        errors.setdefault("weeks", []).append(
            f"{', '.join(outside)} not in this round's weeks ({', '.join(round_weeks)})")


def not_open(status: str) -> Conflict:
    return Conflict(f"the round is not open for submissions (it is '{status}')", state=status)


def _checked(rows: Sequence[Sequence[Any]], data: dict[str, Any],
             offered: set[int]) -> Sequence[Any]:
    """The round's row (status, weeks, default_max_km, ...) once the round is open and every
    ranked host and week is offered."""
    if not rows:
        raise NotFound("round")
    round_ = rows[0]
    if round_[0] != RoundStatus.OPEN:
        raise not_open(round_[0])
    errors: dict[str, list[str]] = {}
    check_weeks(round_[1], data.get("weeks") or [], errors)
    for index, host_id in enumerate(data.get("host_choices") or []):
        if host_id not in offered:
            errors.setdefault(f"host_choices.{index}", []).append(
                f"host {host_id} is not offered in this round")
    if errors:
        raise InvalidData(errors)
    return round_


def _application_row(data: dict[str, Any], round_id: int, default_max_km: int,
                     now: dt.datetime) -> dict[str, Any]:
    row = column_defaults(_APPLICATIONS)
    row.update((key, data[key]) for key in APPLICATION_FIELDS if key in data)
    row.update(round_id=round_id, status="submitted", created_at=now, updated_at=now,
               email=normalise_email(row["email"]) or "",
               manager_email=normalise_email(row["manager_email"]) or "",
               team_mate_email=normalise_email(row["team_mate_email"]))
    # Absent (or 0): the round's default, not the column's.
    row["max_km"] = data.get("max_km") or default_max_km
    return row


def _message_row(row: dict[str, Any], application_id: int) -> dict[str, Any]:
    """The confirmation with the edit link, rendered and signed by the email worker."""
    return unrendered_message_row(
        template="application_received", language=row["language"], recipient=row["email"],
        ids={"application_id": application_id, "reason": "submitted"},
        dedup_key=f"application_received:{application_id}:submitted:"
                  f"{int(row['updated_at'].timestamp())}",
        round_id=row["round_id"])


def _insert_postgresql(connection: Connection, round_id: int,
                       data: dict[str, Any]) -> dict[str, Any]:
    host_ids: list[int] = data.get("host_choices") or []
    # max_km as sent: the statement falls back to the round's default (known after it).
    row = _application_row(data, round_id, 0, utcnow())
    params = {"round_id": round_id, "host_ids": host_ids, "now": row["created_at"],
              **{f"a_{name}": row[name] for name in APPLICATION_FIELDS},
              "a_max_km": data.get("max_km"), "m_updated_s": int(row["updated_at"].timestamp())}
    rows = submit_in_one(connection, params)
    round_ = _checked(rows, data, set(rows[0][3]) if rows else set())
    if round_[5] != 1:
        raise RuntimeError(f"round {round_id} passed the checks here but not in the statement")
    row["max_km"] = data.get("max_km") or round_[2]
    return {**row, "id": round_[4]}


def _insert_any_database(connection: Connection, round_id: int,
                         data: dict[str, Any]) -> dict[str, Any]:
    host_ids: list[int] = data.get("host_choices") or []
    rows = connection.execute(_ROUND_AND_HOSTS,
                              {"round_id": round_id, "host_ids": host_ids}).all()
    round_ = _checked(rows, data, {row[3] for row in rows if row[3] is not None})
    row = _application_row(data, round_id, round_[2], utcnow())
    application_id = connection.execute(_INSERT_APPLICATION, row).scalar_one()
    if host_ids:
        connection.execute(_INSERT_CHOICE, [
            {"application_id": application_id, "rank": rank, "host_id": host_id}
            for rank, host_id in enumerate(host_ids, start=1)])
    insert_event(connection, "application.submitted", "application", application_id, round_id)
    queue_first_message(connection, _message_row(row, application_id))
    return {**row, "id": application_id}


_RowsInserter = Callable[[Connection, int, dict[str, Any]], dict[str, Any]]


def _insert_or_conflict(insert_rows: _RowsInserter, connection: Connection, round_id: int,
                        data: dict[str, Any]) -> dict[str, Any]:
    try:
        return insert_rows(connection, round_id, data)
    except IntegrityError as exc:
        # Someone with this email already applied (perhaps a concurrent submission that
        # committed a moment ago): the unique index refused this one.
        if "email" in str(exc.orig):
            raise Conflict(ALREADY_APPLIED, field="email") from exc
        raise


def insert_application(session: Session, round_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Store a new application with its choices, event and edit-link email (see the module);
    the stored row with its ``id``. Raises NotFound, Conflict (round not open, or this
    person already applied) or InvalidData (weeks or hosts the round does not offer)."""
    connection = session.connection()
    insert_rows = (_insert_postgresql if connection.dialect.name == "postgresql"
                   else _insert_any_database)
    return _insert_or_conflict(insert_rows, connection, round_id, data)


_AUTOCOMMIT_ENGINES: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def submit_application_alone(engine: Engine, round_id: int,
                             data: dict[str, Any]) -> dict[str, Any]:
    """``insert_application`` for a request that writes nothing else, committed on return.

    PostgreSQL only. The one statement runs on a pooled connection of its own in autocommit
    mode (a statement is atomic by itself). That saves the BEGIN and COMMIT round trips and
    the ORM session's transaction. Same errors as ``insert_application``;
    a lost connection invalidates the pool as any statement's would.
    """
    autocommit = _AUTOCOMMIT_ENGINES.get(engine)
    if autocommit is None:
        # Shares the engine's pool; the connection's autocommit is reset on its return.
        autocommit = _AUTOCOMMIT_ENGINES[engine] = engine.execution_options(
            isolation_level="AUTOCOMMIT")
    with autocommit.connect() as connection:
        return _insert_or_conflict(_insert_postgresql, connection, round_id, data)
