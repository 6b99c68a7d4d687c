"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from redis import Redis
from sqlalchemy import text

from coordinator import db


def init_app(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> ResponseReturnValue:
        checks: dict[str, str] = {}
        try:
            with db.engine().connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks["database"] = f"unavailable: {type(exc).__name__}"
        try:
            Redis.from_url(
                current_app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1
            ).ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"unavailable: {type(exc).__name__}"
        ready = all(value == "ok" for value in checks.values())
        return jsonify(status="ready" if ready else "unavailable", checks=checks), (
            200 if ready else 503
        )
