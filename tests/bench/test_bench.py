"""`flask bench` at a tiny scale: the loader writes a coherent program through the models, and
every measured page answers with a query count. No timing is asserted (docs/performance.md)."""

import re

import pytest

from portal.bench.loadtest import parse_wrk
from portal.bench.pages import PAGES
from portal.cases.models import Case
from portal.extensions import db
from portal.messaging.models import Message


@pytest.fixture(autouse=True)
def _no_bench_database(monkeypatch):
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)


def test_tiny_load_then_every_page_reports_its_queries(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bench", "load", "--scale", "tiny"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 12
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 1200

    again = runner.invoke(args=["bench", "load", "--scale", "tiny"])
    assert "already has data" in again.output

    result = runner.invoke(args=["bench", "pages", "--repeat", "1"])
    assert result.exit_code == 0, result.output
    for page in PAGES:
        line = next(line for line in result.output.splitlines() if page.label in line)
        assert re.search(r"\d+ queries", line), line
        assert f"| {page.label} | {page.role} |" in result.output
    exports = [page for page in PAGES if page.export]
    assert "| export | size (KB) | first piece p50 / p95 ms |" in result.output
    for page in exports:
        assert re.search(
            rf"\| {re.escape(page.label)} \| [\d,.]+ \| [\d.]+ / [\d.]+ \|", result.output
        )

    result = runner.invoke(args=["bench", "smtp-hang", "--repeat", "2"])
    assert result.exit_code == 0, result.output
    assert "Send a message (SMTP hanging)" in result.output


def test_a_tiny_register_is_imported_twice_screened_and_its_pages_timed(app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["bench", "register", "--members", "300", "--repeat", "2", "--markdown", tmp_path]
    )
    assert result.exit_code == 0, result.output
    report = (tmp_path / "register.md").read_text()
    assert "| import | members 300 new, 0 changed, 0 unchanged; matters " in report
    assert re.search(
        r"\| import again \(same files\) \| members 0 new, 0 changed, 300 unchanged; "
        r"matters 0 new, 0 changed, [\d,]+ unchanged[^|]* \| [\d.]+ \| [\d,]+ "
        r"\| 0 new, 0 changed \| pass \|",
        report,
    )
    assert re.search(r"\| screening \| \d+ of 300 members flagged \| [\d.]+ \| [\d,]+ \|", report)
    for page in ("Screening queue", "Top-ranked member's profile"):
        assert re.search(rf"\| {page} \| \d+ \| [\d.]+ \| [\d.]+ \| 2 \| pass \|", report)


def test_an_unknown_scale_is_refused_and_loads_nothing(app):
    result = app.test_cli_runner().invoke(args=["bench", "load", "--scale", "huge"])
    assert result.exit_code != 0
    assert "full, tenth, tiny, demo or a number" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0


def test_wrk_output_is_read():
    output = """Running 10s test @ http://127.0.0.1:8000/
  Latency Distribution
     50%    2.10ms
     75%    3.00ms
     90%  850.00us
     99%    1.20s
  1000 requests in 10.00s, 1.00MB read
Requests/sec:    100.50
"""
    assert parse_wrk(output) == {
        "rps": 100.5,
        "p50": 2.1,
        "p90": 0.85,
        "p99": 1200.0,
        "errors": "none",
    }
