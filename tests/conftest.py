"""Fixtures in the Flask style (app, client, runner) over real services on loopback.

Every app test runs twice: on a PostgreSQL database created for this test session (dropped
after) and on a SQLite file. Redis gets a database number of its own for the session.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text

from coordinator import create_app, db, migrate

PG_CANDIDATES = (
    "postgresql://postgres@127.0.0.1:5432/test",  # this machine and CI: trust auth
    # What scripts/ensure_services.sh creates on a fresh Debian cluster (password auth).
    "postgresql://coordinator_test:coordinator_test@127.0.0.1:5432/postgres",
)


def _pg_admin_url() -> str:
    if os.environ.get("TEST_PG_ADMIN_URL"):
        return os.environ["TEST_PG_ADMIN_URL"]
    for url in PG_CANDIDATES:
        try:
            psycopg.connect(url, connect_timeout=3).close()
            return url
        except psycopg.OperationalError:
            continue
    return PG_CANDIDATES[0]


PG_ADMIN_URL = _pg_admin_url()
REDIS_BASE_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
TEST_PASSWORD = "correct horse battery staple"


def _pg_url_for(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    name = f"coordinator_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _pg_url_for(name)
    migrate.upgrade(url)
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'coordinator.sqlite3'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis database number nobody else uses during this session.

    The claim lives in database 0, not in the claimed database: tests flush their own database
    (which would drop a claim kept there and let a parallel run take the same number).
    """
    admin = redis.Redis.from_url(f"{REDIS_BASE_URL}/0")
    claim = uuid.uuid4().hex
    for number in range(15, 0, -1):
        key = f"coordinator-test-claim:{number}"
        if admin.set(key, claim, nx=True, ex=3 * 3600):
            break
    else:  # pragma: no cover - every db busy
        admin.close()
        pytest.fail("no free Redis database number for the tests (claims in db 0)")
    client = redis.Redis.from_url(f"{REDIS_BASE_URL}/{number}")
    client.flushdb()
    yield f"{REDIS_BASE_URL}/{number}"
    client.flushdb()
    client.close()
    if admin.get(key) == claim.encode():
        admin.delete(key)
    admin.close()


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


def _truncate(app: Flask) -> None:
    engine = app.extensions["db_engine"]
    tables = [t.name for t in reversed(db.Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def app_config(database_url: str, redis_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "WTF_CSRF_ENABLED": False,
        "PUBLIC_BASE_URL": "http://localhost",
        # Counts in Redis outlive a test; tests/security turns the limits on with a fresh prefix.
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(app_config)
    _truncate(app)
    yield app
    _truncate(app)
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def coordinator_user(app: Flask) -> dict[str, Any]:
    from coordinator.auth import create_user

    with app.app_context():
        user = create_user(db.session(), "coord@example.org", TEST_PASSWORD)
        db.session().commit()
        return {"id": user.id, "email": user.email, "password": TEST_PASSWORD}


@pytest.fixture
def coordinator_client(client: FlaskClient, coordinator_user: dict[str, Any]) -> FlaskClient:
    response = client.post("/api/auth/login", json={
        "email": coordinator_user["email"], "password": coordinator_user["password"]})
    assert response.status_code == 200, response.json
    return client


@pytest.fixture
def open_round(coordinator_client: FlaskClient) -> dict[str, Any]:
    created = coordinator_client.post("/api/rounds", json={
        "name": "Innovationspraktik 2027", "weeks": ["2027-W37", "2027-W38"]})
    assert created.status_code == 201, created.json
    opened = coordinator_client.post(f"/api/rounds/{created.json['id']}/open")
    assert opened.status_code == 200, opened.json
    return opened.json


def host_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "organisation": "Aarhus Kommune",
        "org_level": "municipality",
        "municipality_code": "751",
        "innovation_title": "Velfærdsteknologi i hjemmeplejen",
        "innovation_description": "Skærmbesøg og sensorer, der giver borgerne mere frihed.",
        "topics": ["velfærdsteknologi", "ældre"],
        "language": "da",
        "capacity": 2,
        "min_visitors": 1,
        "weeks": ["2027-W37"],
        "visit_days": 3,
        "contact_name": "Karen Jensen",
        "contact_email": "karen@aarhus.example",
    }
    payload.update(overrides)
    return payload


def application_payload(host_ids: list[int], **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": "Mads Nielsen",
        "email": "mads@odense.example",
        "organisation": "Odense Kommune",
        "org_level": "municipality",
        "municipality_code": "461",
        "learning_goal": "Hvordan man skalerer skærmbesøg til hele kommunen.",
        "topics": ["velfærdsteknologi"],
        "host_choices": host_ids,
        "weeks": ["2027-W37"],
        "max_km": 200,
        "language": "da",
        "manager_name": "Lone Hansen",
        "manager_email": "lone@odense.example",
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def host_in_round(client: FlaskClient, open_round: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/public/rounds/{open_round['id']}/hosts/offers",
                           json=host_payload())
    assert response.status_code == 201, response.json
    return response.json
