"""Privacy fixtures: a clean Redis database wired to the in-process job runner, and an admin."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from coordinator import db

ADMIN_PASSWORD = "correct horse battery staple admin"


@pytest.fixture
def admin_client(app: Flask) -> FlaskClient:
    from coordinator.auth import create_user

    with app.app_context():
        create_user(db.session(), "admin@example.org", ADMIN_PASSWORD, "admin")
        db.session().commit()
    client = app.test_client()
    response = client.post("/api/auth/login", json={"email": "admin@example.org",
                                                    "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.json
    return client


def login(app: Flask, user: dict[str, Any]) -> FlaskClient:
    client = app.test_client()
    response = client.post("/api/auth/login", json={"email": user["email"],
                                                    "password": user["password"]})
    assert response.status_code == 200, response.json
    return client
