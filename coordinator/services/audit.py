"""Audit rows for coordinator actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from coordinator.models import AuditEntry


def record_audit(
    session: Session,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(actor_id=actor_id, action=action, object_type=object_type,
                       object_id=object_id, before=before, after=after)
    session.add(entry)
    return entry
