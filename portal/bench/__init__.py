"""`flask bench`: a benchmark anyone can rerun (docs/performance.md).

    flask bench load --scale full          # the synthetic program (PostgreSQL; `tenth` on SQLite)
    flask bench pages --demo-database URL  # queries and server time per page, demo vs full
    flask bench smtp-hang                  # sending a message while the SMTP relay hangs
    flask bench load-test                  # gunicorn + wrk, next to hello world and one query
    flask bench register                   # the identification register: import, screen, pages

Every command works on `--database` (default: BENCH_DATABASE_URL, else DATABASE_URL), never on
the app's own database unless told so. Results are printed and, with `--markdown`, written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from config import normalise_database_url

bench_cli = click.Group("bench", help="Load a synthetic program and measure the portal on it.")

DATABASE_HELP = "SQLAlchemy URL of the benchmark database (default: BENCH_DATABASE_URL)."


def _database_url(value: str | None) -> str:
    url = value or os.environ.get("BENCH_DATABASE_URL")
    return normalise_database_url(url) if url else current_app.config["SQLALCHEMY_DATABASE_URI"]


def _create_database(url: str) -> None:
    """The database itself, if missing: a PostgreSQL database on its server, or SQLite's folder."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return
    server = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
        )
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    server.dispose()


def bench_app(url: str, **overrides) -> Flask:
    """The portal, in the environment of the running app, on the benchmark database."""
    from portal import create_app

    return create_app(
        current_app.config["PORTAL_ENV"],
        {
            "SQLALCHEMY_DATABASE_URI": url,
            # Measuring many requests from one user and one address, not the limits.
            "LOGIN_RATE_LIMIT": "100000 per minute",
            "MESSAGE_RATE_LIMIT": "100000 per minute",
            **overrides,
        },
    )


def _prepare(url: str) -> Flask:
    _create_database(url)
    app = bench_app(url)
    with app.app_context():
        upgrade()
    return app


def _write(markdown: str | None, name: str, text: str) -> None:
    if markdown:
        folder = Path(markdown)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text + "\n")
        click.echo(f"written to {folder / name}")


class _Lines:
    """Progress as a line every tenth of the way, where no terminal shows a bar (logs, CI)."""

    def __init__(self, label: str, length: int):
        self.label, self.length, self.done, self.shown = label, length, 0, 0

    def __enter__(self):
        click.echo(f"{self.label}: 0 / {self.length:,}")
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n: int) -> None:
        self.done += n
        if self.done * 10 // self.length > self.shown or self.done == self.length:
            self.shown = self.done * 10 // self.length
            click.echo(f"{self.label}: {self.done:,} / {self.length:,}")


def _progress(label: str, length: int):
    if sys.stdout.isatty():
        return click.progressbar(length=length, label=label, show_pos=True, show_eta=True)
    return _Lines(label, length)


@bench_cli.command("load")
@click.option(
    "--scale",
    default="full",
    show_default=True,
    help="full (the issue's sizes), tenth, tiny, demo (`flask demo`), or a factor such as 0.5.",
)
@click.option("--database", help=DATABASE_HELP)
@with_appcontext
def load_command(scale: str, database: str | None) -> None:
    """Create and migrate the benchmark database, then load the synthetic program into it."""
    import time

    from portal.bench import dataset
    from portal.extensions import db

    url = _database_url(database)
    app = _prepare(url)
    with app.app_context():
        if not dataset.is_empty():
            click.echo("the database already has data: nothing loaded (drop it to load again)")
            return
        started = time.monotonic()
        if scale == "demo":
            from portal.demo import load_demo

            load_demo()
            db.session.commit()
            click.echo("demo data loaded")
            return
        try:
            factor = dataset.SCALES[scale] if scale in dataset.SCALES else float(scale)
        except ValueError:
            raise click.BadParameter(
                "full, tenth, tiny, demo or a number", param_hint="--scale"
            ) from None
        size = dataset.Size.scaled(factor)
        click.echo(f"loading {size} into {sa.engine.make_url(url).render_as_string()}")
        counts = dataset.load(size, _progress)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # As autovacuum would after a while: the visibility map lets index-only scans skip
            # the table, as they do on a database in service.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("VACUUM ANALYZE"))
        minutes, seconds = divmod(round(time.monotonic() - started), 60)
        click.echo(f"loaded {counts['rows']:,} rows in {minutes} min {seconds} s")


@bench_cli.command("pages")
@click.option("--database", help=DATABASE_HELP)
@click.option(
    "--demo-database",
    help="Also measure `flask demo` data in this database (created and loaded when empty).",
)
@click.option("--repeat", default=20, show_default=True, help="Timed requests per page.")
@click.option("--markdown", help="Folder to write pages.md into.")
@click.option(
    "--page",
    "page_filters",
    multiple=True,
    help="Measure only the pages whose label contains this text (any case; may be repeated).",
)
@with_appcontext
def pages_command(
    database: str | None,
    demo_database: str | None,
    repeat: int,
    markdown: str | None,
    page_filters: tuple[str, ...],
) -> None:
    """Queries per request and p50/p95 server time of every main page, demo and full size."""
    from portal.bench.pages import (
        DEMO_ACCOUNTS,
        PAGES,
        bench_accounts,
        exports_table,
        measure_pages,
        pages_table,
        slowest_statements,
    )

    pages = [
        page
        for page in PAGES
        if not page_filters or any(f.lower() in page.label.lower() for f in page_filters)
    ]
    if not pages:
        raise click.UsageError(f"No page matches {', '.join(page_filters)}.")

    demo = None
    if demo_database:
        url = normalise_database_url(demo_database)
        app = _prepare(url)
        with app.app_context():
            from portal.bench import dataset
            from portal.demo import load_demo
            from portal.extensions import db

            if dataset.is_empty():
                load_demo()
                db.session.commit()
        click.echo("demo size:")
        demo = measure_pages(app, DEMO_ACCOUNTS, repeat=repeat, pages=pages, echo=click.echo)
    click.echo("full size:")
    full = measure_pages(
        bench_app(_database_url(database)),
        bench_accounts(),
        repeat=repeat,
        pages=pages,
        echo=click.echo,
    )
    table = pages_table(demo, full)
    exports = exports_table(full)
    if exports:
        table += "\n\nExports at full size (streamed in pieces):\n\n" + exports
    slowest = slowest_statements(full)
    if slowest:
        table += "\n\nThe slowest statement of each page over 50 ms (full size):\n\n" + slowest
    click.echo(table)
    _write(markdown, "pages.md", table)


@bench_cli.command("smtp-hang")
@click.option("--database", help=DATABASE_HELP)
@click.option("--repeat", default=40, show_default=True, help="Messages sent and timed.")
@click.option("--markdown", help="Folder to write smtp-hang.md into.")
@with_appcontext
def smtp_hang_command(database: str | None, repeat: int, markdown: str | None) -> None:
    """p50/p95 of sending a message while the SMTP relay accepts and never answers."""
    from portal.bench.pages import bench_accounts
    from portal.bench.smtp_hang import P95_TARGET_MS, measure_send_while_smtp_hangs

    app = bench_app(_database_url(database))
    measure, connections = measure_send_while_smtp_hangs(
        app, bench_accounts()["member"], repeat=repeat
    )
    p95 = measure.percentile(95)
    text = (
        "| measure | requests | p50 ms | p95 ms | worker connections to the hung relay "
        "| p95 < 100 ms |\n|---|--:|--:|--:|--:|:-:|\n"
        f"| {measure.label} | {len(measure.times_ms)} | {measure.percentile(50):.1f} "
        f"| {p95:.1f} | {connections} | {'pass' if p95 < P95_TARGET_MS else 'FAIL'} |"
    )
    click.echo(text)
    _write(markdown, "smtp-hang.md", text)


@bench_cli.command("load-test")
@click.option("--database", help=DATABASE_HELP)
@click.option("--duration", default=10, show_default=True, help="Seconds of wrk per page.")
@click.option("--connections", default=8, show_default=True, help="wrk's open connections.")
@click.option("--workers", default=4, show_default=True, help="gunicorn workers (README: 4).")
@click.option("--markdown", help="Folder to write load-test.md into.")
@with_appcontext
def load_test_command(
    database: str | None, duration: int, connections: int, workers: int, markdown: str | None
) -> None:
    """gunicorn on loopback under wrk: hello world, one query, dashboard, conversation, inbox."""
    from portal.bench.loadtest import load_table, run_load_test
    from portal.bench.pages import bench_accounts, find_targets

    url = _database_url(database)
    accounts = bench_accounts()
    targets = find_targets(bench_app(url), accounts["member"][0])
    runs = run_load_test(
        sa.engine.make_url(url).render_as_string(hide_password=False),
        member=accounts["member"],
        staff=accounts["staff"],
        totp_secret=current_app.config["DEMO_TOTP_SECRET"],
        conversation_id=targets.conversation_id,
        duration=duration,
        connections=connections,
        workers=workers,
        echo=click.echo,
    )
    table = load_table(runs)
    click.echo(table)
    _write(markdown, "load-test.md", table)


@bench_cli.command("register")
@click.option("--database", help=DATABASE_HELP)
@click.option("--members", default=100_000, show_default=True, help="Members in the register.")
@click.option(
    "--matters-per-member",
    default=10.0,
    show_default=True,
    help="Matters a member on average (the synthetic rates are scaled to it).",
)
@click.option("--repeat", default=50, show_default=True, help="Timed requests per page.")
@click.option("--markdown", help="Folder to write register.md into.")
@with_appcontext
def register_command(
    database: str | None,
    members: int,
    matters_per_member: float,
    repeat: int,
    markdown: str | None,
) -> None:
    """Import a synthetic register twice, screen it (each in a process of its own: time and peak
    memory), then time the screening queue and a flagged member's profile."""
    from portal.bench.register import run_register_bench

    url = _database_url(database)
    app = _prepare(url)
    table = run_register_bench(
        app,
        sa.engine.make_url(url).render_as_string(hide_password=False),
        members=members,
        matters_per_member=matters_per_member,
        repeat=repeat,
        echo=click.echo,
    )
    click.echo(table)
    _write(markdown, "register.md", table)
