"""Personal data in Redis: find and mask it in every key, whatever its type.

Jobs carry ids only, but a job's exception text, meta or return value, a rate limiter's key
or anything a future module stores may still name someone. The whole database of the
configured Redis is scanned (SCAN, never KEYS) and each value read according to its type;
RQ compresses some fields with zlib, so those are opened, masked and compressed again.
Masks keep the byte length, so pickled or length-prefixed values stay readable.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from redis import Redis
from rq.exceptions import DeserializationError, NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from coordinator.services.privacy_scrub import Needles, mask_bytes

SCAN_COUNT = 500


def _open(data: bytes) -> tuple[bytes, bool]:
    try:
        return zlib.decompress(data), True
    except zlib.error:
        return data, False


def readable(data: bytes) -> bytes:
    """A value as its text would be searched: decompressed when RQ compressed it."""
    return _open(data)[0]


def _masked(data: bytes, pattern: re.Pattern[str]) -> bytes:
    plain, compressed = _open(data)
    new = mask_bytes(plain, pattern)
    if new == plain:
        return data
    return zlib.compress(new) if compressed else new


def _has(data: bytes, pattern: re.Pattern[str]) -> bool:
    return _masked(data, pattern) != data


def scrub_redis(redis: Redis, needles: Needles) -> int:
    """Mask ``needles`` in every key and value of ``redis``; returns how many were changed.

    A key whose name holds a needle (a limiter keyed by address) is deleted: its name cannot
    be masked in place. A stream entry cannot be edited, so a matching entry is deleted.
    """
    pattern = needles.pattern()
    if pattern is None:
        return 0
    changed = 0
    for key in redis.scan_iter(count=SCAN_COUNT):
        if _has(key, pattern):
            changed += redis.delete(key)
            continue
        changed += _scrub_key(redis, key, redis.type(key), pattern)
    return changed


def _scrub_key(redis: Redis, key: bytes, kind: bytes, pattern: re.Pattern[str]) -> int:
    changed = 0
    if kind == b"string":
        value = redis.get(key)
        if value is not None and _has(value, pattern):
            redis.set(key, _masked(value, pattern), keepttl=True)
            changed += 1
    elif kind == b"hash":
        for field, value in list(redis.hscan_iter(key, count=SCAN_COUNT)):
            if _has(field, pattern):
                redis.hdel(key, field)
                redis.hset(key, _masked(field, pattern), _masked(value, pattern))
                changed += 1
            elif _has(value, pattern):
                redis.hset(key, field, _masked(value, pattern))
                changed += 1
    elif kind == b"list":
        for index, value in enumerate(redis.lrange(key, 0, -1)):
            if _has(value, pattern):
                redis.lset(key, index, _masked(value, pattern))
                changed += 1
    elif kind == b"set":
        for member in list(redis.sscan_iter(key, count=SCAN_COUNT)):
            if _has(member, pattern):
                redis.srem(key, member)
                redis.sadd(key, _masked(member, pattern))
                changed += 1
    elif kind == b"zset":
        for member, score in list(redis.zscan_iter(key, count=SCAN_COUNT)):
            if _has(member, pattern):
                redis.zrem(key, member)
                redis.zadd(key, {_masked(member, pattern): score})
                changed += 1
    elif kind == b"stream":
        for entry_id, fields in redis.xrange(key):
            if any(_has(k, pattern) or _has(v, pattern) for k, v in fields.items()):
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
