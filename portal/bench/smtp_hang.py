"""Sending a message while the SMTP relay hangs: the request only writes an outbox row, so its
time must not depend on the relay. The relay here accepts connections and never answers; an
outbox worker runs meanwhile in a thread, stuck on it, as it would be in production."""

from __future__ import annotations

import socket
import threading
import time

import sqlalchemy as sa
from flask import Flask

from portal.bench.pages import Measure, _csrf, sign_in
from portal.extensions import db
from portal.messaging.models import Conversation

P95_TARGET_MS = 100.0


class HangingSMTPServer:
    """Accepts TCP connections on loopback and never sends a byte (no greeting)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopping.is_set():
            try:
                connection, _ = self.sock.accept()
            except OSError:
                continue
            self.held.append(connection)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()
        for connection in self.held:
            connection.close()
        self.sock.close()


def measure_send_while_smtp_hangs(
    app: Flask, member: tuple[str, str], *, repeat: int = 40, warmup: int = 3
) -> tuple[Measure, int]:
    """p50/p95 of a member's reply (POST) while the relay hangs; also how many connections the
    worker opened to it (it did try)."""
    from portal.outbox.worker import send_due_emails

    server = HangingSMTPServer()
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=server.port,
        MAIL_USE_TLS=False,
        MESSAGE_RATE_LIMIT="100000 per minute",
    )
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            with app.app_context():
                send_due_emails()
            stop.wait(0.5)

    try:
        client = sign_in(app, *member)
        with app.app_context():
            from portal.auth.models import User
            from portal.cases.models import Case

            conversation_id = db.session.scalar(
                sa.select(Conversation.id)
                .join(Case, Case.id == Conversation.case_id)
                .join(User, User.id == Case.member_id)
                .where(User.email == member[0])
                .order_by(Conversation.last_message_at)
                .limit(1)
            )
        page = client.get(f"/messages/{conversation_id}?page=1")
        token = _csrf(page.data)
        thread = threading.Thread(target=worker, daemon=True)
        thread.start()
        measure = Measure(
            "Send a message (SMTP hanging)", "member", f"/messages/{conversation_id}/reply"
        )
        for i in range(warmup + repeat):
            started = time.perf_counter()
            response = client.post(measure.url, data={"body": f"Benchmark message {i}.", **token})
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 302:
                raise RuntimeError(f"sending a message answered {response.status_code}")
            if i >= warmup:
                measure.times_ms.append(elapsed)
        measure.status = 302
    finally:
        stop.set()
        server.stop()
    return measure, len(server.held)
