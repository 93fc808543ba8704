"""The portal under gunicorn, driven by wrk on loopback, next to two reference apps.

Each app is served by gunicorn with the production settings of the README (`--workers 4`, sync
workers; PORTAL_ENV=production for the portal), one after the other, on 127.0.0.1. wrk runs for a
bounded time with a few connections. Signed-in pages get the session cookie of a real sign-in
(password, then the account's TOTP code: the synthetic staff use the demo's published secret).
Each gunicorn worker's peak memory is read from /proc/<pid>/status (VmHWM) before it stops.
gunicorn and wrk are started with arguments of our own, never through a shell.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess  # nosec B404
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pyotp

from config import BASE_DIR

MEMORY_TARGET_MB = 150
RATIO_TARGET = 0.5


@dataclass
class Run:
    label: str
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: str
    worker_peak_mb: list[float]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving `app` on loopback, started and stopped by us."""

    def __init__(self, app: str, env: dict[str, str], workers: int):
        self.port = free_port()
        self.process = subprocess.Popen(  # nosec B603
            [
                sys.executable,
                "-m",
                "gunicorn",
                app,
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],  # fmt: skip
            cwd=BASE_DIR,
            env={**os.environ, **env},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn {app} stopped at start") from None
                time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError(f"gunicorn {app} did not start within 30 s")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def worker_peak_mb(self) -> list[float]:
        peaks = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            found = re.search(r"VmHWM:\s+(\d+) kB", status)
            if found:
                peaks.append(int(found.group(1)) / 1024)
        return peaks

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class RedisServer:
    """A throwaway redis-server on loopback for the rate-limit counters: production runs several
    workers on Redis (gunicorn.conf.py refuses `memory://` with several workers there)."""

    def __init__(self):
        if shutil.which("redis-server") is None:
            raise RuntimeError(
                "redis-server is not installed (apt-get install redis-server), "
                "or set RATELIMIT_STORAGE_URI"
            )
        self.port = free_port()
        self.process = subprocess.Popen(  # nosec B603
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("redis-server did not start within 10 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class Browser:
    """Just enough of a browser to sign in over plain HTTP: the production cookie is `Secure`,
    which a cookie jar would not send to http://127.0.0.1, so cookies are kept by hand."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie_header()}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                self.cookies[key.strip()] = val.strip()
        connection.close()
        return response.status, response.getheader("Location") or "", data

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def csrf(self, html: bytes) -> dict:
        found = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html)
        return {"csrf_token": found.group(1).decode()} if found else {}

    def sign_in(self, email: str, password: str, totp_secret: str | None) -> str:
        _, _, page = self.request("GET", "/login")
        status, location, _ = self.request(
            "POST", "/login", {"email": email, "password": password, **self.csrf(page)}
        )
        if status != 302:
            raise RuntimeError(f"could not sign in as {email} ({status})")
        if "/login/code" in location:
            if totp_secret is None:
                raise RuntimeError(f"{email} needs a second factor")
            _, _, form = self.request("GET", "/login/code")
            code = pyotp.TOTP(totp_secret).now()
            status, location, _ = self.request(
                "POST", "/login/code", {"code": code, **self.csrf(form)}
            )
            if status != 302 or "/login" in location:
                raise RuntimeError(f"the second step of {email}'s sign-in failed")
        return self.cookie_header()


def wrk(url: str, *, duration: int, connections: int, cookie: str | None = None) -> dict:
    command = [
        shutil.which("wrk") or "wrk", "--latency",
        "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
    ]  # fmt: skip
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(  # nosec B603
        [*command, url], capture_output=True, text=True, check=True, timeout=duration + 60
    ).stdout
    return parse_wrk(output)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(output: str) -> dict:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    percentiles = {
        int(p): _ms(v, u)
        for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    }
    errors = re.search(r"Socket errors:.*", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    problems = [m.group(0) for m in (errors, non_2xx) if m]
    return {
        "rps": float(rate.group(1)) if rate else 0.0,
        "p50": percentiles.get(50, 0.0),
        "p90": percentiles.get(90, 0.0),
        "p99": percentiles.get(99, 0.0),
        "errors": "; ".join(problems) or "none",
    }


def run_load_test(
    database_url: str,
    *,
    member: tuple[str, str],
    staff: tuple[str, str],
    totp_secret: str,
    conversation_id: int,
    duration: int = 10,
    connections: int = 8,
    workers: int = 4,
    echo=print,
) -> list[Run]:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    redis = None if os.environ.get("RATELIMIT_STORAGE_URI") else RedisServer()
    env = {
        "PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": redis.url if redis else os.environ["RATELIMIT_STORAGE_URI"],
    }
    try:
        return _run_all(
            env, member, staff, totp_secret, conversation_id, duration, connections, workers, echo
        )
    finally:
        if redis:
            redis.stop()


def _run_all(
    env, member, staff, totp_secret, conversation_id, duration, connections, workers, echo
) -> list[Run]:
    runs: list[Run] = []

    def measure(label, server, path, cookie=None):
        echo(f"  {label}: wrk {duration} s, {connections} connections …")
        # Every worker booted and warmed up (imports, templates, connections) before timing.
        wrk(
            f"http://127.0.0.1:{server.port}{path}",
            duration=3,
            connections=connections,
            cookie=cookie,
        )
        result = wrk(
            f"http://127.0.0.1:{server.port}{path}",
            duration=duration,
            connections=connections,
            cookie=cookie,
        )
        run = Run(
            label,
            result["rps"],
            result["p50"],
            result["p90"],
            result["p99"],
            result["errors"],
            server.worker_peak_mb(),
        )
        runs.append(run)
        echo(f"    {run.requests_per_second:.0f} req/s, p50 {run.p50_ms:.1f} ms")

    for label, app in (
        ("Flask hello world", "portal.bench.apps:hello_app()"),
        ("One-query page", "portal.bench.apps:one_query_app()"),
    ):
        server = Server(app, env, workers)
        try:
            measure(label, server, "/")
        finally:
            server.stop()

    server = Server("wsgi:app", env, workers)
    try:
        member_cookie = Browser(server.port).sign_in(*member, None)
        staff_cookie = Browser(server.port).sign_in(*staff, totp_secret)
        measure("Member dashboard", server, "/dashboard", member_cookie)
        measure("Conversation (latest page)", server, f"/messages/{conversation_id}", member_cookie)
        measure("Staff inbox", server, "/messages/inbox", staff_cookie)
    finally:
        server.stop()
    return runs


def load_table(runs: list[Run]) -> str:
    reference = next((r for r in runs if r.label == "One-query page"), None)
    lines = [
        "| app / page | requests/s | ratio to one-query page | p50 ms | p90 ms | p99 ms "
        "| errors | peak RSS per worker (MB) | ≥ ½ of one-query | < 150 MB |",
        "|---|--:|--:|--:|--:|--:|---|--:|:-:|:-:|",
    ]
    for run in runs:
        ratio = run.requests_per_second / reference.requests_per_second if reference else 0
        portal_page = run.label not in ("Flask hello world", "One-query page")
        peak = max(run.worker_peak_mb, default=0)
        lines.append(
            f"| {run.label} | {run.requests_per_second:.0f} | {ratio:.2f} "
            f"| {run.p50_ms:.1f} | {run.p90_ms:.1f} | {run.p99_ms:.1f} | {run.errors} "
            f"| {', '.join(f'{mb:.0f}' for mb in run.worker_peak_mb)} "
            f"| {('pass' if ratio >= RATIO_TARGET else 'FAIL') if portal_page else '–'} "
            f"| {('pass' if peak < MEMORY_TARGET_MB else 'FAIL') if portal_page else '–'} |"
        )
    return "\n".join(lines)
