"""A local stand-in for SendGrid's ``POST /v3/mail/send`` that records and checks requests.

Each request takes the next scripted answer ("202", "400", "500", ("429", reset_epoch),
("retry-after", status, header_value), ("hang", seconds), ("stall", seconds)); with none left
it answers 202. A request answered
202, or one that hangs (the provider accepted it, then the client gave up), counts as
delivered; a "stall" never gets accepted (the sender died before the provider took it).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def check_v3_payload(body: dict[str, Any]) -> list[str]:
    """What is wrong with a v3 mail/send body (empty when it is well formed)."""
    problems = []
    personalizations = body.get("personalizations")
    if not (isinstance(personalizations, list) and personalizations
            and all(p.get("to") and all("@" in t.get("email", "") for t in p["to"])
                    for p in personalizations)):
        problems.append("personalizations[].to[].email")
    if "@" not in (body.get("from") or {}).get("email", ""):
        problems.append("from.email")
    if not body.get("subject"):
        problems.append("subject")
    content = body.get("content") or []
    if not content or content[0].get("type") != "text/plain":
        problems.append("content must start with text/plain")
    for key, value in (body.get("custom_args") or {}).items():
        if not isinstance(value, str):
            problems.append(f"custom_args.{key} must be a string")
    if not all(isinstance(c, str) for c in body.get("categories") or []):
        problems.append("categories")
    for attachment in body.get("attachments") or []:
        try:
            base64.b64decode(attachment["content"], validate=True)
        except (KeyError, ValueError):
            problems.append("attachments[].content base64")
        if not attachment.get("filename"):
            problems.append("attachments[].filename")
    return problems


class RecordingSendGrid:
    def __init__(self) -> None:
        self.script: deque[Any] = deque()
        self.requests: list[dict[str, Any]] = []
        self.delivered: list[dict[str, Any]] = []
        self.problems: list[str] = []
        # (arrival time, message id, scripted answer) of every request, in order.
        self.answered: list[tuple[float, str, Any]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> RecordingSendGrid:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def delivered_ids(self) -> list[str]:
        with self.lock:
            return [d["custom_args"]["message_id"] for d in self.delivered]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                problems = check_v3_payload(body)
                if self.path != "/v3/mail/send":
                    problems.append(f"path {self.path}")
                if not self.headers.get("Authorization", "").startswith("Bearer "):
                    problems.append("Authorization")
                with owner.lock:
                    owner.requests.append(body)
                    owner.problems.extend(problems)
                    answer = owner.script.popleft() if owner.script else "202"
                    owner.answered.append((time.time(), body.get("custom_args", {}).get(
                        "message_id", ""), answer))
                    if answer == "202" or (isinstance(answer, tuple) and answer[0] == "hang"):
                        owner.delivered.append(body)
                if isinstance(answer, tuple) and answer[0] in ("hang", "stall"):
                    time.sleep(answer[1])
                    answer = "202"
                if isinstance(answer, tuple) and answer[0] == "429":
                    self._answer(429, {"errors": [{"message": "too many"}]},
                                 {"X-RateLimit-Reset": str(int(answer[1]))})
                elif isinstance(answer, tuple) and answer[0] == "retry-after":
                    self._answer(int(answer[1]), {"errors": [{"message": "come back later"}]},
                                 {"Retry-After": str(answer[2])})
                elif answer == "202":
                    n = len(owner.requests)
                    self._answer(202, None, {"X-Message-Id": f"sg{n:06d}"})
                else:
                    self._answer(int(answer), {"errors": [{"message": f"scripted {answer}"}]})

            def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                try:
                    self.send_response(status)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

        return Handler
