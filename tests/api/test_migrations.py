"""The migrations build exactly the tables of the models, and go down and up again cleanly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from testing_support import PG_ADMIN_URL, _pg_url_for

from coordinator import db, migrate
from coordinator import models as _models  # noqa: F401 - every table on the metadata


@pytest.fixture(params=["postgresql", "sqlite"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    name = f"coordinator_migrations_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url_for(name)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _differences(url: str) -> list[object]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, db.Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_matches_the_models(fresh_url: str) -> None:
    model_tables = {table.name for table in db.Base.metadata.sorted_tables}
    migrate.upgrade(fresh_url, "head")
    assert _tables(fresh_url) == model_tables | {"alembic_version"}
    assert _differences(fresh_url) == []
    migrate.downgrade(fresh_url, "base")
    assert _tables(fresh_url) <= {"alembic_version"}
    migrate.upgrade(fresh_url, "head")
    assert _tables(fresh_url) == model_tables | {"alembic_version"}
    assert _differences(fresh_url) == []
