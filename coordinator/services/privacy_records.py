"""Where one email address appears in the columns known to hold people."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from coordinator.models import (
    Application,
    Consent,
    Host,
    Message,
    UndeliverableAddress,
    User,
)
from coordinator.services.privacy_scrub import Needles


@dataclass
class PersonRecords:
    email: str
    visitor_apps: list[Application]
    manager_apps: list[Application]
    teammate_apps: list[Application]
    hosts: list[Host]
    consents: list[Consent]
    messages: list[Message]
    undeliverable: list[UndeliverableAddress]
    users: list[User]

    def needles(self) -> Needles:
        """The address plus every name and phone number stored next to it."""
        names = [a.name for a in self.visitor_apps]
        names += [a.manager_name for a in self.manager_apps]
        names += [h.contact_name for h in self.hosts]
        names += [h.contact_phone for h in self.hosts]
        return Needles.of([self.email], names)


def find_person(session: Session, email: str) -> PersonRecords:
    address = email.strip().lower()

    def rows(model: Any, column: Any) -> list[Any]:
        return list(session.scalars(select(model).where(func.lower(column) == address)
                                    .order_by(model.id)))

    return PersonRecords(
        email=address,
        visitor_apps=rows(Application, Application.email),
        manager_apps=rows(Application, Application.manager_email),
        teammate_apps=rows(Application, Application.team_mate_email),
        hosts=rows(Host, Host.contact_email),
        consents=rows(Consent, Consent.email),
        messages=rows(Message, Message.recipient),
        undeliverable=rows(UndeliverableAddress, UndeliverableAddress.email),
        users=rows(User, User.email),
    )


def _json_ready(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None  # binary content is described (size, hash), never inlined
    return value


def row_dict(row: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every mapped column of ``row`` by name, JSON-ready."""
    return {attr.key: _json_ready(getattr(row, attr.key))
            for attr in inspect(row).mapper.column_attrs if attr.key not in exclude}
