"""Every main page of each role, measured in-process: queries per request and server time.

Each page is requested through the Flask test client by a user signed in through the real forms
(password, then the TOTP code for staff and admins), warmed up, then timed `repeat` times. The
statements are counted with SQLAlchemy's `before_cursor_execute` event, as the tests do.
"""

from __future__ import annotations

import re
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pyotp
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from portal.auth.models import User
from portal.cases.models import Case
from portal.extensions import db
from portal.messaging.models import Conversation, Message
from portal.serving import garbage_collector_tuned

# Who is measured: the demo's accounts (`flask demo`), or the synthetic dataset's showcase.
DEMO_ACCOUNTS = {
    "member": ("member2@example.org", "msp-demo-2026"),
    "staff": ("advisor@example.org", "msp-demo-2026"),
    "admin": ("admin@example.org", "msp-demo-2026"),
}


def bench_accounts() -> dict[str, tuple[str, str]]:
    from portal.bench.dataset import ADMIN_EMAIL, BENCH_PASSWORD, MEMBER_EMAIL, STAFF_EMAIL

    return {
        "member": (MEMBER_EMAIL, BENCH_PASSWORD),
        "staff": (STAFF_EMAIL, BENCH_PASSWORD),
        "admin": (ADMIN_EMAIL, BENCH_PASSWORD),
    }


@dataclass
class Targets:
    case_id: int
    conversation_id: int
    month_from: str
    month_to: str


@dataclass(frozen=True)
class Page:
    label: str
    role: str
    url: Callable[[Targets], str]
    export: bool = False
    config: dict = field(default_factory=dict)  # settings while this page is measured


PAGES = [
    Page("Member dashboard", "member", lambda t: "/dashboard"),
    Page("Assessment", "member", lambda t: "/assessment"),
    Page("Plan", "member", lambda t: "/plan"),
    Page("Activities", "member", lambda t: "/activities"),
    Page("Conversation list", "member", lambda t: "/messages/"),
    Page("Largest conversation (member)", "member", lambda t: f"/messages/{t.conversation_id}"),
    Page("Caseload", "staff", lambda t: "/cases/"),
    Page("Inbox", "staff", lambda t: "/messages/inbox"),
    Page("Verification queue", "staff", lambda t: "/verification"),
    Page("Case timeline", "staff", lambda t: f"/cases/{t.case_id}/timeline"),
    Page("Largest conversation (staff)", "staff", lambda t: f"/messages/{t.conversation_id}"),
    Page("Program report", "admin", lambda t: "/admin/report"),
    # What the first view in REPORT_MAX_AGE_MINUTES costs (portal/reports/snapshots.py).
    Page(
        "Program report (computed afresh)",
        "admin",
        lambda t: "/admin/report",
        config={"REPORT_MAX_AGE_MINUTES": 0},
    ),
    Page("Audit trail", "admin", lambda t: "/admin/audit"),
    Page(
        "Audit CSV (last 30 days)",
        "admin",
        lambda t: f"/admin/audit.csv?date_from={t.month_from}&date_to={t.month_to}",
        export=True,
    ),
    Page("Report CSV", "admin", lambda t: "/admin/report.csv", export=True),
]


@dataclass
class Measure:
    label: str
    role: str
    url: str
    status: int = 0
    queries: list[int] = field(default_factory=list)
    times_ms: list[float] = field(default_factory=list)
    size_bytes: int = 0
    slowest: tuple[float, str] = (0.0, "")  # the slowest statement seen, in ms
    # Exports: when the first piece of the body was out, and the most memory Python held while
    # one whole export was streamed (traced separately: tracing slows the timed requests).
    first_piece_ms: list[float] = field(default_factory=list)
    peak_kib: int | None = None

    @property
    def query_count(self) -> int:
        return max(self.queries) if self.queries else 0

    @property
    def steady(self) -> bool:
        return len(set(self.queries)) <= 1

    def percentile(self, p: float, times: list[float] | None = None) -> float:
        times = self.times_ms if times is None else times
        if not times:
            return 0.0
        if len(times) == 1:
            return times[0]
        return statistics.quantiles(times, n=100, method="inclusive")[round(p) - 1]


def _csrf(html: bytes) -> dict:
    found = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html)
    return {"csrf_token": found.group(1).decode()} if found else {}


def sign_in(app: Flask, email: str, password: str) -> FlaskClient:
    """A test client signed in through the real forms; a TOTP code from the account's secret when
    a second step is asked (a code is good once per 30 s: wait for the next if it was spent)."""
    from portal.twofactor.models import TotpCredential

    client = app.test_client()
    page = client.get("/login")
    response = client.post(
        "/login", data={"email": email, "password": password, **_csrf(page.data)}
    )
    if response.status_code != 302:
        raise RuntimeError(f"could not sign in as {email} ({response.status_code})")
    if "/login/code" not in response.headers.get("Location", ""):
        return client
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        secret = db.session.get(TotpCredential, user.id).secret
    for _attempt in range(3):
        form = client.get("/login/code")
        code = pyotp.TOTP(secret).now()
        response = client.post("/login/code", data={"code": code, **_csrf(form.data)})
        if response.status_code == 302 and "/login" not in response.headers["Location"]:
            return client
        time.sleep(31 - time.time() % 30)  # the code of this step was used: take the next one
        page = client.get("/login")
        client.post("/login", data={"email": email, "password": password, **_csrf(page.data)})
    raise RuntimeError(f"the second step of {email}'s sign-in failed")


def find_targets(app: Flask, member_email: str) -> Targets:
    with app.app_context():
        member = db.session.scalar(sa.select(User).where(User.email == member_email))
        if member is None:
            raise RuntimeError(f"{member_email} is not in this database: load it first")
        case_id = db.session.scalar(
            sa.select(Case.id).where(Case.member_id == member.id).order_by(Case.id.desc())
        )
        conversation_id = db.session.scalar(
            sa.select(Message.conversation_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.case_id == case_id)
            .group_by(Message.conversation_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        )
    today = clock.now().date()
    return Targets(
        case_id=case_id,
        conversation_id=conversation_id,
        month_from=(today - timedelta(days=30)).isoformat(),
        month_to=today.isoformat(),
    )


@contextmanager
def counting_statements(app: Flask) -> Iterator[dict]:
    """A counter the engine's events fill while the block runs: `n`, the statements of the
    request under way (reset it before each), and `slowest`, (ms, statement). The garbage
    collector is tuned as each gunicorn worker tunes it once it has loaded the app
    (portal/serving.py)."""
    counter = {"n": 0, "started": 0.0, "slowest": (0.0, "")}

    def count(*_args):
        counter["n"] += 1
        counter["started"] = time.perf_counter()

    def timed(_conn, _cursor, statement, *_args):
        elapsed = (time.perf_counter() - counter["started"]) * 1000
        if elapsed > counter["slowest"][0]:
            counter["slowest"] = (elapsed, " ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    sa.event.listen(engine, "after_cursor_execute", timed)
    try:
        with garbage_collector_tuned():
            yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
        sa.event.remove(engine, "after_cursor_execute", timed)


def measure_pages(
    app: Flask,
    accounts: dict[str, tuple[str, str]],
    *,
    repeat: int = 20,
    warmup: int = 2,
    budget_seconds: float = 20.0,
    pages: list[Page] = PAGES,
    echo: Callable[[str], object] = print,
) -> list[Measure]:
    targets = find_targets(app, accounts["member"][0])
    clients = {role: sign_in(app, *credentials) for role, credentials in accounts.items()}
    results = []
    with counting_statements(app) as counter:
        for page in pages:
            saved = {name: app.config[name] for name in page.config}
            app.config.update(page.config)
            try:
                measure = time_page(
                    clients[page.role],
                    page,
                    page.url(targets),
                    counter,
                    repeat=repeat,
                    warmup=warmup,
                    budget_seconds=budget_seconds,
                )
            finally:
                app.config.update(saved)
            echo(
                f"  {page.label:<32} {measure.query_count:>3} queries  "
                f"p50 {measure.percentile(50):7.1f} ms  p95 {measure.percentile(95):7.1f} ms"
            )
            results.append(measure)
    return results


def time_page(
    client: FlaskClient,
    page: Page,
    url: str,
    counter: dict,
    *,
    repeat: int,
    warmup: int,
    budget_seconds: float,
) -> Measure:
    """`page` requested `warmup` times, then timed `repeat` times (fewer when it is slow); the
    statements of each request are counted through `counter` (`counting_statements`)."""
    measure = Measure(page.label, page.role, url)
    counter["slowest"] = (0.0, "")
    spent = 0.0
    for i in range(warmup + repeat):
        if spent > budget_seconds * 1000 and len(measure.times_ms) >= 3:
            break  # a page this slow is measured fewer times; the table says how many
        counter["n"] = 0
        started = time.perf_counter()
        response = client.get(url)
        pieces = iter(response.response)  # a streamed export is read piece by piece
        body = next(pieces, b"")
        first_piece = (time.perf_counter() - started) * 1000
        body += b"".join(pieces)
        elapsed = (time.perf_counter() - started) * 1000
        response.close()
        spent += elapsed
        measure.status = response.status_code
        if i >= warmup:
            measure.times_ms.append(elapsed)
            if page.export:
                measure.first_piece_ms.append(first_piece)
            measure.queries.append(counter["n"])
            measure.size_bytes = len(body)
    measure.slowest = counter["slowest"]
    if page.export:
        measure.peak_kib = _streaming_peak_kib(client, url)
    if measure.status != 200:
        raise RuntimeError(f"{page.label} ({url}) answered {measure.status}")
    return measure


def _streaming_peak_kib(client: FlaskClient, url: str) -> int:
    """The most memory Python held (tracemalloc) while one export was streamed to its end, each
    piece dropped once read, as a server writing it to the socket would."""
    tracemalloc.start()
    try:
        response = client.get(url)
        for _piece in response.response:
            pass
        response.close()
        return tracemalloc.get_traced_memory()[1] // 1024
    finally:
        tracemalloc.stop()


QUERY_TARGET = 12
P95_TARGET_MS = 50.0


def pages_table(demo: list[Measure] | None, full: list[Measure]) -> str:
    """Markdown: demo and full size side by side, with the issue's targets."""
    demo_by_label = {m.label: m for m in demo or []}
    lines = [
        "| page | role | queries (demo) | queries (full) | p50 / p95 ms (demo) "
        "| p50 / p95 ms (full) | timed (full) | ≤ 12 queries, same at both sizes | p95 < 50 ms |",
        "|---|---|--:|--:|--:|--:|--:|:-:|:-:|",
    ]
    for m in full:
        d = demo_by_label.get(m.label)
        same = d is None or (d.query_count == m.query_count and m.steady)
        queries_ok = m.query_count <= QUERY_TARGET and same
        lines.append(
            f"| {m.label} | {m.role} "
            f"| {d.query_count if d else '–'} | {m.query_count}{'' if m.steady else '*'} "
            f"| {f'{d.percentile(50):.1f} / {d.percentile(95):.1f}' if d else '–'} "
            f"| {m.percentile(50):.1f} / {m.percentile(95):.1f} | {len(m.times_ms)} "
            f"| {'pass' if queries_ok else 'FAIL'} "
            f"| {'pass' if m.percentile(95) < P95_TARGET_MS else 'FAIL'} |"
        )
    return "\n".join(lines)


def exports_table(full: list[Measure]) -> str:
    """Markdown: for each export at full size, when its first piece was out and when all of it,
    and the memory streaming it took."""
    lines = [
        "| export | size (KB) | first piece p50 / p95 ms | whole p50 / p95 ms "
        "| peak Python memory while streaming (KiB) |",
        "|---|--:|--:|--:|--:|",
    ]
    for m in full:
        if m.first_piece_ms:
            lines.append(
                f"| {m.label} | {m.size_bytes / 1000:,.1f} "
                f"| {m.percentile(50, m.first_piece_ms):.1f} / "
                f"{m.percentile(95, m.first_piece_ms):.1f} "
                f"| {m.percentile(50):.1f} / {m.percentile(95):.1f} | {m.peak_kib:,} |"
            )
    return "\n".join(lines) if len(lines) > 2 else ""


def slowest_statements(measures: list[Measure], *, over_ms: float = P95_TARGET_MS) -> str:
    """Markdown: for each page over the time target, its slowest statement (where to look)."""
    lines = []
    for m in measures:
        if m.percentile(95) >= over_ms and m.slowest[1]:
            ms, statement = m.slowest
            shown = statement if len(statement) <= 600 else statement[:600] + " …"
            lines.append(f"- **{m.label}** ({ms:.0f} ms): `{shown}`")
    return "\n".join(lines)
