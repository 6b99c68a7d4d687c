"""Domain errors the web layer turns into 404 / 409 / 422 responses (or form messages)."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base of every error a service raises on purpose."""


class InvalidData(ServiceError):
    """The data is well-formed but breaks a domain rule; ``errors`` maps field → messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))


class Conflict(ServiceError):
    """The request clashes with the current state (round not open, already applied, ...)."""

    def __init__(self, message: str, **details: Any) -> None:
        self.message = message
        self.details = details
        super().__init__(message)


class NotFound(ServiceError):
    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"{what} not found")
