"""`flask privacy export|erase|retention|schedule`: subject requests and retention by hand."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from redis import Redis

from coordinator import db

privacy_cli = AppGroup("privacy", help="Personal data: export, erasure, retention.")


def _redis() -> Redis:
    return Redis.from_url(current_app.config["REDIS_URL"])


def _valid_email(email: str) -> str:
    address = email.strip().lower()
    if "@" not in address or len(address) > 254:
        click.echo("error: EMAIL must be an email address", err=True)
        sys.exit(2)
    return address


@privacy_cli.command("export")
@click.argument("email")
@click.option("--output", "-o", type=click.File("w"), default="-",
              help="Where to write the JSON (default: standard output).")
def export_command(email: str, output: click.utils.LazyFile) -> None:
    """Write everything stored about EMAIL as JSON."""
    from coordinator.services.audit import record_audit
    from coordinator.services.privacy import export_person, subject_hash

    address = _valid_email(email)
    data = export_person(db.session(), address, redis=_redis())
    record_audit(db.session(), None, "privacy.export", "person", 0, None,
                 {"subject": subject_hash(address), "via": "cli"})
    db.session().commit()
    json.dump(data, output, ensure_ascii=False, indent=2)
    output.write("\n")


@privacy_cli.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(email: str, yes: bool) -> None:
    """Erase EMAIL (and the names stored with it) from the database and Redis."""
    from coordinator.services.privacy import erase_person

    address = _valid_email(email)
    if not yes:
        click.confirm("Erase this person everywhere? This cannot be undone", abort=True)
    report = erase_person(db.session(), _redis(), address)
    db.session().commit()
    for key, value in report.as_dict().items():
        click.echo(f"{key}: {value}")


@privacy_cli.command("retention")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Override RETENTION_DAYS for this run.")
def retention_command(days: int | None) -> None:
    """Erase the personal data of rounds that ended more than RETENTION_DAYS ago, now."""
    from coordinator.models._types import utcnow
    from coordinator.services.privacy_retention import erase_expired_rounds

    retention_days = days or int(current_app.config["RETENTION_DAYS"])
    reports = erase_expired_rounds(db.session(), _redis(), utcnow(), retention_days)
    click.echo(f"erased {len(reports)} round(s): "
               f"{', '.join(str(r['round_id']) for r in reports) or '-'}")


@privacy_cli.command("schedule")
def schedule_command() -> None:
    """Book the daily retention job in RQ (idempotent; the Procfile's release step runs it)."""
    from workers.jobs_privacy import schedule_retention

    job_id, booked = schedule_retention(_redis())
    click.echo(f"{job_id}: {'booked' if booked else 'already booked'}")
