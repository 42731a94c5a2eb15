"""The factory, configuration, health, CLI and scheduler wiring."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from integration import workers
from integration.db.models import Shop
from integration.runtime import config, crypto


def test_production_refuses_to_start_without_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SECRET_KEY", "ENCRYPTION_KEYS", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(config.ConfigError, match="SECRET_KEY, ENCRYPTION_KEYS, REDIS_URL"):
        config.build(tmp_path, None)


def test_development_generates_secrets_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ENCRYPTION_KEYS", raising=False)
    first, again = config.build(tmp_path, None), config.build(tmp_path, None)
    assert first["SECRET_KEY"] == again["SECRET_KEY"] and len(first["SECRET_KEY"]) > 40
    assert first["DATABASE_URL"] == f"sqlite:///{tmp_path / 'aftercare.db'}"
    assert first["EMAIL_BACKEND"] == "outbox" and first["SMS_BACKEND"] == "outbox"


def test_setting_service_variables_switches_backends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_URL", "smtp://mail.example:587?starttls=1")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "ACx")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "t")
    built = config.build(tmp_path, None)
    assert (built["EMAIL_BACKEND"], built["SMS_BACKEND"]) == ("smtp", "twilio")


def test_access_token_is_stored_encrypted(app: Any, shop_id: int) -> None:
    with app.extensions["aftercare.db"].session() as session:
        stored = session.get(Shop, shop_id).access_token_encrypted
    assert "shpat_test" not in stored
    assert crypto.decrypt(app.config["ENCRYPTION_KEYS"], stored) == "shpat_test"


def test_key_rotation_decrypts_with_an_older_key() -> None:
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = crypto.encrypt(old, "secret")
    assert crypto.decrypt(f"{new},{old}", token) == "secret"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(new, token)


def test_healthz_reports_redis_down(app: Any) -> None:
    assert app.test_client().get("/healthz").status_code == 200
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions["aftercare.redis"] = None
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["redis"].startswith("error")


def test_db_upgrade_is_safe_to_run_again(app: Any) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0


def test_a_second_scheduler_enqueues_nothing_new(app: Any) -> None:
    with app.app_context():
        first = workers.enqueue_periodic(now=1_000_000.0)
        second = workers.enqueue_periodic(now=1_000_000.5)
    assert sorted(first) == ["delays-1111", "help-metafield-46", "reconcile-1666", "retention-277", "shop-facts-11", "sweep-66666"] and second == []


def test_feedback_link_records_the_answer(app: Any, shop_id: int) -> None:
    from integration.db.models import Message
    from notifications.jobs import feedback_links

    with app.extensions["aftercare.db"].session() as session:
        message = Message(shop_id=shop_id, order_key="1", message_type="delivered", channel="email")
        session.add(message)
        session.flush()
        message_id = message.id
    with app.app_context():
        links = feedback_links(message)
    client = app.test_client()
    path = links["bad_url"].removeprefix(app.config["APP_URL"])
    assert client.get(path).status_code == 200
    assert client.get(path.replace(path.split("/")[2], "forged")).status_code == 404
    with app.extensions["aftercare.db"].session() as session:
        assert session.get(Message, message_id).feedback == "bad"
