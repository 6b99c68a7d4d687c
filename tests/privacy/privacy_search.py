"""Searching a whole database and a whole Redis for strings, independently of the code under
test: the tables are reflected from the database itself (not taken from our models), every
non-binary column is cast to text in SQL, binary columns are read and decoded, and every
Redis key is read according to its type (zlib-compressed RQ fields opened)."""

from __future__ import annotations

import json
import zlib

from redis import Redis
from sqlalchemy import Engine, LargeBinary, MetaData, Text, cast, func, select


def spellings(needles: list[str]) -> list[str]:
    """A string as a database or a serializer may have stored it (lower-cased, \\u-escaped)."""
    out = set()
    for needle in needles:
        out.update({needle.lower(), json.dumps(needle)[1:-1].lower()})
    return sorted(out)


def database_hits(engine: Engine, needles: list[str]) -> list[str]:
    """``table.column`` for every cell that holds one of ``needles``."""
    meta = MetaData()
    meta.reflect(engine)
    hits = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, LargeBinary) or "BYTEA" in str(column.type).upper() \
                        or "BLOB" in str(column.type).upper():
                    for (value,) in conn.execute(select(column)):
                        text = bytes(value or b"").decode("utf-8", "replace").lower()
                        hits += [f"{table.name}.{column.name}" for n in spellings(needles)
                                 if n in text]
                    continue
                as_text = func.lower(cast(column, Text))
                for needle in spellings(needles):
                    count = conn.execute(select(func.count()).select_from(table).where(
                        as_text.contains(needle, autoescape=True))).scalar()
                    if count:
                        hits.append(f"{table.name}.{column.name} ({count}x {needle!r})")
    return hits


def _texts(redis: Redis, key: bytes) -> list[bytes]:
    kind = redis.type(key)
    values: list[bytes] = [key]
    if kind == b"string":
        values.append(redis.get(key) or b"")
    elif kind == b"hash":
        for field, value in redis.hgetall(key).items():
            values += [field, value]
    elif kind == b"list":
        values += redis.lrange(key, 0, -1)
    elif kind == b"set":
        values += list(redis.smembers(key))
    elif kind == b"zset":
        values += [member for member, _ in redis.zrange(key, 0, -1, withscores=True)]
    elif kind == b"stream":
        for _id, fields in redis.xrange(key):
            for field, value in fields.items():
                values += [field, value]
    opened = []
    for value in values:
        try:
            opened.append(zlib.decompress(value))
        except zlib.error:
            opened.append(value)
    return opened


def redis_hits(redis: Redis, needles: list[str]) -> list[str]:
    hits = []
    for key in redis.scan_iter(count=500):
        for value in _texts(redis, key):
            text = value.decode("utf-8", "replace").lower()
            hits += [f"{key.decode()} ({needle!r})" for needle in spellings(needles)
                     if needle in text]
    return hits
