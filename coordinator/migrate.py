"""Alembic, driven from code so `flask db upgrade`, the Procfile and tests share one path."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

SCRIPT_LOCATION = "coordinator:migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # '%' must be doubled for ConfigParser interpolation (passwords may contain it).
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
