"""The Redis client class the worker runs with: `rq worker --connection-class
workers.redis_client.RetryingRedis ...` (Procfile).

`Redis.from_url`, which the rq CLI calls, builds connections that never retry, so a Redis
restart at the wrong moment (the worker writing its state right after a job) raised out of
RQ's work loop and the worker quit for good, leaving queued mail unsent until someone
restarted it. With this policy each connect and command waits through an outage of about
20 s (a restart takes well under one), then fails as before.
"""

from __future__ import annotations

from typing import Any

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

# Pauses of 0.1, 0.2, 0.4, ... capped at 2 s: ~23 s in all over 15 retries.
RETRIES, BACKOFF_BASE_S, BACKOFF_CAP_S = 15, 0.1, 2.0


def retry_policy() -> Retry:
    return Retry(ExponentialBackoff(cap=BACKOFF_CAP_S, base=BACKOFF_BASE_S), RETRIES)


class RetryingRedis(Redis):
    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RetryingRedis:
        kwargs.setdefault("retry", retry_policy())
        return super().from_url(url, **kwargs)
