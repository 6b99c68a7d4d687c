"""Fixtures in the Flask style (app, client, runner) over real services on loopback.

Every app test runs twice: on a PostgreSQL database created for this test session (dropped
after) and on a SQLite file. Redis gets a database number of its own for the session.
"""

from __future__ import annotations

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
from testing_support import (  # noqa: F401 - re-exported for older imports
    PG_ADMIN_URL,
    REDIS_BASE_URL,
    TEST_PASSWORD,
    _pg_url_for,
    _truncate,
    application_payload,
    host_payload,
)

from coordinator import create_app, db, migrate


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
def redis_conn(app: Flask) -> Iterator[redis.Redis]:
    """The app's Redis database, empty, with jobs run in this process using ``app``."""
    from workers.context import set_app

    conn = redis.Redis.from_url(app.config["REDIS_URL"])
    conn.flushdb()
    set_app(app)
    yield conn
    set_app(None)
    conn.flushdb()
    conn.close()


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


@pytest.fixture
def host_in_round(client: FlaskClient, open_round: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/public/rounds/{open_round['id']}/hosts/offers",
                           json=host_payload())
    assert response.status_code == 201, response.json
    return response.json
