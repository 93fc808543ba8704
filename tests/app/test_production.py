"""The documented production set-up works: gunicorn wsgi:app on PostgreSQL, and it refuses to start
without a SECRET_KEY."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, REDIS_URL, free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")

pytestmark = pytest.mark.skipif("postgresql" not in BACKENDS, reason="needs PostgreSQL")


def _environment(database_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "MAIL_"))}
    env.update(PORTAL_ENV="production", DATABASE_URL=database_url, **extra)
    return env


def test_gunicorn_serves_the_portal_on_postgresql(postgres_url, redis_prefix):
    port = free_port()
    env = _environment(
        postgres_url,
        SECRET_KEY="k" * 64,
        RATELIMIT_STORAGE_URI=REDIS_URL,  # several workers count rate limits together
        RATELIMIT_KEY_PREFIX=redis_prefix,
    )
    server = subprocess.Popen(
        [GUNICORN, "wsgi:app", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 30
        while True:
            try:
                response = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.time() < deadline, "gunicorn did not answer"
                time.sleep(0.3)
        assert response.status == 200
        assert "Strict-Transport-Security" in response.headers
        cookie = response.headers.get("Set-Cookie")
        assert cookie is None or ("__Host-msp_session=" in cookie and "Secure" in cookie)
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_gunicorn_refuses_to_start_without_a_secret_key(postgres_url):
    env = _environment(postgres_url)
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [GUNICORN, "wsgi:app", "--bind", f"127.0.0.1:{free_port()}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stdout + result.stderr
