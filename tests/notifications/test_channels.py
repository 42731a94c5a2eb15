"""Channels against real peers: an aiosmtpd server and a local HTTP server that answers like Twilio."""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from notifications import channels
from notifications.channels import AMBIGUOUS, PERMANENT, SENT, TRANSIENT, Outgoing, SmtpSender, TwilioSender
from tests.e2e.stack import SmtpSink, free_port
from tests.json_server import JsonServer


def email(n: int = 1, to: str = "shopper@example.com") -> Outgoing:
    return Outgoing(ledger_id=n, shop_id=1, channel="email", recipient=to, subject=f"Order #{n}",
                    html="<p>Hello</p>", text="Hello", sender_name="Acme Outfitters", reply_to="help@acme.example")


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink()
    server.controller.start()
    yield server
    server.controller.stop()


def test_smtp_sends_multipart_and_reuses_one_connection(sink: SmtpSink) -> None:
    sender = SmtpSender(f"smtp://127.0.0.1:{sink.port}", "orders@acme.example", timeout=5)
    results = [sender.send(email(n)) for n in range(5)]
    assert [r.outcome for r in results] == [SENT] * 5
    assert sender.connections_opened == 1
    first = sink.accepted[0]
    assert first["From"] == "Acme Outfitters <orders@acme.example>" and first["Reply-To"] == "help@acme.example"
    assert first.get_content_type() == "multipart/alternative"
    assert results[0].provider_message_id == first["Message-ID"]
    sender.close()


def test_smtp_reconnects_after_the_server_went_away(sink: SmtpSink) -> None:
    sender = SmtpSender(f"smtp://127.0.0.1:{sink.port}", "orders@acme.example", timeout=5)
    sender.idle_check_after = 0
    assert sender.send(email(1)).outcome == SENT
    sink.restart()
    assert sender.send(email(2)).outcome == SENT
    assert sender.connections_opened == 2 and len(sink.accepted) == 2


def test_smtp_4xx_is_transient_and_5xx_recipient_is_permanent(sink: SmtpSink) -> None:
    sender = SmtpSender(f"smtp://127.0.0.1:{sink.port}", "orders@acme.example", timeout=5)
    sink.refuse_next = 1
    refused = sender.send(email(1))
    assert refused.outcome == TRANSIENT and refused.detail.startswith("451")

    sink.reject_recipients.add("nobody@example.com")
    bounced = sender.send(email(2, to="nobody@example.com"))
    assert bounced.outcome == PERMANENT and bounced.detail.startswith("550")
    assert sink.accepted == []


def test_smtp_connection_refused_is_transient() -> None:
    sender = SmtpSender(f"smtp://127.0.0.1:{free_port()}", "orders@acme.example", timeout=2)
    result = sender.send(email())
    assert result.outcome == TRANSIENT


def test_smtp_connection_lost_after_data_is_ambiguous(sink: SmtpSink) -> None:
    sink.vanish_on_data = True
    sender = SmtpSender(f"smtp://127.0.0.1:{sink.port}", "orders@acme.example", timeout=5)
    assert sender.send(email()).outcome == AMBIGUOUS


class FakeTwilio:
    """Answers with a configurable status and body, optionally after a delay."""

    def __init__(self) -> None:
        self.status, self.body, self.delay = 201, {"sid": "SM123", "status": "queued"}, 0.0
        self.forms: list[str] = []
        self.http = JsonServer(self._answer)
        self.base = self.http.base

    def _answer(self, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        self.forms.append(body.decode())
        time.sleep(self.delay)
        return self.status, self.body


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    yield fake
    fake.http.close()


def sms() -> Outgoing:
    return Outgoing(ledger_id=7, shop_id=1, channel="sms", recipient="+14155552671", text="Acme: shipped")


def test_twilio_created_is_sent_with_its_sid(fake_twilio: FakeTwilio) -> None:
    sender = TwilioSender(fake_twilio.base, "ACx", "token", "+15017122661", timeout=5)
    result = sender.send(sms())
    assert (result.outcome, result.provider_message_id) == (SENT, "SM123")
    assert "To=%2B14155552671" in fake_twilio.forms[0] and "From=%2B15017122661" in fake_twilio.forms[0]


def test_twilio_messaging_service_sender(fake_twilio: FakeTwilio) -> None:
    TwilioSender(fake_twilio.base, "ACx", "token", "MG0123", timeout=5).send(sms())
    assert "MessagingServiceSid=MG0123" in fake_twilio.forms[0]


@pytest.mark.parametrize("status,body,outcome", [
    (400, {"code": 21211, "message": "Invalid 'To' Phone Number"}, PERMANENT),
    (400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"}, PERMANENT),
    (429, {"code": 20429, "message": "Too Many Requests"}, TRANSIENT),
    (500, {"message": "Internal Server Error"}, TRANSIENT),
    (503, {}, TRANSIENT),
])
def test_twilio_answers_are_classified(fake_twilio: FakeTwilio, status: int, body: dict[str, Any],
                                       outcome: str) -> None:
    fake_twilio.status, fake_twilio.body = status, body
    result = TwilioSender(fake_twilio.base, "ACx", "token", "+15017122661", timeout=5).send(sms())
    assert result.outcome == outcome and str(status) in result.detail


def test_twilio_unreachable_is_transient_and_silence_after_sending_is_ambiguous(fake_twilio: FakeTwilio) -> None:
    closed = TwilioSender(f"http://127.0.0.1:{free_port()}", "ACx", "token", "+1", timeout=2).send(sms())
    assert closed.outcome == TRANSIENT
    fake_twilio.delay = 2
    silent = TwilioSender(fake_twilio.base, "ACx", "token", "+1", timeout=0.5).send(sms())
    assert silent.outcome == AMBIGUOUS


def test_senders_are_chosen_by_backend(tmp_path: Any) -> None:
    from integration.db.database import Database

    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    config = {"EMAIL_BACKEND": "smtp", "SMS_BACKEND": "twilio", "SMTP_URL": "smtp://127.0.0.1:2525",
              "MAIL_FROM": None, "APP_URL": "https://aftercare.example", "SMTP_TIMEOUT": 5,
              "TWILIO_API_BASE": "https://api.twilio.com", "TWILIO_ACCOUNT_SID": "ACx", "TWILIO_AUTH_TOKEN": "t",
              "TWILIO_FROM": "+1", "HTTP_TIMEOUT": 5}
    channels.reset_senders()
    smtp = channels.sender_for("email", config, database)
    assert isinstance(smtp, SmtpSender) and smtp.mail_from == "no-reply@aftercare.example"
    assert channels.sender_for("email", config, database) is smtp
    assert isinstance(channels.sender_for("sms", config, database), TwilioSender)
    channels.reset_senders()


def _self_signed(tmp_path: Any) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, written as PEM files."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_smtp_over_tls_verifies_the_certificate(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    import ssl

    from aiosmtpd.controller import Controller

    cert, key = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    sink = SmtpSink()
    options: dict[str, Any] = (
        {"tls_context": server_tls, "require_starttls": True} if mode == "starttls" else {"ssl_context": server_tls})
    sink.controller = Controller(sink, hostname="127.0.0.1", port=sink.port, **options)
    sink.controller.start()
    try:
        url = (f"smtp://user:pa%40ss@127.0.0.1:{sink.port}?starttls=1" if mode == "starttls"
               else f"smtps://127.0.0.1:{sink.port}")
        untrusted = SmtpSender(url.replace("user:pa%40ss@", ""), "orders@acme.example", timeout=5)
        assert untrusted.send(email(1)).outcome == TRANSIENT  # certificate not trusted: nothing sent
        monkeypatch.setenv("SSL_CERT_FILE", cert)
        trusted = SmtpSender(url.replace("user:pa%40ss@", ""), "orders@acme.example", timeout=5)
        assert trusted.send(email(2)).outcome == SENT
        assert [m["Subject"] for m in sink.accepted] == ["Order #2"]
    finally:
        sink.controller.stop()


def test_smtp_url_carries_credentials_and_options() -> None:
    from notifications.channels import SmtpSettings

    settings = SmtpSettings.from_url("smtp://us%40er:pa%3Ass@mail.example:587?starttls=1")
    assert (settings.username, settings.password, settings.port, settings.starttls, settings.tls) == (
        "us@er", "pa:ss", 587, True, False)
    assert SmtpSettings.from_url("smtps://mail.example").port == 465
