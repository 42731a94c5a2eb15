"""Channels: outbox (kept in the database), SMTP and Twilio. Each send says what the provider answered.

Outcomes: `sent`; `transient` (nothing was accepted, retry later); `permanent` (retrying cannot help);
`ambiguous` (the provider may have accepted it: the message becomes `unknown`, never re-sent blindly).
"""
from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlparse

import requests
from urllib3.exceptions import NewConnectionError

from integration.db.database import Database
from integration.db.models import OutboxMessage

log = logging.getLogger(__name__)

SENT, TRANSIENT, PERMANENT, AMBIGUOUS = "sent", "transient", "permanent", "ambiguous"


@dataclass(frozen=True)
class Outgoing:
    ledger_id: int | None  # None for a test send from the template editor
    shop_id: int
    channel: str
    recipient: str
    subject: str | None = None
    html: str | None = None
    text: str | None = None
    sender_name: str | None = None
    reply_to: str | None = None
    sms_sender: str | None = None


@dataclass(frozen=True)
class SendResult:
    outcome: str
    detail: str
    provider_message_id: str | None = None


class Sender(Protocol):
    def send(self, message: Outgoing) -> SendResult: ...


class OutboxSender:
    """Keeps the message in the database: the default, and what the admin shows."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def send(self, message: Outgoing) -> SendResult:
        with self.database.session() as session:
            row = OutboxMessage(message_id=message.ledger_id, shop_id=message.shop_id, channel=message.channel,
                                recipient=message.recipient, subject=message.subject,
                                body_text=message.text, body_html=message.html)
            session.add(row)
            session.flush()
            return SendResult(SENT, "stored in the outbox", f"outbox-{row.id}")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: bool
    starttls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        parts = urlparse(url)
        tls = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        return cls(host=parts.hostname or "localhost", port=parts.port or (465 if tls else 25), tls=tls,
                   starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None)


class SmtpSender:
    """A real SMTP conversation. The connection is kept and reused between messages of one worker."""

    idle_check_after = 10.0

    def __init__(self, url: str, mail_from: str, timeout: float) -> None:
        self.settings = SmtpSettings.from_url(url)
        self.mail_from, self.timeout = mail_from, timeout
        self._conn: smtplib.SMTP | None = None
        self._last_used = 0.0
        self.connections_opened = 0

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        conn = (smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=context) if s.tls
                else smtplib.SMTP(s.host, s.port, timeout=self.timeout))
        conn.ehlo_or_helo_if_needed()
        if s.starttls:
            conn.starttls(context=context)
            conn.ehlo()
        if s.username:
            conn.login(s.username, s.password or "")
        self.connections_opened += 1
        return conn

    def _connection(self) -> smtplib.SMTP:
        if self._conn is not None and time.monotonic() - self._last_used > self.idle_check_after:
            try:
                if self._conn.noop()[0] != 250:
                    self.close()
            except (smtplib.SMTPException, OSError):
                self.close()
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
        self._conn = None

    def send(self, message: Outgoing) -> SendResult:
        mime = build_email(message, self.mail_from)
        try:
            conn = self._connection()
            envelope = _envelope(conn, self.mail_from, message.recipient)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return _smtp_failure(exc)
        if envelope is not None:
            return envelope
        try:
            code, reply = conn.data(mime.as_bytes(policy=mime.policy.clone(linesep="\r\n")))
        except smtplib.SMTPDataError as exc:
            _reset(conn)
            return _by_code(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return SendResult(AMBIGUOUS, f"connection lost after the message was transmitted: {exc!r}")
        self._last_used = time.monotonic()
        if code != 250:
            _reset(conn)
            return _by_code(code, reply)
        return SendResult(SENT, f"{code} {reply.decode(errors='replace')}", mime["Message-ID"])


def _envelope(conn: smtplib.SMTP, sender: str, recipient: str) -> SendResult | None:
    """MAIL FROM and RCPT TO; a refusal as a result, None when both were accepted."""
    for command, arg in ((conn.mail, sender), (conn.rcpt, recipient)):
        code, reply = command(arg)
        if code not in (250, 251):
            _reset(conn)
            return _by_code(code, reply)
    return None


def _reset(conn: smtplib.SMTP) -> None:
    try:
        conn.rset()
    except (smtplib.SMTPException, OSError):
        pass


def _by_code(code: int, reply: bytes | str) -> SendResult:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return SendResult(TRANSIENT if 400 <= code < 500 else PERMANENT, f"{code} {text}")


def _smtp_failure(exc: BaseException) -> SendResult:
    code = getattr(exc, "smtp_code", None)
    if isinstance(code, int) and code >= 500 and not isinstance(exc, smtplib.SMTPServerDisconnected):
        return SendResult(PERMANENT, f"{code} {getattr(exc, 'smtp_error', exc)!r}")
    return SendResult(TRANSIENT, f"could not hand the message over: {exc!r}")


def build_email(message: Outgoing, mail_from: str) -> EmailMessage:
    mime = EmailMessage()
    domain = mail_from.rsplit("@", 1)[-1]
    mime["From"] = formataddr((message.sender_name or "", mail_from))
    mime["To"] = message.recipient
    if message.reply_to:
        mime["Reply-To"] = message.reply_to
    mime["Subject"] = message.subject or ""
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = make_msgid(idstring=f"aftercare.{message.ledger_id}", domain=domain)
    mime["Auto-Submitted"] = "auto-generated"
    mime.set_content(message.text or "")
    if message.html:
        mime.add_alternative(message.html, subtype="html")
    return mime


#: Twilio error codes that no retry can fix (invalid or unreachable number, opted out, region blocked).
TWILIO_PERMANENT_CODES = frozenset({21211, 21214, 21217, 21407, 21408, 21421, 21606, 21610, 21612, 21614, 21635})


class TwilioSender:
    """Twilio's Messages API over HTTPS (base URL from TWILIO_API_BASE)."""

    def __init__(self, base: str, account_sid: str, auth_token: str, default_from: str | None,
                 timeout: float) -> None:
        self.url = f"{base}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.session = requests.Session()
        self.session.auth = (account_sid, auth_token)
        self.default_from, self.timeout = default_from, timeout

    def send(self, message: Outgoing) -> SendResult:
        sender = message.sms_sender or self.default_from or ""
        form = {"To": message.recipient, "Body": message.text or "",
                ("MessagingServiceSid" if sender.startswith("MG") else "From"): sender}
        try:
            response = self.session.post(self.url, data=form, timeout=(5, self.timeout))
        except requests.exceptions.RequestException as exc:
            return _twilio_failure(exc)
        return _twilio_answer(response)


def _twilio_failure(exc: requests.exceptions.RequestException) -> SendResult:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(reason, NewConnectionError):
        return SendResult(TRANSIENT, f"could not connect to Twilio: {type(exc).__name__}")
    return SendResult(AMBIGUOUS, f"no answer from Twilio after sending: {type(exc).__name__}")


def _twilio_answer(response: requests.Response) -> SendResult:
    body: dict[str, Any] = {}
    try:
        body = response.json()
    except ValueError:
        pass
    detail = f"{response.status_code} {body.get('code') or ''} {body.get('message') or body.get('status') or ''}"
    if response.status_code in (200, 201):
        return SendResult(SENT, detail.strip(), body.get("sid"))
    if response.status_code == 429 or response.status_code >= 500 or response.status_code in (401, 403):
        return SendResult(TRANSIENT, detail.strip())
    if body.get("code") in TWILIO_PERMANENT_CODES or 400 <= response.status_code < 500:
        return SendResult(PERMANENT, detail.strip())
    return SendResult(TRANSIENT, detail.strip())


_senders: dict[tuple[str, ...], Sender] = {}


def sender_for(channel: str, config: dict[str, Any], database: Database) -> Sender:
    """One sender per channel and backend per process (so SMTP connections are reused)."""
    backend = config["EMAIL_BACKEND"] if channel == "email" else config["SMS_BACKEND"]
    key = (channel, backend, database.url, str(config["SMTP_URL"]), config["TWILIO_API_BASE"])
    if key not in _senders:
        _senders[key] = BACKENDS[(channel, backend)](config, database)
    return _senders[key]


def _mail_from(config: dict[str, Any]) -> str:
    return config["MAIL_FROM"] or f"no-reply@{urlparse(config['APP_URL']).hostname or socket.getfqdn()}"


BACKENDS: dict[tuple[str, str], Any] = {
    ("email", "outbox"): lambda c, d: OutboxSender(d),
    ("sms", "outbox"): lambda c, d: OutboxSender(d),
    ("email", "smtp"): lambda c, d: SmtpSender(c["SMTP_URL"], _mail_from(c), c["SMTP_TIMEOUT"]),
    ("sms", "twilio"): lambda c, d: TwilioSender(c["TWILIO_API_BASE"], c["TWILIO_ACCOUNT_SID"],
                                                 c["TWILIO_AUTH_TOKEN"], c["TWILIO_FROM"], c["HTTP_TIMEOUT"]),
}


def reset_senders() -> None:
    """Forget cached senders (tests that change backends; a worker after a fork)."""
    for sender in _senders.values():
        if isinstance(sender, SmtpSender):
            sender.close()
    _senders.clear()
