"""Database plumbing: one engine per app, one session per request or job.

Plain SQLAlchemy 2 (no Flask extension) so workers and the CLI use the same models and
services without a request.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

log = logging.getLogger(__name__)

# Stable constraint names, so Alembic's batch mode on SQLite can find and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the web process read while a worker writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


# Pooled PostgreSQL connections are replaced after this long, before an idle timeout on
# the server or a firewall cuts them.
POOL_RECYCLE_S = 1800


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys and WAL.

    PostgreSQL connections are not pinged on checkout (``pool_pre_ping`` cost a round trip
    per request): a connection the server dropped (a restart) fails its first statement,
    which invalidates the whole pool, so only that request fails (a 503, see ``init_app``;
    jobs run again, see ``workers.context``) and the next one connects afresh.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_engine(url, pool_recycle=POOL_RECYCLE_S)


def connection_lost(exc: DBAPIError) -> bool:
    """A dropped or refused server connection; SQLite's errors are not that (a file)."""
    if exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError) and type(exc.orig).__module__ != "sqlite3"


def unavailable_response() -> Response:
    """503 for a request whose database connection was lost (``errors.py`` sends it); the
    session is rolled back so it does not keep the dead connection."""
    log.warning("database connection lost on %s %s; answered 503", request.method,
                request.path)
    try:
        session().rollback()
    except DBAPIError:
        log.warning("rollback after a lost connection failed too")
    message = "the database is unavailable for a moment; nothing was stored, try again"
    if request.path.startswith("/api/"):
        response = jsonify({"code": 503, "status": "Service Unavailable", "message": message})
    else:
        response = make_response(render_template("error.html", code=503, message=message))
    response.status_code = 503
    response.headers["Retry-After"] = "1"
    return response


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def engine() -> Engine:
    return current_app.extensions["db_engine"]


def session() -> Session:
    """The session of the current app context (request, CLI command or job)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def is_postgresql(bind: Engine | Session) -> bool:
    eng = bind.get_bind() if isinstance(bind, Session) else bind
    return eng.dialect.name == "postgresql"
