"""Plain helpers the tests import by name (fixtures live in conftest.py).

They are here, not in conftest.py, because every test folder has a conftest.py of its own and
`from conftest import ...` would pick whichever of them pytest imported first.
"""

from __future__ import annotations

import os
from typing import Any

import psycopg
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from coordinator import db

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


def _truncate(app: Flask) -> None:
    engine = app.extensions["db_engine"]
    tables = [t.name for t in reversed(db.Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


def signed_in(app: Flask, user: dict[str, Any]) -> FlaskClient:
    """A test client of `app` signed in through the API as `user` (email and password)."""
    client = app.test_client()
    response = client.post("/api/auth/login", json={"email": user["email"],
                                                    "password": user["password"]})
    assert response.status_code == 200, response.json
    return client


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
