"""Signed, expiring links for people without accounts (one salt per purpose).

A token for one purpose never opens another: the salt differs, so the signature fails.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

PURPOSES = ("application-edit", "host-edit", "offer-response", "workshop-rsvp")


class LinkError(Exception):
    """A link that cannot be used; ``expired`` tells a stale link from a forged one."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        self.expired = expired
        super().__init__(message)


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"link:{purpose}")


def make_token(purpose: str, object_id: int, person: str | None = None) -> str:
    """``person`` names who the link is for when one object has several (an invitation)."""
    data: dict[str, object] = {"id": object_id}
    if person is not None:
        data["p"] = person
    return _serializer(purpose).dumps(data)


def read_person_token(purpose: str, token: str, max_age_s: int | None = None) -> tuple[int, str]:
    """(object id, person) inside a valid token made with ``person``, or LinkError."""
    return _load(purpose, token, max_age_s, with_person=True)  # type: ignore[return-value]


def read_token(purpose: str, token: str, max_age_s: int | None = None) -> int:
    """The object id inside a valid token, or LinkError."""
    return _load(purpose, token, max_age_s, with_person=False)  # type: ignore[return-value]


def _load(purpose: str, token: str, max_age_s: int | None,
          with_person: bool) -> int | tuple[int, str]:
    if max_age_s is None:
        max_age_s = current_app.config["EDIT_LINK_MAX_AGE_DAYS"] * 86400
    try:
        data = _serializer(purpose).loads(token, max_age=max_age_s)
    except SignatureExpired as exc:
        raise LinkError("this link has expired", expired=True) from exc
    except BadSignature as exc:
        raise LinkError("this link is not valid") from exc
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        raise LinkError("this link is not valid")
    if not with_person:
        return data["id"]
    if not isinstance(data.get("p"), str):
        raise LinkError("this link is not valid")
    return data["id"], data["p"]


def external_url(path: str) -> str:
    """An absolute URL for emails (requests may come from a worker with no request)."""
    return current_app.config["PUBLIC_BASE_URL"] + path
