"""One commit per write request, and Idempotency-Key handling for POSTs.

The remembered response is stored in the same transaction as the change it describes, so a
retried POST either finds both or neither.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, abort, g, jsonify, make_response, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coordinator import db
from coordinator.models import IdempotentRequest

F = TypeVar("F", bound=Callable[..., Any])
KEY_HEADER = "Idempotency-Key"


def _remembered(scope: str, key: str) -> IdempotentRequest | None:
    return db.session().scalar(select(IdempotentRequest).where(
        IdempotentRequest.scope == scope, IdempotentRequest.key == key))


def _replay(record: IdempotentRequest, body_hash: str) -> Response:
    if record.request_hash != body_hash:
        abort(422, description=f"{KEY_HEADER} was already used with a different request body")
    response = jsonify(record.response)
    response.status_code = record.status_code
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _body_hash() -> str:
    """A hash of the request body that ignores key order and whitespace in JSON."""
    raw = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        return hashlib.sha256(raw).hexdigest()
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def remembers_response() -> bool:
    """True when this request's response is remembered (it sent an Idempotency-Key), so its
    changes must go through the request's session: the record is stored in that transaction.
    A view may write on a connection of its own otherwise."""
    return request.headers.get(KEY_HEADER) is not None


def transactional(view: F) -> F:
    """Commit after a successful view; remember the response when an Idempotency-Key is sent."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(KEY_HEADER)
        scope = f"{request.method} {request.path}"
        # Only a request with a key is remembered or replayed (hashing costs a JSON parse).
        body_hash = _body_hash() if key is not None else ""
        if key is not None:
            if not 1 <= len(key) <= 200 or not key.isprintable():
                abort(400, description=f"{KEY_HEADER} must be 1 to 200 printable characters")
            record = _remembered(scope, key)
            if record is not None:
                return _replay(record, body_hash)
        response = make_response(view(*args, **kwargs))
        if key is None and "db_session" not in g:
            return response  # the view wrote on a connection of its own, already committed
        session = db.session()
        if key is not None and 200 <= response.status_code < 300:
            session.add(IdempotentRequest(scope=scope, key=key, request_hash=body_hash,
                                          status_code=response.status_code,
                                          response=response.get_json()))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            # A concurrent request with the same key won the race: answer as it did.
            record = _remembered(scope, key) if key is not None else None
            if record is None:
                raise
            return _replay(record, body_hash)
        return response

    return wrapper  # type: ignore[return-value]
