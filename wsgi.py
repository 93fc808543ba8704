"""Entry point for gunicorn (`gunicorn wsgi:app`) and for the `flask` command."""

from portal import create_app

app = create_app()
