"""The running stack for end-to-end tests: gunicorn, RQ worker and scheduler processes, a real SMTP
server (aiosmtpd) and a local HTTP server that answers like Twilio's Messages API."""
from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import requests
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from tests.json_server import JsonServer
from tests.conftest import OLD_SECRET, SECRET, SHOP_DOMAIN, encode, shopify_headers

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
UNREACHABLE = "+12025550123"  # the stub answers Twilio's error 21211 for this number
TWILIO_SID, TWILIO_TOKEN = "AC00000000000000000000000000000000", "twilio-test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class SmtpSink:
    """A real SMTP server: records what it accepts; can refuse with 451 or run a hook on DATA."""

    def __init__(self) -> None:
        self.accepted: list[EmailMessage] = []
        self.refuse_next = 0
        self.reject_recipients: set[str] = set()
        self.vanish_on_data = False
        self.on_data: Callable[[], None] | None = None
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def restart(self) -> None:
        """Stop and start again on the same port: every open connection is dropped."""
        self.controller.stop()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          options: Any) -> str:
        if address in self.reject_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.vanish_on_data:
            server.transport.close()
            return "250 2.0.0 Ok"
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.accepted.append(message)  # type: ignore[arg-type]
        if self.on_data is not None:
            hook, self.on_data = self.on_data, None
            hook()
        return "250 2.0.0 Ok: queued"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.accepted if m["To"] == address]


class TwilioStub:
    """Answers POST /2010-04-01/Accounts/{sid}/Messages.json like Twilio (201 + sid, or an error)."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self.http = JsonServer(lambda path, headers, body: self.answer(
            path, headers.get("Authorization", ""), {k: v[0] for k, v in parse_qs(body.decode()).items()}))
        self.base = self.http.base

    def answer(self, path: str, auth: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        import base64

        expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if path != f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json" or auth != expected:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        if form.get("To") == UNREACHABLE:
            return 400, {"code": 21211, "message": f"The 'To' number {form['To']} is not a valid phone number.",
                         "status": 400}
        self.received.append(form)
        return 201, {"sid": f"SM{uuid.uuid4().hex}", "status": "queued", "to": form.get("To")}

    def close(self) -> None:
        self.http.close()


class Stack:
    """The app as an operator runs it, configured only through environment variables."""

    def __init__(self, database_url: str, redis_url: str, instance: Path, smtp: SmtpSink,
                 twilio: TwilioStub) -> None:
        self.database_url, self.redis_url = database_url, redis_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "FLASK_APP": "wsgi.py", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                    "AFTERCARE_INSTANCE": str(instance), "SHOPIFY_API_SECRET": SECRET,
                    "SHOPIFY_API_SECRET_PREVIOUS": OLD_SECRET, "SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
                    "MAIL_FROM": "orders@acme.example", "TWILIO_ACCOUNT_SID": TWILIO_SID,
                    "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "TWILIO_FROM": "+15017122661",
                    "TWILIO_API_BASE": twilio.base, "SEND_BACKOFF_BASE": "1", "PARENT_WAIT_BASE": "1",
                    "LEASE_SECONDS": "5", "SWEEP_GRACE_SECONDS": "1", "SCHEDULER_INTERVAL": "1",
                    "LOG_LEVEL": "WARNING", "APP_URL": "http://aftercare.test"}
        self.processes: dict[str, list[subprocess.Popen[bytes]]] = {"web": [], "worker": [], "scheduler": []}
        self.engine = create_engine(database_url)

    def _spawn(self, kind: str, args: list[str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, start_new_session=True)
        self.processes[kind].append(process)
        return process

    def start_web(self) -> None:
        self._spawn("web", [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
                            "--worker-class", "gthread", "--threads", "4", "--log-level", "warning", "wsgi:app"])
        wait_for(self._healthy, 30, "the web server to answer /healthz")

    def _healthy(self) -> bool:
        try:
            return requests.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def start_worker(self) -> subprocess.Popen[bytes]:
        return self._spawn("worker", [str(BIN / "flask"), "worker"])

    def start_scheduler(self) -> subprocess.Popen[bytes]:
        return self._spawn("scheduler", [str(BIN / "flask"), "scheduler"])

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the process and everything it started (RQ's scheduler child)."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)

    def stop(self, kind: str) -> None:
        for process in self.processes[kind]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes[kind]:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill(process)
        self.processes[kind] = []

    def close(self) -> None:
        for kind in ("scheduler", "worker", "web"):
            self.stop(kind)
        self.engine.dispose()

    def add_shop(self) -> int:
        result = subprocess.run([str(BIN / "flask"), "shop", "add", "shopify", SHOP_DOMAIN, "--access-token",
                                 "shpat_e2e", "--name", "Acme Outfitters"], cwd=ROOT, env=self.env,
                                check=True, capture_output=True, text=True)
        shop_id = int(result.stdout.strip().splitlines()[-1])
        self.sql("UPDATE shops SET quiet_hours_start = NULL, quiet_hours_end = NULL, "
                 "contact_email = 'help@acme.example' WHERE id = :id", id=shop_id)
        return shop_id

    def post(self, topic: str, payload: Any, event_id: str | None = None, **kw: Any) -> requests.Response:
        body = encode(payload)
        return requests.post(f"{self.url}/webhooks/shopify", data=body,
                             headers=shopify_headers(topic, body, event_id, **kw), timeout=10)

    def sql(self, statement: str, **params: Any) -> list[Any]:
        with self.engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result) if result.returns_rows else []

    def message_rows(self) -> list[Any]:
        return self.sql("SELECT id, message_type, channel, status, reason, attempts FROM messages ORDER BY id")
