"""`flask events relay [--once]` and `flask events sweep`: the outbox relay as a command."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from redis import Redis

from coordinator import db

events_cli = AppGroup("events", help="The event outbox relay.")


def _redis() -> Redis:
    return Redis.from_url(current_app.config["REDIS_URL"])


@events_cli.command("relay")
@click.option("--once", is_flag=True, help="One pass, then exit.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between passes.")
def relay_command(once: bool, interval: float) -> None:
    from workers.relay import run_relay, sweep

    redis = _redis()
    # Work lost with a Redis that restarted empty goes out again before anything new.
    sweep(db.session(), redis)
    run_relay(db.session(), redis, once=once, interval_s=interval)


@events_cli.command("sweep")
def sweep_command() -> None:
    from workers.relay import sweep

    click.echo(f"re-queued {sweep(db.session(), _redis())} events whose job was lost")
