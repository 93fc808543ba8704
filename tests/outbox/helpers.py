"""Plain helpers for the outbox tests (fixtures are in conftest.py)."""

from __future__ import annotations

import socket
import threading

from portal.extensions import db


class HangingSMTPServer:
    """A TCP server that accepts connections and then never answers: not even the 220 banner, or,
    with `greeting`, nothing after it."""

    def __init__(self, greeting: bytes | None = None):
        self.greeting = greeting
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(connection)
            if self.greeting:
                connection.sendall(self.greeting)

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        for connection in self.connections:
            connection.close()
        self.sock.close()


def run_in_other_context(app, function, *args, **kwargs):
    """Run `function` in a new thread with its own app context, hence its own database session and
    connection, as another worker process would. Returns its result or re-raises its exception."""
    outcome: dict = {}

    def target():
        with app.app_context():
            try:
                outcome["result"] = function(*args, **kwargs)
            except BaseException as error:  # noqa: BLE001 - handed back to the caller
                outcome["error"] = error
            finally:
                db.session.remove()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the other worker did not finish"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def run_at_once(app, function, times: int) -> list:
    """Run `function` `times` times at the same moment, each in a thread of its own with its own
    app context (as that many worker processes would), released together by a barrier. Returns
    the results in the order they finished; re-raises the first error."""
    barrier = threading.Barrier(times)
    results: list = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def released():
        barrier.wait(timeout=30)
        return function()

    def target():
        try:
            result = run_in_other_context(app, released)
        except BaseException as error:  # noqa: BLE001 - handed back to the caller
            with lock:
                errors.append(error)
            return
        with lock:
            results.append(result)

    threads = [threading.Thread(target=target) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    if errors:
        raise errors[0]
    return results


def parts(message) -> tuple[str, str]:
    """(text, html) bodies of a received email."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None, "the email should have a text and an HTML part"
    return text.get_content(), html.get_content()
