"""A new application, the busiest write there is: built for few statements and no ORM.

Everything a submission stores goes in one transaction: the application, its ranked
choices, its ``application.submitted`` event and its queued ``application_received`` email
(whose text and signed edit link the email worker renders, see ``services/mail.py``). The ORM's unit of work cost more than everything else together
here, so these are Core statements built once (a statement object caches its compiled SQL).

On PostgreSQL a submission is one statement (``_submit_in_one``): its CTEs check the round
and the hosts, draw the new id from the sequence and write all four rows, and it returns
what the checks read, so the errors are worked out here (foreign keys are checked at the end
of the statement, so the choices may name the application of the same statement). SQLite,
which has no DML in CTEs, gets a select and one INSERT per table. One live application per
person is the unique index's job: a duplicate surfaces as an IntegrityError from the insert
(the caller rolls back).

A submission that stores nothing else (no Idempotency-Key to remember) runs that statement
in autocommit mode on a connection of its own (``submit_application_alone``):
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
    BigInteger,
    Connection,
    Dialect,
    Engine,
    Insert,
    Integer,
    Select,
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
    true,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
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


_APPLICATION_PARAMETERS = {"round_id": "round_id", "created_at": "now", "updated_at": "now",
                           **{name: f"a_{name}" for name in APPLICATION_FIELDS}}
_EVENT_PARAMETERS = {"round_id": "round_id", "created_at": "now"}
_EVENT_CONSTANTS = {"kind": "application.submitted", "subject_type": "application",
                    "payload": {}, "dispatched_at": None, "attempts": 0}
_MESSAGE_PARAMETERS = {"round_id": "round_id", "created_at": "now", "language": "a_language",
                       "recipient": "a_email"}


def _values(table: Table, parameters: dict[str, Any], constants: dict[str, Any]) -> dict[str, Any]:
    """A value for each column of ``table`` (its key only when ``parameters`` names it): the
    parameter named there (one name in several places is one parameter) or the SQL expression
    given there, else the constant.

    psycopg adapts every parameter of every execution; a value that is the same in every
    submission costs nothing written into the SQL. A column added to the table must be
    given one or the other here (a KeyError at import otherwise).
    """
    values = {}
    for column in table.columns:
        given = parameters.get(column.name)
        if isinstance(given, str):
            values[column.name] = bindparam(given, type_=column.type)
        elif given is not None:
            values[column.name] = given
        elif not column.primary_key:
            values[column.name] = _inline(constants[column.name], column.type)
    return values


def _insert_from(table: Table, values: dict[str, Any], source: Any) -> Insert:
    """INSERT INTO ``table`` the ``values`` once per row of ``source`` (none: nothing)."""
    return insert(table).from_select(list(values), select(*values.values()).select_from(source))


def _submit_in_one() -> Select[Any]:
    """PostgreSQL: check the round and the hosts, draw the id, write all four rows: one statement.

    ``round_row`` reads the round (status, weeks, default km, which of the ranked hosts it
    offers) and draws the application's id; ``checked`` is that row only when the round is
    open and offers every week and host asked for (``_checked``'s conditions), and the four
    inserts select from it, so they write nothing otherwise. The statement returns
    ``round_row`` (no row: no such round) and how many applications it stored, for
    ``_checked`` to say what failed. The choices come from one array parameter (``unnest ...
    WITH ORDINALITY`` gives the ranks), so the statement is the same for any number of them
    and compiles once.
    """
    host_ids = bindparam("host_ids", type_=ARRAY(Integer))
    round_ = select(
        _ROUNDS.c.status, _ROUNDS.c.weeks, _ROUNDS.c.default_max_km,
        select(func.coalesce(func.array_agg(_HOSTS.c.id),
                             literal_column("ARRAY[]::INTEGER[]"))).where(
            _HOSTS.c.round_id == _ROUNDS.c.id, _HOSTS.c.status == _inline("active", String()),
            _HOSTS.c.id == any_(host_ids)).scalar_subquery().label("offered"),
        func.nextval(func.pg_get_serial_sequence(_inline("applications", String()),
                                                 _inline("id", String()))).label("id"),
    ).where(_ROUNDS.c.id == bindparam("round_id", type_=Integer)).cte("round_row")
    weeks = bindparam("a_weeks", type_=_APPLICATIONS.c.weeks.type)
    checked = select(round_.c.id, round_.c.default_max_km).where(
        round_.c.status == _inline(RoundStatus.OPEN.value, String()),
        cast(round_.c.weeks, JSONB).bool_op("@>")(cast(weeks, JSONB)),
        round_.c.offered.bool_op("@>")(host_ids)).cte("checked")

    application = _insert_from(_APPLICATIONS, _values(_APPLICATIONS, {
        **_APPLICATION_PARAMETERS, "id": checked.c.id,
        # Absent (or 0): the round's default, as _application_row has it.
        "max_km": func.coalesce(
            func.nullif(bindparam("a_max_km", type_=Integer), _inline(0, Integer())),
            checked.c.default_max_km),
    }, {"status": "submitted"}), checked).returning(_APPLICATIONS.c.id).cte("new_application")
    event = _insert_from(_EVENTS, _values(
        _EVENTS, {**_EVENT_PARAMETERS, "subject_id": checked.c.id}, _EVENT_CONSTANTS),
        checked).cte("new_event")
    ranked = func.unnest(host_ids).table_valued(
        "host_id", with_ordinality="rank").render_derived()
    choices = insert(_CHOICES).from_select(
        ["application_id", "rank", "host_id"],
        select(checked.c.id, ranked.c.rank, ranked.c.host_id).select_from(
            checked.join(ranked, true())),
    ).cte("new_choices")
    # The confirmation's columns that are the same for every applicant; its dedup key and
    # context name the id drawn here, so they are built here (as _message_row builds them).
    message_constants = {**_column_defaults(_MESSAGES), **unrendered_message_row(
        template="application_received", language="", recipient="", ids={}, dedup_key="",
        round_id=None)}
    message = _insert_from(_MESSAGES, _values(_MESSAGES, {
        **_MESSAGE_PARAMETERS,
        "dedup_key": func.concat(
            _inline("application_received:", String()), checked.c.id,
            _inline(":submitted:", String()), bindparam("m_updated_s", type_=BigInteger)),
        "context": func.json_build_object(
            _inline("application_id", String()), checked.c.id,
            _inline("reason", String()), _inline("submitted", String())),
    }, message_constants), checked).cte("new_message")
    stored = select(func.count()).select_from(application).scalar_subquery()
    return select(round_.c.status, round_.c.weeks, round_.c.default_max_km, round_.c.offered,
                  round_.c.id, stored).add_cte(application, event, choices, message)


_SUBMIT_IN_ONE = _submit_in_one()


class _DriverStatement:
    """A statement compiled once to the driver's SQL and run on the driver's cursor.

    SQLAlchemy's execution path (cache lookup, parameter construction, result set-up) cost
    more CPU than psycopg itself for these statements. The cursor belongs to the
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
    # max_km as sent: the statement falls back to the round's default (known after it).
    row = _application_row(data, round_id, 0, utcnow())
    params = {"round_id": round_id, "host_ids": host_ids, "now": row["created_at"],
              **{f"a_{name}": row[name] for name in APPLICATION_FIELDS},
              "a_max_km": data.get("max_km"), "m_updated_s": int(row["updated_at"].timestamp())}
    rows = _driver_statement(connection, "submit_in_one", _SUBMIT_IN_ONE).execute(
        connection, params)
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
