"""`flask emails list|show|undeliverable|send-pending`: the outbox, readable from a terminal."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from coordinator import db
from coordinator.models import Message, MessageAttachment, UndeliverableAddress

emails_cli = AppGroup("emails", help="Stored email messages (the local outbox).")


@emails_cli.command("list")
@click.option("--status", default=None, help="Only messages with this status.")
@click.option("--limit", default=50, show_default=True)
def list_emails(status: str | None, limit: int) -> None:
    """The newest messages: id, status, attempts, template, recipient, subject."""
    query = select(Message).order_by(Message.id.desc()).limit(limit)
    if status:
        query = query.where(Message.status == status)
    for m in db.session().scalars(query):
        flag = " (possible duplicate)" if m.possible_duplicate else ""
        click.echo(f"{m.id}\t{m.status}{flag}\t{m.attempts}\t{m.template}.{m.language}\t"
                   f"{m.recipient}\t{m.subject}")


@emails_cli.command("show")
@click.argument("message_id", type=int)
def show_email(message_id: int) -> None:
    """One message as it was (or will be) sent: headers, text part, attachments."""
    session = db.session()
    m = session.get(Message, message_id)
    if m is None:
        raise click.ClickException(f"no message {message_id}")
    click.echo(f"To: {m.recipient}\nSubject: {m.subject}\nTemplate: {m.template}.{m.language}")
    click.echo(f"Status: {m.status} (attempts {m.attempts}, provider id {m.provider_id})")
    if m.last_error:
        click.echo(f"Last error: {m.last_error}")
    for a in session.scalars(select(MessageAttachment).where(
            MessageAttachment.message_id == m.id)):
        click.echo(f"Attachment: {a.filename} ({a.mimetype}, {len(a.content)} bytes)")
    click.echo("")
    click.echo(m.body_text)


@emails_cli.command("undeliverable")
def list_undeliverable() -> None:
    """Addresses the provider bounced or dropped: reach these people another way."""
    for u in db.session().scalars(select(UndeliverableAddress).order_by(UndeliverableAddress.id)):
        click.echo(f"{u.email}\t{u.event}\t{u.reason or ''}")


@emails_cli.command("send-pending")
@click.option("--batch-size", default=100, show_default=True)
def send_pending_now(batch_size: int) -> None:
    """Send every due message now, in this process (no worker needed)."""
    from workers.jobs_email import send_pending

    click.echo(f"handled {send_pending(batch_size)} message(s)")
