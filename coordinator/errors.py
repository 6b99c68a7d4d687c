"""Error responses: JSON under /api and /webhooks, pages elsewhere; never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from coordinator import db
from coordinator.services.errors import Conflict, InvalidData, NotFound

log = logging.getLogger(__name__)


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/webhooks/")) or request.path in ("/healthz", "/readyz")


def json_error(code: int, message: str | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"code": code, "status": _phrase(code)}
    if message:
        body["message"] = message
    body.update(extra)
    response = jsonify(body)
    response.status_code = code
    return response


def _phrase(code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        code = exc.code or 500
        if wants_json():
            extra: dict[str, Any] = {}
            data = getattr(exc, "data", None)  # webargs/smorest put field errors here
            if isinstance(data, dict) and "messages" in data:
                extra["errors"] = data["messages"]
            message = None if extra else exc.description
            response = json_error(code, message, **extra)
            for key, value in ((data if isinstance(data, dict) else {}).get("headers") or {}).items():
                response.headers[key] = value
            return response
        return render_template("error.html", code=code, message=exc.description), code

    @app.errorhandler(InvalidData)
    def _invalid(exc: InvalidData) -> ResponseReturnValue:
        db.session().rollback()
        return json_error(422, errors={"json": exc.errors})

    @app.errorhandler(Conflict)
    def _conflict(exc: Conflict) -> ResponseReturnValue:
        db.session().rollback()
        if wants_json():
            return json_error(409, exc.message, **exc.details)
        return render_template("error.html", code=409, message=exc.message), 409

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> ResponseReturnValue:
        db.session().rollback()
        if wants_json():
            return json_error(404, str(exc))
        return render_template("error.html", code=404, message=str(exc)), 404

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        if isinstance(exc, HTTPException):
            return _http(exc)
        if isinstance(exc, DBAPIError) and db.connection_lost(exc):
            return db.unavailable_response()  # 503: the next request gets a new connection
        log.exception("unhandled error on %s %s", request.method, request.path)
        try:
            db.session().rollback()
        except Exception:  # noqa: BLE001 - the original error matters more
            log.exception("rollback failed")
        if wants_json():
            return json_error(500, "internal error; nothing was stored")
        return render_template("error.html", code=500,
                               message=InternalServerError.description), 500
