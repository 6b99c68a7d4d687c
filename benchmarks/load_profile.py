"""In-process CPU of one application submission: the Flask app called as WSGI, no gunicorn.

Creates a fresh PostgreSQL database and an open round as ``load_submissions.py`` does, then
POSTs ``--requests`` new applications straight into the app's WSGI callable (what a gunicorn
sync worker calls) and prints the process CPU per request (so it excludes gunicorn's parsing
and PostgreSQL's own CPU, but includes psycopg's). ``--profile`` prints the cProfile top.

    .venv/bin/python benchmarks/load_profile.py --requests 2000 --repeat 3
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import secrets
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load_submissions import (  # noqa: E402
    PG_ADMIN,
    application_body,
    claim_redis,
    clean_up,
    create_database,
    seed,
)
from coordinator import create_app, migrate  # noqa: E402


def submit(app: Any, path: str, body: bytes) -> str:
    """One POST through the WSGI callable; the status line."""
    status: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "5077", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)), "HTTP_HOST": "127.0.0.1:5077",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    chunks = app(environ, lambda line, _headers, _exc=None: status.append(line))
    b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return status[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="submissions per repeat")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print the cProfile top 40")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN)
    args = parser.parse_args()

    name, db_url = create_database(args.pg_admin_url, "load_profile")
    redis_url = claim_redis(args.redis)
    instance = Path(tempfile.mkdtemp(prefix="load-profile-"))
    try:
        migrate.upgrade(db_url)
        config = {"DATABASE_URL": db_url, "REDIS_URL": redis_url,
                  "SECRET_KEY": secrets.token_urlsafe(32), "INSTANCE_PATH": str(instance),
                  "RATELIMIT_ENABLED": False, "EMAIL_BACKEND": "outbox"}
        round_id, host_ids = seed(config)
        app = create_app(config)
        path = f"/api/public/rounds/{round_id}/applications"
        tag = uuid.uuid4().hex[:6]
        for number in range(50):  # warm-up: connection, compiled statements
            assert submit(app, path, application_body(f"{tag}w", number, host_ids)).startswith("201")
        for repeat in range(args.repeat):
            bodies = [application_body(f"{tag}{repeat}", number, host_ids)
                      for number in range(args.requests)]
            profiler = cProfile.Profile(time.process_time) if args.profile else None
            started = time.process_time()
            if profiler:
                profiler.enable()
            for body in bodies:
                status = submit(app, path, body)
                assert status.startswith("201"), status
            if profiler:
                profiler.disable()
            cpu_ms = (time.process_time() - started) * 1000 / args.requests
            print(f"repeat {repeat}: {cpu_ms:.3f} CPU ms/request ({args.requests} submissions)")
            if profiler:
                stats = pstats.Stats(profiler)
                stats.sort_stats("tottime").print_stats(40)
                stats.sort_stats("cumulative").print_stats(60)
        app.extensions["db_engine"].dispose()
    finally:
        clean_up(args.pg_admin_url, name, redis_url, instance)


if __name__ == "__main__":
    main()
