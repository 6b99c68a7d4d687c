"""Where `flask demo run` plays its round: a fresh SQLite file and a Redis database of its own.

A running `make up` (its worker and relay on the configured Redis database and database) or a
test session (which claims a Redis database number) must neither take the demo's jobs
nor hand it theirs. So the demo claims an empty Redis database number other than the configured
one (with the test fixture's claim keys, so the two never share a number), and stores its
round in its own SQLite file that no relay but its own reads.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

from redis import Redis

from coordinator import migrate

# The claim protocol of the test fixture (tests/conftest.py): one key per database number,
# kept in database 0 (a claimed database gets flushed, a key inside it would vanish).
CLAIM_KEY = "coordinator-test-claim:{number}"
CLAIM_TTL_S = 3600


def _with_db(url: str, number: int) -> str:
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("db="))
    return urlunsplit((parts.scheme, parts.netloc, f"/{number}", query, parts.fragment))


def _db_of(url: str) -> int:
    parts = urlsplit(url)
    if parts.path.strip("/"):
        return int(parts.path.strip("/"))
    return int(parse_qs(parts.query).get("db", ["0"])[0])


@contextmanager
def demo_redis_url(configured_url: str) -> Iterator[str]:
    """An empty Redis database number, claimed for the demo and emptied afterwards."""
    token = secrets.token_hex(8)
    admin = Redis.from_url(_with_db(configured_url, 0))
    for number in range(15, 0, -1):
        if number == _db_of(configured_url):
            continue
        client = Redis.from_url(_with_db(configured_url, number))
        key = CLAIM_KEY.format(number=number)
        if client.dbsize() == 0 and admin.set(key, token, nx=True, ex=CLAIM_TTL_S):
            break
        client.close()
    else:
        admin.close()
        raise RuntimeError("no empty, unclaimed Redis database (1-15) is free for the demo")
    try:
        yield _with_db(configured_url, number)
    finally:
        client.flushdb()
        client.close()
        if admin.get(key) == token.encode():
            admin.delete(key)
        admin.close()


def fresh_demo_database(instance_path: Path) -> str:
    """A new, migrated SQLite file for the demo (the previous demo's file is replaced)."""
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / "demo.sqlite3"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    return url
