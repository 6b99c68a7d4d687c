"""`flask db ...`, `flask users ...` and `flask demo ...` commands."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from coordinator import db, migrate

db_cli = AppGroup("db", help="Database migrations (Alembic).")
users_cli = AppGroup("users", help="Coordinator accounts.")
demo_cli = AppGroup("demo", help="Demo data.")


@db_cli.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: every head)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (default: one step)."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@users_cli.command("create-coordinator")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Give the admin role.")
@click.option("--password", envvar="COORDINATOR_PASSWORD", default=None,
              help="Read from COORDINATOR_PASSWORD, else prompted (never echoed).")
def create_coordinator(email: str, admin: bool, password: str | None) -> None:
    """Create a coordinator account for EMAIL."""
    from coordinator.auth import create_user

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    session = db.session()
    try:
        user = create_user(session, email, password, "admin" if admin else "coordinator")
        session.commit()
    except ValueError as exc:
        session.rollback()
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except IntegrityError:
        session.rollback()
        click.echo(f"error: an account for {email} already exists", err=True)
        sys.exit(2)
    click.echo(f"created {user.role} #{user.id} {user.email}")


@demo_cli.command("seed")
@click.option("--applications", default=120, show_default=True)
@click.option("--hosts", default=60, show_default=True)
@click.option("--seed", "random_seed", default=37, show_default=True)
def demo_seed(applications: int, hosts: int, random_seed: int) -> None:
    """Store a realistic demo round (hosts and applications over Denmark, with rankings)."""
    from coordinator.demo import seed_demo_round

    summary = seed_demo_round(db.session(), applications=applications, hosts=hosts,
                              random_seed=random_seed)
    db.session().commit()
    for line in summary.lines():
        click.echo(line)


@demo_cli.command("run")
@click.option("--seed", "random_seed", default=37, show_default=True)
def demo_run(random_seed: int) -> None:
    """Seed a demo round (120 applications, 60 hosts) and report what was stored."""
    from coordinator.demo import run_demo

    for line in run_demo(random_seed=random_seed):
        click.echo(line)


def init_app(app: Flask) -> None:
    from coordinator.cli_emails import emails_cli
    from coordinator.cli_events import events_cli
    from coordinator.cli_privacy import privacy_cli

    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(emails_cli)
    app.cli.add_command(events_cli)
    app.cli.add_command(privacy_cli)
