"""Configuration, only from the environment, with defaults that run with nothing else installed.

Every variable is documented in README.md ("Configuration").
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

EMAIL_BACKENDS = ("outbox", "sendgrid")


class ConfigError(RuntimeError):
    """A variable of the environment has a value the service cannot run with."""


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in ``instance/``.

    Never a constant in the code: a leaked constant would let anyone forge signed links.
    """
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created with 0600 from the start so no other user can read it even briefly.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
        raise ConfigError(f"{name} must be 1 or 0, got {raw!r}")
    return raw in ("1", "true", "yes", "on")


def _rate(name: str, default: str) -> str:
    """A Flask-Limiter limit string ("5 per minute; 20 per hour"), checked at start-up."""
    from limits import parse_many

    value = os.environ.get(name, "").strip() or default
    try:
        parse_many(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must look like '10 per minute; 100 per hour', "
                          f"got {value!r}") from exc
    return value


def config_from_env(instance_path: Path) -> dict[str, Any]:
    """Read the process environment into Flask config keys."""
    default_db = f"sqlite:///{instance_path / 'coordinator.sqlite3'}"
    backend = os.environ.get("EMAIL_BACKEND", "outbox").strip().lower()
    if backend not in EMAIL_BACKENDS:
        raise ConfigError(f"EMAIL_BACKEND must be one of {', '.join(EMAIL_BACKENDS)}, got {backend!r}")
    if backend == "sendgrid" and not os.environ.get("SENDGRID_API_KEY"):
        raise ConfigError("EMAIL_BACKEND=sendgrid needs SENDGRID_API_KEY")
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL", default_db),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "SECRET_KEY": _secret_key(instance_path),
        "EMAIL_BACKEND": backend,
        "EMAIL_FROM": os.environ.get("EMAIL_FROM", "praktik@example.org"),
        "SENDGRID_API_KEY": os.environ.get("SENDGRID_API_KEY", ""),
        "SENDGRID_API_HOST": os.environ.get("SENDGRID_API_HOST", "https://api.sendgrid.com"),
        # The client waits forever unless told otherwise.
        "SENDGRID_TIMEOUT_SECONDS": _int("SENDGRID_TIMEOUT_SECONDS", 10, 1),
        "SENDGRID_SANDBOX": os.environ.get("SENDGRID_SANDBOX", "0") == "1",
        "SENDGRID_WEBHOOK_PUBLIC_KEY": os.environ.get("SENDGRID_WEBHOOK_PUBLIC_KEY", ""),
        # A row left in "sending" longer than this (a dead worker) is claimed again.
        "EMAIL_LEASE_SECONDS": _int("EMAIL_LEASE_SECONDS", 300, 1),
        "EMAIL_MAX_ATTEMPTS": _int("EMAIL_MAX_ATTEMPTS", 8, 1),
        "EMAIL_RETRY_BASE_SECONDS": _int("EMAIL_RETRY_BASE_SECONDS", 30, 0),
        # Longest wait before a retry, also for a provider's Retry-After.
        "EMAIL_RETRY_MAX_SECONDS": _int("EMAIL_RETRY_MAX_SECONDS", 3600, 1),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "EDIT_LINK_MAX_AGE_DAYS": _int("EDIT_LINK_MAX_AGE_DAYS", 180, 1),
        # Personal data of a round is erased this many days after the round ended.
        "RETENTION_DAYS": _int("RETENTION_DAYS", 365, 1),
        # Unset: secure exactly when the public address is https (never on plain-http dev).
        "SESSION_COOKIE_SECURE": _flag(
            "SESSION_COOKIE_SECURE",
            os.environ.get("PUBLIC_BASE_URL", "").strip().lower().startswith("https://")),
        # How many reverse proxies in front of us may set X-Forwarded-For/-Proto/-Host.
        "PROXY_COUNT": _int("PROXY_COUNT", 0, 0),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "").strip(),
        "RATELIMIT_GENERAL": _rate("RATELIMIT_GENERAL", "300 per minute"),
        "RATELIMIT_LOGIN_ADDRESS": _rate("RATELIMIT_LOGIN_ADDRESS", "20 per minute; 100 per hour"),
        "RATELIMIT_LOGIN_ACCOUNT": _rate("RATELIMIT_LOGIN_ACCOUNT", "5 per minute; 20 per hour"),
        "RATELIMIT_SUBMIT": _rate("RATELIMIT_SUBMIT", "10 per minute; 60 per hour"),
        "RATELIMIT_LINK_POST": _rate("RATELIMIT_LINK_POST", "10 per minute; 60 per hour"),
    }
