"""Driving the pipeline in tests (the same driver as `make demo`)."""

from __future__ import annotations

from flask import Flask
from redis import Redis

from workers.drive import drain as _drain


def drain(app: Flask, redis_conn: Redis) -> None:
    _drain(app, redis_conn)
