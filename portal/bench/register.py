"""`flask bench register`: the identification feature at a national mutual's size.

A synthetic register (`portal.identification.synthetic`, its rates scaled to about ten matters a
member) is written to two CSV files and imported by `flask identify import` (which screens the
register once imported) in a process of its own, twice: the second import must find nothing new.
The register is then screened by `flask identify screen`, in a process of its own too, so that
each step's wall time and peak memory (the child's maximum resident set: see peak_rss.py) are its
own and not the benchmark's. Last, the screening queue and the top-ranked member's profile are
requested through the test client by a signed-in advisor, as `bench pages` does.
"""

from __future__ import annotations

import csv
import os
import re
import resource
import secrets
import subprocess  # nosec B404
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app

from config import BASE_DIR
from portal import clock
from portal.auth.models import Role
from portal.auth.services import create_user, find_user_by_email
from portal.bench.dataset import BENCH_PASSWORD, STAFF_EMAIL
from portal.bench.pages import (
    Measure,
    Page,
    counting_statements,
    sign_in,
    slowest_statements,
    time_page,
)
from portal.extensions import db
from portal.identification.models import ScreeningResult, ScreeningRun
from portal.identification.synthetic import BASE_RATES, MATTER_COLUMNS, MEMBER_COLUMNS, generate
from portal.twofactor.services import enable_with_known_secret

IMPORT_SECONDS_TARGET = 120
IMPORT_MB_TARGET = 300
SCREEN_SECONDS_TARGET = 60
P95_TARGET_MS = 100.0
PILOT_SHARE = 10  # the pilot register that calibrates the rates is a tenth of the real one
PEAK_RSS = Path(__file__).with_name("peak_rss.py")
COUNTS = re.compile(r"^(members|matters): (\d+) new, (\d+) changed, (\d+) unchanged$", re.M)


@dataclass
class Step:
    label: str
    outcome: str
    seconds: float
    peak_mb: float
    target: str = "–"
    passed: bool | None = None


def planted(members: int) -> tuple[int, int]:
    """Planted high-rate and rising members, in the demo register's proportions (10 and 8 of
    2,000), at least one of each so that a tiny register has a flagged member to show."""
    return max(1, members // 200), max(1, members // 250)


def _generate(members: int, today: date, rates: dict[str, float] | None = None):
    high, rising = planted(members)
    return generate(
        members, today=today, seed=2026, planted_high=high, planted_rising=rising, rates=rates
    )


def register_rates(members: int, matters_per_member: float, today: date) -> dict[str, float]:
    """BASE_RATES scaled so that `generate` gives about `matters_per_member` matters a member.
    The count depends on the membership lengths and the planted members, so it is measured on a
    pilot register a tenth the size and the rates corrected by the shortfall."""
    pilot = _generate(max(1000, members // PILOT_SHARE), today)
    factor = matters_per_member / (len(pilot.matters) / len(pilot.members))
    return {code: rate * factor for code, rate in BASE_RATES.items()}


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    """As `Register.csv_files()` writes it, streamed to disk instead of built in memory."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_register(
    folder: Path, members: int, matters_per_member: float, today: date
) -> tuple[Path, Path, int]:
    """The register's two files in `folder`, and its number of matters. The rows are dropped on
    return: only the files are kept."""
    register = _generate(members, today, register_rates(members, matters_per_member, today))
    members_path, matters_path = folder / "members.csv", folder / "matters.csv"
    _write_csv(members_path, MEMBER_COLUMNS, register.members)
    _write_csv(matters_path, MATTER_COLUMNS, register.matters)
    return members_path, matters_path, len(register.matters)


def child_environment(url: str) -> dict[str, str]:
    """The production settings the load test serves with, on the benchmark database."""
    return {
        "PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": url,
        # One process: its own counters are enough (the import and screening count nothing).
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
    }


def run_child(arguments: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """`python arguments…` from the project's folder: wall seconds, the child's peak resident
    memory in MB (measured by peak_rss.py: see there why not here), and what it printed on
    stdout. Its stderr (progress, logs) is passed through."""
    with tempfile.TemporaryDirectory(prefix="msp-child-") as folder:
        peak_file, out_file = Path(folder) / "peak", Path(folder) / "stdout"
        with out_file.open("w") as out:
            started = time.monotonic()
            returncode = subprocess.call(  # nosec B603
                [sys.executable, str(PEAK_RSS), str(peak_file), sys.executable, *arguments],
                cwd=BASE_DIR,
                env={**os.environ, **env},
                stdout=out,
            )
            seconds = time.monotonic() - started
        output = out_file.read_text()
        if returncode:
            raise RuntimeError(f"{' '.join(arguments)} failed ({returncode}):\n{output}")
        return seconds, int(peak_file.read_text()) / 1024, output  # KiB on Linux


def _latest_run(app: Flask) -> ScreeningRun | None:
    with app.app_context():
        run = db.session.scalar(sa.select(ScreeningRun).order_by(ScreeningRun.id.desc()))
        return run


def import_step(
    app: Flask, label: str, members: Path, matters: Path, env: dict[str, str]
) -> tuple[Step, dict[str, tuple[int, int, int]]]:
    """One `flask identify import` of both files, with what it says it found in each. The
    command screens the register once it is imported: its time and memory are the step's, and
    the outcome says how long that screening took."""
    before = _latest_run(app)
    seconds, peak, output = run_child(
        ["-m", "flask", "--app", "wsgi", "identify", "import",
         "--members", str(members), "--matters", str(matters)],
        env,
    )  # fmt: skip
    counts = {
        file: (int(new), int(changed), int(same))
        for file, new, changed, same in COUNTS.findall(output)
    }
    if set(counts) != {"members", "matters"}:
        raise RuntimeError(f"the import did not report its counts:\n{output}")
    outcome = "; ".join(
        f"{file} {new:,} new, {changed:,} changed, {same:,} unchanged"
        for file, (new, changed, same) in counts.items()
    )
    after = _latest_run(app)
    if after is not None and (before is None or after.id != before.id):
        outcome += f"; then screened in {after.duration_ms / 1000:.1f} s of it"
    return Step(label, outcome, seconds, peak), counts


def screen_step(env: dict[str, str]) -> Step:
    seconds, peak, _output = run_child(["-m", "flask", "--app", "wsgi", "identify", "screen"], env)
    return Step("screening", "", seconds, peak, f"< {SCREEN_SECONDS_TARGET} s")


def _staff_account() -> None:
    """The synthetic program's advisor (`flask bench load`), added when the database has none:
    the register's database need not hold the program."""
    if find_user_by_email(STAFF_EMAIL) is None:
        user = create_user(
            email=STAFF_EMAIL, name="Dr. Staff 1", role=Role.STAFF, password=BENCH_PASSWORD
        )
        enable_with_known_secret(user, current_app.config["DEMO_TOTP_SECRET"])
        db.session.commit()


def latest_screening(app: Flask) -> tuple[str, int | None]:
    """What the latest run flagged, and its top-ranked member."""
    run = _latest_run(app)
    with app.app_context():
        top = db.session.scalar(
            sa.select(ScreeningResult.member_id)
            .where(ScreeningResult.run_id == run.id)
            .order_by(ScreeningResult.rank)
            .limit(1)
        )
        return f"{run.flagged_count:,} of {run.member_count:,} members flagged", top


def measure_register_pages(
    app: Flask, member_id: int, *, repeat: int, echo: Callable[[str], object]
) -> list[Measure]:
    """The screening queue and a register member's profile, signed in as an advisor."""
    with app.app_context():
        _staff_account()
    client = sign_in(app, STAFF_EMAIL, BENCH_PASSWORD)
    pages = [
        ("Screening queue", "/identification/"),
        ("Top-ranked member's profile", f"/identification/members/{member_id}"),
    ]
    measures = []
    with counting_statements(app) as counter:
        for label, url in pages:
            measure = time_page(
                client,
                Page(label, "staff", lambda _targets, url=url: url),
                url,
                counter,
                repeat=repeat,
                warmup=2,
                budget_seconds=60.0,
            )
            echo(
                f"  {label:<32} {measure.query_count:>3} statements  "
                f"p50 {measure.percentile(50):7.1f} ms  p95 {measure.percentile(95):7.1f} ms"
            )
            measures.append(measure)
    return measures


def run_register_bench(
    app: Flask,
    url: str,
    *,
    members: int,
    matters_per_member: float,
    repeat: int,
    echo: Callable[[str], object] = print,
) -> str:
    """Every step on the (migrated) database at `url`, as a markdown report."""
    today = clock.now().date()
    env = child_environment(url)
    steps = []
    with tempfile.TemporaryDirectory(prefix="msp-register-") as folder:
        echo(f"generating {members:,} members, about {matters_per_member:g} matters each")
        started = time.monotonic()
        members_path, matters_path, matters = write_register(
            Path(folder), members, matters_per_member, today
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        steps.append(
            Step(
                "generate the files (in this process)",
                f"{members:,} members, {matters:,} matters ({matters / members:.1f} a member)",
                time.monotonic() - started,
                peak,
            )
        )
        echo("importing")
        first, _ = import_step(app, "import", members_path, matters_path, env)
        first.target = f"< {IMPORT_SECONDS_TARGET} s, < {IMPORT_MB_TARGET} MB"
        first.passed = first.seconds < IMPORT_SECONDS_TARGET and first.peak_mb < IMPORT_MB_TARGET
        steps.append(first)
        echo("importing the same files again")
        again, counts = import_step(
            app, "import again (same files)", members_path, matters_path, env
        )
        again.target = "0 new, 0 changed"
        again.passed = all(new == changed == 0 for new, changed, _same in counts.values())
        steps.append(again)
    echo("screening")
    screening = screen_step(env)
    screening.passed = screening.seconds < SCREEN_SECONDS_TARGET
    screening.outcome, top = latest_screening(app)
    steps.append(screening)
    if top is None:
        raise RuntimeError("the screening flagged nobody: no profile to measure")
    echo("pages:")
    measures = measure_register_pages(app, top, repeat=repeat, echo=echo)
    backend = sa.engine.make_url(url).get_backend_name()
    return register_table(steps, measures, backend)


def _verdict(passed: bool | None) -> str:
    return "–" if passed is None else "pass" if passed else "FAIL"


def register_table(steps: list[Step], measures: list[Measure], backend: str) -> str:
    lines = [
        f"Register on {backend}:",
        "",
        "| step | outcome | time (s) | peak memory (MB) | target | result |",
        "|---|---|--:|--:|---|:-:|",
    ]
    for step in steps:
        lines.append(
            f"| {step.label} | {step.outcome} | {step.seconds:.1f} | {step.peak_mb:,.0f} "
            f"| {step.target} | {_verdict(step.passed)} |"
        )
    lines += [
        "",
        "| page | statements | p50 ms | p95 ms | timed | same statements every request "
        f"| p95 < {P95_TARGET_MS:.0f} ms |",
        "|---|--:|--:|--:|--:|:-:|:-:|",
    ]
    for m in measures:
        lines.append(
            f"| {m.label} | {m.query_count} | {m.percentile(50):.1f} | {m.percentile(95):.1f} "
            f"| {len(m.times_ms)} | {_verdict(m.steady)} "
            f"| {_verdict(m.percentile(95) < P95_TARGET_MS)} |"
        )
    slowest = slowest_statements(measures, over_ms=P95_TARGET_MS)
    if slowest:
        lines += ["", "The slowest statement of each page over the target:", "", slowest]
    return "\n".join(lines)
