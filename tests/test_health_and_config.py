"""Health probes, configuration defaults and the OpenAPI document."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from coordinator import create_app
from coordinator.config import ConfigError


def test_healthz(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_reports_database_and_redis(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_is_503_when_redis_is_unreachable(app_config: dict, tmp_path: Path) -> None:
    app = create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:1/0"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"].startswith("unavailable")
    app.extensions["db_engine"].dispose()


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    instance = tmp_path / "inst"
    first = create_app({"INSTANCE_PATH": str(instance),
                        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    second = create_app({"INSTANCE_PATH": str(instance),
                         "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    key_file = instance / "secret_key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert len(first.config["SECRET_KEY"]) >= 40
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_bad_email_backend_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_BACKEND", "carrier-pigeon")
    with pytest.raises(ConfigError, match="EMAIL_BACKEND"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_sendgrid_needs_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_BACKEND", "sendgrid")
    monkeypatch.delenv("SENDGRID_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="SENDGRID_API_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_openapi_describes_every_api_route(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    documented = set(spec["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and not rule.rule.startswith(("/api/docs", "/api/openapi")):
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            assert path in documented, f"{rule.rule} missing from the OpenAPI document"
    submit = spec["paths"]["/api/public/rounds/{round_id}/applications"]["post"]
    assert "requestBody" in submit and "201" in submit["responses"]
    assert "ApplicationIn" in spec["components"]["schemas"]


def test_api_docs_page(client: FlaskClient) -> None:
    assert client.get("/api/docs").status_code == 200
