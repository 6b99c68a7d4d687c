"""A new application, the busiest write there is: built for few statements and no ORM.

Everything a submission stores goes in one transaction: the application, its ranked
choices, its ``application.submitted`` event and its queued ``application_received`` email
(whose text and signed edit link the email worker renders, see ``services/mail.py``). The ORM's unit of work cost more than everything else together
here, so these are Core statements built once (a statement object caches its compiled SQL).

On PostgreSQL a submission is two statements: a select that checks the round and the hosts
and draws the new id from the sequence, then one INSERT whose data-modifying CTEs write all
four rows (foreign keys are checked at the end of the statement, so the choices may name the
application of the same statement). SQLite, which has no DML in CTEs, gets one INSERT per
table. One live application per person is the unique index's job: a duplicate surfaces as an
IntegrityError from the insert (the caller rolls back).

A submission that stores nothing else (no Idempotency-Key to remember) runs those two
statements in autocommit mode on a connection of its own (``submit_application_alone``):
no BEGIN, no COMMIT, no ORM session.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any
from weakref import WeakKeyDictionary

import psycopg
from sqlalchemy import (
    ARRAY,
    JSON,
    Connection,
    Dialect,
    Engine,
    Insert,
    Integer,
    String,
    Table,
    and_,
    any_,
    bindparam,
    cast,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coordinator.models import (
    Application,
    ApplicationChoice,
    Event,
    Host,
    Message,
    Round,
    RoundStatus,
)
from coordinator.models._types import utcnow
from coordinator.services.errors import Conflict, InvalidData, NotFound
from coordinator.services.events import insert_event
from coordinator.services.mail import queue_first_message, unrendered_message_row

APPLICATION_FIELDS = (
    "name", "email", "organisation", "org_level", "municipality_code", "lat", "lon",
    "learning_goal", "topics", "open_to_any", "weeks", "max_km", "language",
    "team_mate_email", "manager_name", "manager_email",
)
ALREADY_APPLIED = ("an application from this email address already exists in this round; "
                   "use the edit link in the confirmation email we sent you to change it")

_ROUNDS, _HOSTS = Round.__table__, Host.__table__
_APPLICATIONS: Table = Application.__table__  # type: ignore[assignment]
_CHOICES: Table = ApplicationChoice.__table__  # type: ignore[assignment]
_EVENTS: Table = Event.__table__  # type: ignore[assignment]
_MESSAGES: Table = Message.__table__  # type: ignore[assignment]

_PG_DIALECT = postgresql.psycopg.dialect()  # type: ignore[attr-defined]


def _inline(value: Any, type_: Any) -> Any:
    """``value`` written into PostgreSQL's SQL as a literal, not sent as a parameter."""
    if value is None:
        return null()
    if isinstance(type_, JSON):
        return cast(_inline(json.dumps(value), String()), type_)
    return literal_column(literal(value, type_).compile(
        dialect=_PG_DIALECT, compile_kwargs={"literal_binds": True}).string, type_)


_OFFERED = and_(_HOSTS.c.round_id == _ROUNDS.c.id, _HOSTS.c.status == "active",
                _HOSTS.c.id.in_(bindparam("host_ids", expanding=True)))
# Any database: one row per offered host of those ranked (one row with NULL when none is).
_ROUND_AND_HOSTS = select(
    _ROUNDS.c.status, _ROUNDS.c.weeks, _ROUNDS.c.default_max_km, _HOSTS.c.id,
).select_from(_ROUNDS.outerjoin(_HOSTS, _OFFERED)).where(_ROUNDS.c.id == bindparam("round_id"))
# PostgreSQL: one row, with the offered hosts as an array and the new application's id (the
# ranked hosts as one array parameter, so the SQL is the same for any number of them).
_ROUND_HOSTS_AND_ID = select(
    _ROUNDS.c.status, _ROUNDS.c.weeks, _ROUNDS.c.default_max_km,
    select(func.array_agg(_HOSTS.c.id)).where(
        _HOSTS.c.round_id == _ROUNDS.c.id, _HOSTS.c.status == _inline("active", String()),
        _HOSTS.c.id == any_(bindparam("host_ids", type_=ARRAY(Integer)))).scalar_subquery(),
    func.nextval(func.pg_get_serial_sequence(_inline("applications", String()),
                                             _inline("id", String()))),
).where(_ROUNDS.c.id == bindparam("round_id"))
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


def _column_defaults(table: Table) -> dict[str, Any]:
    """Each column's Python default, called now (a statement that names every column skips
    the defaults of the columns it names)."""
    values: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if default is None or column.primary_key:
            values[column.name] = None
        elif default.is_callable:
            values[column.name] = default.arg(None)  # type: ignore[attr-defined,operator]
        else:
            values[column.name] = default.arg  # type: ignore[attr-defined]
    values.pop("id", None)
    return values


def _application_row(data: dict[str, Any], round_id: int, default_max_km: int,
                     now: dt.datetime) -> dict[str, Any]:
    row = _column_defaults(_APPLICATIONS)
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


_APPLICATION_PARAMETERS = {"id": "a_id", "round_id": "round_id", "created_at": "now",
                           "updated_at": "now", **{name: f"a_{name}" for name in APPLICATION_FIELDS}}
_EVENT_PARAMETERS = {"subject_id": "a_id", "round_id": "round_id", "created_at": "now"}
_EVENT_CONSTANTS = {"kind": "application.submitted", "subject_type": "application",
                    "payload": {}, "dispatched_at": None, "attempts": 0}
_MESSAGE_PARAMETERS = {"round_id": "round_id", "created_at": "now", "language": "a_language",
                       "recipient": "a_email", "dedup_key": "m_dedup_key", "context": "m_context"}


def _values(table: Table, parameters: dict[str, str], constants: dict[str, Any]) -> dict[str, Any]:
    """A value for each column of ``table`` (its key only when ``parameters`` names it): the
    parameter named there (one name in several places is one parameter), else the constant.

    psycopg adapts every parameter of every execution; a value that is the same in every
    submission costs nothing written into the SQL. A column added to the table must be
    given one or the other here (a KeyError at import otherwise).
    """
    return {column.name: bindparam(parameters[column.name], type_=column.type)
            if column.name in parameters else _inline(constants[column.name], column.type)
            for column in table.columns if column.name in parameters or not column.primary_key}


def _insert_all_four() -> Insert:
    """PostgreSQL: the application, its choices, its event and its message in one statement.

    The choices come from one array parameter (``unnest ... WITH ORDINALITY`` gives the
    ranks), so the statement is the same for any number of them and compiles once (a
    multi-row VALUES clause is never cached).
    """
    application = insert(_APPLICATIONS).values(_values(
        _APPLICATIONS, _APPLICATION_PARAMETERS, {"status": "submitted"})).cte("new_application")
    event = insert(_EVENTS).values(
        _values(_EVENTS, _EVENT_PARAMETERS, _EVENT_CONSTANTS)).cte("new_event")
    # The confirmation's columns that are the same for every applicant.
    message_constants = {**_column_defaults(_MESSAGES), **unrendered_message_row(
        template="application_received", language="", recipient="", ids={}, dedup_key="",
        round_id=None)}
    ranked = func.unnest(bindparam("c_host_ids", type_=ARRAY(Integer))).table_valued(
        "host_id", with_ordinality="rank").render_derived()
    choices = insert(_CHOICES).from_select(
        ["application_id", "rank", "host_id"],
        select(bindparam("a_id", type_=Integer), ranked.c.rank, ranked.c.host_id),
    ).cte("new_choices")
    return insert(_MESSAGES).values(_values(_MESSAGES, _MESSAGE_PARAMETERS, message_constants)
                                    ).add_cte(application, event, choices)


_INSERT_ALL_FOUR = _insert_all_four()


class _DriverStatement:
    """A statement compiled once to the driver's SQL and run on the driver's cursor.

    SQLAlchemy's execution path (cache lookup, parameter construction, result set-up) cost
    more CPU than psycopg itself for these two statements. The cursor belongs to the
    connection's transaction, so the request's commit or rollback covers it; a driver error
    goes through SQLAlchemy's own handling (IntegrityError, and a lost connection
    invalidating the pool, as any statement would). The column types' bind processors (JSON,
    UTC datetimes) still run, from a table built here once. Rows come as the driver's
    tuples of its own types (str, list, int).
    """

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        self.constants: dict[str, Any] = {
            name: bind.effective_value for name, bind in compiled.binds.items()
            if bind.value is not None}
        self.processors: list[tuple[str, Callable[[Any], Any]]] = []
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors.append((name, processor))

    def execute(self, connection: Connection, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The rows (none for a statement that returns none)."""
        values = {**self.constants, **params}
        for name, processor in self.processors:
            values[name] = processor(values[name])
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.sql, values)
            return cursor.fetchall() if cursor.description else []
        except psycopg.Error as exc:
            # Raises the wrapped error (and invalidates the pool on a lost connection).
            connection._handle_dbapi_exception(exc, self.sql, values, cursor, None)
            raise
        finally:
            cursor.close()


_DRIVER_STATEMENTS: dict[tuple[type[Dialect], str], _DriverStatement] = {}


def _driver_statement(connection: Connection, name: str, statement: Any) -> _DriverStatement:
    key = (type(connection.dialect), name)
    compiled = _DRIVER_STATEMENTS.get(key)
    if compiled is None:
        compiled = _DRIVER_STATEMENTS[key] = _DriverStatement(statement, connection.dialect)
    return compiled


def _insert_postgresql(connection: Connection, round_id: int,
                       data: dict[str, Any]) -> dict[str, Any]:
    host_ids: list[int] = data.get("host_choices") or []
    rows = _driver_statement(connection, "round_hosts_and_id", _ROUND_HOSTS_AND_ID).execute(
        connection, {"round_id": round_id, "host_ids": host_ids})
    round_ = _checked(rows, data, set(rows[0][3] or ()) if rows else set())
    application_id: int = round_[4]
    row = _application_row(data, round_id, round_[2], utcnow())
    message = _message_row(row, application_id)
    params = {"a_id": application_id, "round_id": round_id, "now": row["created_at"],
              **{f"a_{name}": row[name] for name in APPLICATION_FIELDS},
              "m_dedup_key": message["dedup_key"], "m_context": message["context"],
              "c_host_ids": host_ids}
    _driver_statement(connection, "insert_all_four", _INSERT_ALL_FOUR).execute(connection, params)
    return {**row, "id": application_id}


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

    PostgreSQL only. The two statements run on a pooled connection of their own in
    autocommit mode: the INSERT writes all four rows in one statement, so it is atomic by
    itself, and the select before it took no locks inside a transaction either (a round
    closing between the two was as possible then as now). That saves the BEGIN and COMMIT
    round trips and the ORM session's transaction. Same errors as ``insert_application``;
    a lost connection invalidates the pool as any statement's would.
    """
    autocommit = _AUTOCOMMIT_ENGINES.get(engine)
    if autocommit is None:
        # Shares the engine's pool; the connection's autocommit is reset on its return.
        autocommit = _AUTOCOMMIT_ENGINES[engine] = engine.execution_options(
            isolation_level="AUTOCOMMIT")
    with autocommit.connect() as connection:
        return _insert_or_conflict(_insert_postgresql, connection, round_id, data)
