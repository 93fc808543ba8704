"""`flask users …`: accounts from the command line."""

import click
from flask.cli import AppGroup

from portal.auth.models import Role
from portal.auth.passwords import password_problem
from portal.auth.services import (
    DuplicateEmail,
    create_user,
    find_user_by_email,
    send_invitation,
    set_active,
)
from portal.extensions import db

users_cli = AppGroup("users", help="Create, invite and deactivate accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--language", type=click.Choice(["en", "fr"]), default="en", show_default=True)
@click.option(
    "--password",
    is_flag=True,
    help="Set a password now (prompted). Without it, an invitation email is sent.",
)
def create(email: str, name: str, role: str, language: str, password: bool) -> None:
    """Create an account; by default the person gets an invitation to set their password."""
    secret = None
    if password:
        secret = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = password_problem(secret, email=email)
        if problem:
            raise click.ClickException(str(problem))
    try:
        user = create_user(
            email=email, name=name, role=Role(role), password=secret, language=language
        )
    except DuplicateEmail:
        raise click.ClickException(f"an account already uses {email}") from None
    if secret is None:
        send_invitation(user)
    db.session.commit()
    how = "password set" if secret else "invitation queued"
    click.echo(f"created {role} {user.email} (id {user.id}); {how}")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate(email: str) -> None:
    """Deactivate an account and end all its sessions."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account uses {email}")
    set_active(user, False)
    db.session.commit()
    click.echo(f"deactivated {user.email}; all sessions ended")


@users_cli.command("reactivate")
@click.argument("email")
def reactivate(email: str) -> None:
    """Let a deactivated account sign in again."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account uses {email}")
    set_active(user, True)
    db.session.commit()
    click.echo(f"reactivated {user.email}")
