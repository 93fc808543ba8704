"""`flask cases …`: referral intake from the command line."""

import click
from flask.cli import AppGroup

from portal.auth.services import DuplicateEmail, find_user_by_email
from portal.cases.models import PROVINCES
from portal.cases.services import DuplicateMemberNumber, Referral, refer_member
from portal.extensions import db

cases_cli = AppGroup("cases", help="Refer members to the program.")


@cases_cli.command("refer")
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--member-number", required=True)
@click.option("--specialty", required=True, help="Type of work or specialty.")
@click.option("--province", required=True, type=click.Choice(PROVINCES))
@click.option("--reason", required=True, help="Reason for referral.")
@click.option("--lead", "lead_email", required=True, help="Email of the lead advisor (staff).")
@click.option("--language", type=click.Choice(["en", "fr"]), default="en", show_default=True)
def refer(name, email, member_number, specialty, province, reason, lead_email, language) -> None:
    """Refer a member: creates their account and case and emails the invitation."""
    lead = find_user_by_email(lead_email)
    if lead is None or not lead.is_staff or not lead.active:
        raise click.ClickException(f"{lead_email} is not an active staff account")
    referral = Referral(
        name=name,
        email=email,
        member_number=member_number,
        specialty=specialty,
        province=province,
        reason=reason,
        language=language,
    )
    try:
        case = refer_member(referral, referred_by=None, lead_advisor=lead)
    except DuplicateEmail:
        raise click.ClickException(f"an account already uses {email}") from None
    except DuplicateMemberNumber:
        raise click.ClickException(f"member number {member_number} is already referred") from None
    db.session.commit()
    click.echo(f"referred {email} (case {case.id}, lead {lead.email}); invitation queued")
