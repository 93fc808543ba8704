"""`flask identify …`: the register from the command line."""

from contextlib import ExitStack
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from portal import clock
from portal.extensions import db
from portal.identification.importer import error_message, import_register
from portal.identification.models import ImportOutcome
from portal.identification.screening import screen

identify_cli = AppGroup("identify", help="The register of members and matters, and its screening.")

_csv_file = click.Path(exists=True, dir_okay=False, path_type=Path)


@identify_cli.command("import")
@click.option("--members", "members_path", type=_csv_file, help="The members file (CSV).")
@click.option("--matters", "matters_path", type=_csv_file, help="The matters file (CSV).")
def import_command(members_path: Path | None, matters_path: Path | None) -> None:
    """Import the register's files, all or nothing: one refused row keeps both out."""
    if members_path is None and matters_path is None:
        raise click.UsageError("give --members, --matters or both")
    with ExitStack() as files:
        members = files.enter_context(members_path.open("rb")) if members_path else None
        matters = files.enter_context(matters_path.open("rb")) if matters_path else None
        result = import_register(
            members=members,
            matters=matters,
            members_name=members_path.name if members_path else None,
            matters_name=matters_path.name if matters_path else None,
            by=None,
            source="cli",
            today=clock.now().date(),
            progress=_show_progress,
        )
    db.session.commit()
    if result.outcome is ImportOutcome.REFUSED:
        click.echo(f"refused, nothing imported: {result.error_count} errors", err=True)
        with force_locale("en"):
            for error in result.errors:
                click.echo(f"{error['file'] or 'import'}: {error_message(error)}", err=True)
        if result.error_count > len(result.errors):
            click.echo(f"… and {result.error_count - len(result.errors)} more", err=True)
        raise click.exceptions.Exit(1)
    run = screen(clock.now().date(), by=None, trigger="import")
    db.session.commit()
    click.echo(f"screened: {run.flagged_count} of {run.member_count} members flagged")
    for file, counts in result.counts.items():
        click.echo(
            f"{file}: {counts['new']} new, {counts['changed']} changed, "
            f"{counts['unchanged']} unchanged"
        )
    click.echo(f"import {result.id} done")


def _show_progress(stage: str, rows: int) -> None:
    click.echo(f"{stage}: {rows} rows" if rows else f"{stage}…", err=True)


@identify_cli.command("screen")
@click.option(
    "--date",
    "screening_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The screening date (default: today).",
)
def screen_command(screening_date) -> None:
    """Screen the whole register and store the run (what the worker does every night)."""
    day = screening_date.date() if screening_date else clock.now().date()
    run = screen(day, by=None, trigger="manual")
    db.session.commit()
    click.echo(
        f"screened on {day}: {run.member_count} members, {run.matter_count} matters, "
        f"{run.flagged_count} flagged, queue of {run.parameters['queue_size']}, "
        f"c-statistic {run.model.get('auc')}, {run.duration_ms} ms"
    )
