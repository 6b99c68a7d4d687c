"""A forking RQ worker SIGKILLed after claiming a row: the row is reclaimed after its lease."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from email_fake_sendgrid import RecordingSendGrid
from email_helpers import enqueue, queued_message, row
from flask import Flask
from redis import Redis

from workers.jobs_email import send_pending

ROOT = Path(__file__).resolve().parents[2]
WORKER = """
import json, sys
from redis import Redis
from rq import Queue, Worker
from rq.serializers import JSONSerializer as J
from coordinator import create_app
from workers.context import set_app
config = json.loads(sys.argv[1])
set_app(create_app(config))
conn = Redis.from_url(config["REDIS_URL"])
Worker([Queue("email", connection=conn, serializer=J)], connection=conn,
       serializer=J).work(burst=True)
"""


def test_killed_worker_row_is_sent_exactly_once_afterwards(
        job_app: Flask, redis_conn: Redis, sendgrid_server: RecordingSendGrid,
        app_config: dict[str, Any]) -> None:
    sendgrid_server.script.append(("stall", 20))
    message_id = queued_message(job_app)
    enqueue(redis_conn, message_id)
    config = {k: v for k, v in app_config.items() if isinstance(v, str | int | float | bool)}
    worker = subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(config)], cwd=ROOT,
                              start_new_session=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 20
        while not sendgrid_server.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sendgrid_server.requests, "the worker never reached the provider"
        assert row(job_app, message_id).status == "sending"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its work horse
        worker.wait(10)
    assert send_pending() == 0  # still inside the lease: nobody else may send it
    time.sleep(1.1)
    assert send_pending() == 1
    sent = row(job_app, message_id)
    assert (sent.status, sent.attempts, sent.possible_duplicate) == ("sent", 2, True)
    assert sendgrid_server.delivered_ids() == [str(message_id)]
    assert send_pending() == 0
