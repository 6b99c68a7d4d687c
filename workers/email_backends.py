"""Email backends behind one small interface: ``send(message, attachments) -> provider_id``.

``outbox`` keeps everything on this machine (the stored row is what a coordinator reads);
``sendgrid`` uses the real client. Failures are sorted into retryable (429, 5xx, timeouts,
connection errors) and permanent (other 4xx): the job decides what to do with each.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import time
import urllib.error
from collections.abc import Sequence
from typing import Any, Protocol

from python_http_client import exceptions as http_errors
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Attachment,
    Category,
    ContentId,
    CustomArg,
    Disposition,
    FileContent,
    FileName,
    FileType,
    Mail,
    MailSettings,
    SandBoxMode,
)

from coordinator.models import Message, MessageAttachment

DEFAULT_TIMEOUT_SECONDS = 10.0


class SendError(Exception):
    """Base of the backend failures."""


class RetryableSendError(SendError):
    """Try again later: ``retry_after`` seconds when the provider said so.

    ``maybe_sent`` is true when the request may have reached the provider (a read timeout):
    a retry can then deliver a second copy, which the job flags on the row.
    """

    def __init__(self, reason: str, retry_after: float | None = None,
                 maybe_sent: bool = False) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent


class PermanentSendError(SendError):
    """The provider refused the message; retrying would only be refused again."""


class EmailBackend(Protocol):
    def send(self, message: Message, attachments: Sequence[MessageAttachment]) -> str: ...


class OutboxBackend:
    """Nothing leaves the machine: the rendered row already is the readable copy."""

    def send(self, message: Message, attachments: Sequence[MessageAttachment]) -> str:
        return f"outbox-{message.id}"


class SendGridBackend:
    def __init__(self, api_key: str, host: str, sender: str, *,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS, sandbox: bool = False) -> None:
        self.client = SendGridAPIClient(api_key=api_key, host=host)
        # The library waits forever by default; a hung provider would hold a worker for good.
        self.client.client.timeout = timeout
        self.sender = sender
        self.sandbox = sandbox

    def build(self, message: Message, attachments: Sequence[MessageAttachment]) -> Mail:
        mail = Mail(from_email=self.sender, to_emails=message.recipient,
                    subject=message.subject, plain_text_content=message.body_text,
                    html_content=message.body_html or None)
        # Kept by the provider: only our row id and the template name, never personal data.
        mail.custom_arg = CustomArg("message_id", str(message.id))
        mail.category = Category(message.template)
        for item in attachments:
            mail.add_attachment(Attachment(
                FileContent(base64.b64encode(item.content).decode("ascii")),
                FileName(item.filename), FileType(item.mimetype), Disposition("attachment"),
                ContentId(f"att{item.id}")))
        if self.sandbox:
            settings = MailSettings()
            settings.sandbox_mode = SandBoxMode(True)
            mail.mail_settings = settings
        return mail

    def send(self, message: Message, attachments: Sequence[MessageAttachment]) -> str:
        payload = self.build(message, attachments).get()
        try:
            response = self.client.send(payload)
        except http_errors.HTTPError as exc:
            raise _classify(exc) from None
        except TimeoutError as exc:
            raise RetryableSendError(f"timeout: {exc}", maybe_sent=True) from None
        except urllib.error.URLError as exc:
            # A timeout while connecting never reached the provider; one while reading did.
            reason = exc.reason
            maybe = isinstance(reason, TimeoutError)
            raise RetryableSendError(f"connection: {reason}", maybe_sent=maybe) from None
        return _header(response.headers, "X-Message-Id") or f"sendgrid-{message.id}"


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name) if hasattr(headers, "get") else None
    return str(value) if value else None


def _classify(exc: http_errors.HTTPError) -> SendError:
    status = int(exc.status_code)
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body)
    reason = f"HTTP {status}: {body[:500]}"
    if status == 429 or status >= 500:
        return RetryableSendError(reason, retry_after=_provider_wait(exc.headers, status))
    return PermanentSendError(reason)


def _provider_wait(headers: Any, status: int) -> float | None:
    """Seconds the provider asked us to wait; None leaves the job to its own backoff.

    ``Retry-After`` (RFC 9110: seconds or an HTTP date) is the standard answer to 429 and
    503 and wins; SendGrid's own ``X-RateLimit-Reset`` (a Unix time) comes with 429 only.
    The job caps whatever is returned here.
    """
    if status in (429, 503):
        wait = _retry_after_seconds(_header(headers, "Retry-After"))
        if wait is not None:
            return wait
    if status == 429:
        return _seconds_until(_header(headers, "X-RateLimit-Reset"))
    return None


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # neither form: fall back to the backoff rather than guess
    if when.tzinfo is None:  # an HTTP date is always GMT; "-0000" parses as naive
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _seconds_until(reset: str | None) -> float | None:
    """X-RateLimit-Reset is a Unix time in seconds."""
    if not reset:
        return None
    try:
        return max(0.0, float(reset) - time.time())
    except ValueError:
        return None


def backend_from_config(config: Any) -> EmailBackend:
    if config.get("EMAIL_BACKEND", "outbox") == "sendgrid":
        return SendGridBackend(
            config["SENDGRID_API_KEY"], config["SENDGRID_API_HOST"], config["EMAIL_FROM"],
            timeout=float(config.get("SENDGRID_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)),
            sandbox=bool(config.get("SENDGRID_SANDBOX", False)))
    return OutboxBackend()
