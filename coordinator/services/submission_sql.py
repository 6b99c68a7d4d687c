"""The PostgreSQL submission as one statement, built once, and run on psycopg's cursor.

Its CTEs check the round and the hosts, draw the new id from the sequence and write all four
rows (application, ranked choices, ``application.submitted`` event, queued confirmation), and
it returns what the checks read, so ``services/submission.py`` works out the errors (foreign
keys are checked at the end of the statement, so the choices may name the application of the
same statement). Values that every submission stores alike are written into the SQL, so
psycopg adapts only what differs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Connection,
    Dialect,
    Insert,
    Integer,
    Select,
    String,
    Table,
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

from coordinator.models import (
    Application,
    ApplicationChoice,
    Event,
    Host,
    Message,
    Round,
    RoundStatus,
)
from coordinator.services.mail import unrendered_message_row

APPLICATION_FIELDS = (
    "name", "email", "organisation", "org_level", "municipality_code", "lat", "lon",
    "learning_goal", "topics", "open_to_any", "weeks", "max_km", "language",
    "team_mate_email", "manager_name", "manager_email",
)
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



def column_defaults(table: Table) -> dict[str, Any]:
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
    open and offers every week and host asked for (the conditions of ``_checked`` in
    ``services/submission.py``), and the four inserts select from it, so they write nothing
    otherwise. The statement returns
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
    message_constants = {**column_defaults(_MESSAGES), **unrendered_message_row(
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


def submit_in_one(connection: Connection, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run the one statement (see :func:`_submit_in_one`) inside ``connection``'s transaction;
    its one row, or none when there is no such round."""
    return _driver_statement(connection, "submit_in_one", _SUBMIT_IN_ONE).execute(
        connection, params)
