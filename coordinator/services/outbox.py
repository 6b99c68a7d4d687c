"""Reading the email outbox for coordinators: messages by status/template, one message,
undeliverable addresses — each narrowed to the rounds the user may see. Shared by the API
(coordinator/api/emails.py) and the dashboard's email pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from coordinator import access
from coordinator.models import Message, UndeliverableAddress
from coordinator.services.errors import NotFound


def messages_query(user: Any, status: str | None = None, template: str | None = None,
                   round_id: int | None = None) -> Select[Any]:
    """Newest first. Messages of rounds the user may not see (and, for coordinators,
    messages tied to no round) are left out, as if they did not exist."""
    query = access.visible_rounds(select(Message).order_by(Message.id.desc()), user,
                                  Message.round_id)
    if status:
        query = query.where(Message.status == status)
    if template:
        query = query.where(Message.template == template)
    if round_id is not None:
        query = query.where(Message.round_id == round_id)
    return query


def visible_message(session: Session, user: Any, message_id: int) -> Message:
    message = session.get(Message, message_id)
    if message is None or not (access.is_admin(user)
                                or access.can_see_round(user, message.round_id, session)):
        raise NotFound("message")
    return message


def undeliverable_query(user: Any) -> Select[Any]:
    query = select(UndeliverableAddress).order_by(UndeliverableAddress.created_at.desc())
    if not access.is_admin(user):
        # A coordinator sees the addresses that bounced on their own rounds' messages.
        query = access.visible_rounds(
            query.join(Message, Message.id == UndeliverableAddress.message_id),
            user, Message.round_id)
    return query
