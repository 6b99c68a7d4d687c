"""Queueing emails: store a row, let the email worker deliver it.

Most messages are rendered when queued. The submission confirmation (``application_received``,
the busiest) is queued unrendered: the row holds the template, the recipient and the ids
(``context``), and the email worker renders and signs the edit link just before the first
send (``render_queued``), storing the result in the row so any retry sends the same bytes.
Rendering and signing had been a tenth of a submission's CPU.

The row is written in the caller's transaction, so a message exists exactly when the change
that caused it does; the unique dedup key keeps a retried job from queueing it twice. The
pending row is itself the outbox entry the email worker picks up: no extra event is written,
so a submission leaves exactly one event (its own) and one message.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from jinja2 import Environment, StrictUndefined
from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from coordinator.models import Application, Message, MessageAttachment
from coordinator.models._types import utcnow
from coordinator.services.links import external_url, make_token

# (filename, mimetype, bytes), e.g. ("invitation.ics", "text/calendar; method=REQUEST", b"...")
Attachment = tuple[str, str, bytes]


def _strict_env() -> Environment:
    """The app's Jinja environment, but a missing variable is an error, not an empty string."""
    env = current_app.extensions.get("email_jinja_env")
    if env is None:
        env = current_app.jinja_env.overlay(undefined=StrictUndefined)
        current_app.extensions["email_jinja_env"] = env
    return env


def render_email(template: str, language: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of ``templates/emails/<template>.<language>.{txt,html}``.

    The first line of the text template is ``Subject: ...``.
    """
    env = _strict_env()
    text = env.get_template(f"emails/{template}.{language}.txt").render(**context)
    html = env.get_template(f"emails/{template}.{language}.html").render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"emails/{template}.{language}.txt must start with 'Subject:'")
    return first.removeprefix("Subject:").strip(), body.lstrip("\n"), html


def pending_message_row(*, template: str, language: str, recipient: str,
                        context: dict[str, Any], dedup_key: str,
                        round_id: int | None) -> dict[str, Any]:
    """The columns of a message to be sent, rendered now."""
    subject, text, html = render_email(template, language, context)
    return {"dedup_key": dedup_key, "template": template, "language": language,
            "recipient": recipient, "subject": subject, "body_text": text, "body_html": html,
            "round_id": round_id, "context": {}, "status": "pending"}


def queue_message(
    session: Session,
    *,
    template: str,
    language: str,
    recipient: str,
    context: dict[str, Any],
    dedup_key: str,
    round_id: int | None,
    attachments: list[Attachment] | None = None,
) -> Message:
    """Store a pending message once per dedup key; return the existing one on a repeat."""
    existing = session.scalar(select(Message).where(Message.dedup_key == dedup_key))
    if existing is not None:
        return existing
    message = Message(**pending_message_row(
        template=template, language=language, recipient=recipient, context=context,
        dedup_key=dedup_key, round_id=round_id))
    session.add(message)
    session.flush()
    # Stored with the message, so a retry sends exactly the same bytes (an .ics regenerated
    # later could carry another SEQUENCE or DTSTAMP).
    for filename, mimetype, content in attachments or ():
        session.add(MessageAttachment(message_id=message.id, filename=filename,
                                      mimetype=mimetype, content=content))
    if attachments:
        session.flush()
    return message


_INSERT_MESSAGE = insert(Message.__table__)


def queue_first_message(connection: Connection, row: dict[str, Any]) -> None:
    """Store a ``pending_message_row`` whose dedup key names a row written in this
    transaction: no other message can hold that key yet, so there is nothing to look up
    first. One INSERT on the session's connection, no ORM object (the submission path)."""
    connection.execute(_INSERT_MESSAGE, {
        **row, "attempts": 0, "possible_duplicate": False, "created_at": utcnow()})


def _application_received(session: Session, ids: dict[str, Any]) -> dict[str, Any]:
    application = session.get(Application, ids["application_id"])
    if application is None:
        raise LookupError(f"application {ids['application_id']} no longer exists")
    token = make_token("application-edit", application.id)
    return {"name": application.name, "reason": ids["reason"],
            "edit_url": external_url(f"/application/{token}")}


# Templates queued unrendered, and how the worker builds their context from the stored ids.
RENDERED_BY_WORKER = {"application_received": _application_received}


def unrendered_message_row(*, template: str, language: str, recipient: str,
                           ids: dict[str, Any], dedup_key: str,
                           round_id: int | None) -> dict[str, Any]:
    """The columns of a message the email worker renders (ids only: no name, no link)."""
    assert template in RENDERED_BY_WORKER, template
    return {"dedup_key": dedup_key, "template": template, "language": language,
            "recipient": recipient, "subject": "", "body_text": "", "body_html": "",
            "round_id": round_id, "context": ids, "status": "pending"}


def render_queued(session: Session, message: Message) -> bool:
    """Render a message queued unrendered into its row; False when there was nothing to do.

    An erased message (its body replaced, its recipient made undeliverable) is left alone.
    Raises LookupError when what the message is about no longer exists.
    """
    build_context = RENDERED_BY_WORKER.get(message.template)
    if build_context is None or message.body_text or message.subject:
        return False
    context = build_context(session, message.context or {})
    message.subject, message.body_text, message.body_html = render_email(
        message.template, message.language, context)
    return True
