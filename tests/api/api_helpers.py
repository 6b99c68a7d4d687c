"""Shared helpers of the API tests: row-count snapshots, payloads, error assertions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from coordinator import auth, db


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with the smallest cost: the default costs ~0.5 s per sign-in on a busy machine.

    Test modules import this fixture to have it apply to each of their tests; the hashes
    are still argon2id, just cheap.
    """
    monkeypatch.setattr(auth, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))


@pytest.fixture(name="database_url")
def postgresql_only(postgresql_url: str) -> str:
    """``database_url`` for a module that imports this: PostgreSQL only (tests/conftest.py's
    runs SQLite too), for what only a server has (a lost connection, autocommit)."""
    return postgresql_url


def row_counts(app: Flask) -> dict[str, int]:
    """The number of rows of every table of the models."""
    engine = app.extensions["db_engine"]
    with engine.connect() as conn:
        return {table.name: conn.scalar(select(func.count()).select_from(table)) or 0
                for table in db.Base.metadata.sorted_tables}


@contextmanager
def nothing_stored(app: Flask, label: str = "") -> Iterator[None]:
    """Assert that the block leaves every table with as many rows as before."""
    before = row_counts(app)
    yield
    after = row_counts(app)
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, f"{label}: rows changed (before, after): {changed}"


def rows(app: Flask, model: Any, *where: Any) -> list[Any]:
    with app.app_context():
        return list(db.session().scalars(select(model).where(*where)))


def hosts_url(round_id: int) -> str:
    return f"/api/public/rounds/{round_id}/hosts/offers"


def applications_url(round_id: int) -> str:
    return f"/api/public/rounds/{round_id}/applications"


def json_errors(response: TestResponse) -> dict[str, Any]:
    """The field errors of a 422 in flask-smorest's shape ({"errors": {"json": {...}}})."""
    body = response.get_json()
    assert body["code"] == response.status_code
    assert body["status"]
    return body["errors"]["json"]


def assert_field_error(response: TestResponse, path: str, status: int = 422) -> list[str]:
    """Assert ``status`` and that the error names ``path`` ("a", "a.0" or nested) with a text."""
    assert response.status_code == status, (path, response.status_code, response.get_data(True))
    errors: Any = json_errors(response)
    if path in errors:
        messages = errors[path]
    else:
        messages = errors
        for part in path.split("."):
            assert isinstance(messages, dict) and part in messages, (path, errors)
            messages = messages[part]
    assert isinstance(messages, list) and messages, (path, errors)
    assert all(isinstance(text, str) and text for text in messages)
    return messages


def post_host(client: FlaskClient, round_id: int, payload: dict[str, Any],
              **kwargs: Any) -> TestResponse:
    return client.post(hosts_url(round_id), json=payload, **kwargs)


def post_application(client: FlaskClient, round_id: int, payload: dict[str, Any],
                     **kwargs: Any) -> TestResponse:
    return client.post(applications_url(round_id), json=payload, **kwargs)


def create_round(client: FlaskClient, **overrides: Any) -> dict[str, Any]:
    body = {"name": "Runde", "weeks": ["2027-W37", "2027-W38"], **overrides}
    response = client.post("/api/rounds", json=body)
    assert response.status_code == 201, response.json
    return response.json
