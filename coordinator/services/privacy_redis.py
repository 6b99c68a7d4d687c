"""Personal data in Redis: find and mask it in every key, whatever its type.

Jobs carry ids only, but a job's exception text, meta or return value, a rate limiter's key
or anything a future module stores may still name someone. The whole database of the
configured Redis is scanned (SCAN, never KEYS) and each value read according to its type;
RQ compresses some fields with zlib, so those are opened, masked and compressed again.
Masks keep the byte length, so pickled or length-prefixed values stay readable.
"""

from __future__ import annotations

import zlib
from typing import Any

from redis import Redis
from rq.exceptions import DeserializationError, NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from coordinator.services.privacy_scrub import Matcher, Needles, mask_bytes

SCAN_COUNT = 500


def _open(data: bytes) -> tuple[bytes, bool]:
    try:
        return zlib.decompress(data), True
    except zlib.error:
        return data, False


def readable(data: bytes) -> bytes:
    """A value as its text would be searched: decompressed when RQ compressed it."""
    return _open(data)[0]


def _masked(data: bytes, matcher: Matcher) -> bytes:
    plain, compressed = _open(data)
    new = mask_bytes(plain, matcher)
    if new == plain:
        return data
    return zlib.compress(new) if compressed else new


def _has(data: bytes, matcher: Matcher) -> bool:
    return _masked(data, matcher) != data


def scrub_redis(redis: Redis, needles: Needles) -> int:
    """Mask ``needles`` in every key and value of ``redis``; returns how many were changed.

    A key whose name holds a needle (a limiter keyed by address) is deleted: its name cannot
    be masked in place. A stream entry cannot be edited, so a matching entry is deleted.
    Keys are read a SCAN batch at a time in two pipelined round trips (types, then values):
    one round trip per key made a scan of 5,000 job hashes take a minute on a busy machine.
    Writes go one by one, and only for what matched.
    """
    matcher = needles.matcher
    if matcher is None:
        return 0
    changed = 0
    batch: list[bytes] = []
    for key in redis.scan_iter(count=SCAN_COUNT):
        batch.append(key)
        if len(batch) >= SCAN_COUNT:
            changed += _scrub_batch(redis, batch, matcher)
            batch = []
    if batch:
        changed += _scrub_batch(redis, batch, matcher)
    return changed


READERS = {
    b"string": lambda pipe, key: pipe.get(key),
    b"hash": lambda pipe, key: pipe.hgetall(key),
    b"list": lambda pipe, key: pipe.lrange(key, 0, -1),
    b"set": lambda pipe, key: pipe.smembers(key),
    b"zset": lambda pipe, key: pipe.zrange(key, 0, -1, withscores=True),
    b"stream": lambda pipe, key: pipe.xrange(key),
}


def _scrub_batch(redis: Redis, keys: list[bytes], matcher: Matcher) -> int:
    changed = 0
    doomed = [key for key in keys if _has(key, matcher)]
    if doomed:
        changed += redis.delete(*doomed)
    gone = set(doomed)
    keys = [key for key in keys if key not in gone]
    pipe = redis.pipeline(transaction=False)
    for key in keys:
        pipe.type(key)
    kinds = pipe.execute()
    readable_keys = [(key, kind) for key, kind in zip(keys, kinds, strict=True)
                     if kind in READERS]
    for key, kind in readable_keys:
        READERS[kind](pipe, key)
    for (key, kind), value in zip(readable_keys, pipe.execute(), strict=True):
        if value:
            changed += _scrub_value(redis, key, kind, value, matcher)
    return changed


def _scrub_value(redis: Redis, key: bytes, kind: bytes, value: Any, matcher: Matcher) -> int:
    """Write back the masked parts of one key's ``value`` (as read by ``READERS``)."""
    changed = 0
    if kind == b"string":
        if _has(value, matcher):
            redis.set(key, _masked(value, matcher), keepttl=True)
            changed += 1
    elif kind == b"hash":
        for field, item in value.items():
            if _has(field, matcher):
                redis.hdel(key, field)
                redis.hset(key, _masked(field, matcher), _masked(item, matcher))
                changed += 1
            elif _has(item, matcher):
                redis.hset(key, field, _masked(item, matcher))
                changed += 1
    elif kind == b"list":
        for index, item in enumerate(value):
            if _has(item, matcher):
                redis.lset(key, index, _masked(item, matcher))
                changed += 1
    elif kind == b"set":
        for member in value:
            if _has(member, matcher):
                redis.srem(key, member)
                redis.sadd(key, _masked(member, matcher))
                changed += 1
    elif kind == b"zset":
        for member, score in value:
            if _has(member, matcher):
                redis.zrem(key, member)
                redis.zadd(key, {_masked(member, matcher): score})
                changed += 1
    elif kind == b"stream":
        for entry_id, fields in value:
            if any(_has(k, matcher) or _has(v, matcher) for k, v in fields.items()):
                changed += redis.xdel(key, entry_id)
    return changed


def jobs_by_id(redis: Redis, job_ids: list[str]) -> list[dict[str, Any]]:
    """What RQ still holds about these jobs (status, times, return value), JSON-ready."""
    out = []
    for job_id in job_ids:
        try:
            job = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
        except (NoSuchJobError, DeserializationError, ValueError, TypeError):
            continue
        try:
            result = job.return_value()
        except (DeserializationError, ValueError, TypeError):
            result = None
        out.append({
            "id": job.id, "function": job.func_name, "status": getattr(job.get_status(), "value", None),
            "enqueued_at": job.enqueued_at.isoformat() if job.enqueued_at else None,
            "ended_at": job.ended_at.isoformat() if job.ended_at else None,
            "result": result if isinstance(result, str | int | float | dict | list) else None,
        })
    return out
