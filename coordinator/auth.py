"""Coordinator accounts: Flask-Login sessions, argon2 hashes, role checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, current_app, redirect, request, url_for
from flask import session as browser_session
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator import db
from coordinator.models import User
from coordinator.models.user import ROLES


class _LoginManager(LoginManager):
    def _session_protection_failed(self) -> bool:
        # Only a signed-in session (or a remember cookie) has anything to protect. Flask-Login's
        # "strong" mode otherwise "clears" every anonymous session that holds other keys (lang,
        # csrf_token), which marks it modified: each anonymous response then re-sent the
        # session cookie as that request had read it, and a slower parallel request (the
        # browser's favicon fetch) overwrote the cookie a form page had just set, dropping
        # its CSRF token: the form's post was refused with a 400 (the RSVP phone-test flake).
        cookie_name = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        if "_user_id" not in browser_session and cookie_name not in request.cookies:
            return False
        return bool(super()._session_protection_failed())


login_manager = _LoginManager()
_hasher = PasswordHasher()
F = TypeVar("F", bound=Callable[..., Any])
# Verified against when the email is unknown, so a wrong email costs as much time as a wrong
# password and response times don't reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def create_user(session: Session, email: str, password: str, role: str = "coordinator") -> User:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 12:
        raise ValueError("password must be at least 12 characters")
    user = User(email=email.strip().lower(), password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def roles_required(*roles: str) -> Callable[[F], F]:
    """401 for anonymous callers, 403 for a signed-in user without one of ``roles``."""
    allowed = roles or ROLES

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403, description="your role does not allow this")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


coordinator_required = roles_required("admin", "coordinator")
admin_required = roles_required("admin")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        try:
            return db.session().get(User, int(user_id))
        except ValueError:
            return None

    @login_manager.unauthorized_handler
    def _unauthorized() -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            abort(401, description="sign in as a coordinator first")
        return redirect(url_for("pages.login", next=request.full_path))
