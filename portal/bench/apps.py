"""The two reference apps the load test serves beside the portal, with the same gunicorn settings:
a bare Flask "hello world", and a page that runs one query on the portal's database. The portal's
throughput is read as a ratio to the second, so that it holds on a noisy machine.

    gunicorn 'portal.bench.apps:hello_app()'
    gunicorn 'portal.bench.apps:one_query_app()'    # reads DATABASE_URL
"""

import os

import sqlalchemy as sa
from flask import Flask
from markupsafe import escape

from config import normalise_database_url

PAGE = "<!doctype html><html lang=en><title>{title}</title><h1>{title}</h1></html>"


def hello_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def hello():
        return PAGE.format(title="Hello, world!")

    return app


def one_query_app() -> Flask:
    app = Flask(__name__)
    engine = sa.create_engine(
        normalise_database_url(os.environ["DATABASE_URL"]), pool_pre_ping=True
    )
    statement = sa.text("SELECT name FROM users ORDER BY id LIMIT 1")

    @app.get("/")
    def one_query():
        with engine.connect() as connection:
            name = connection.execute(statement).scalar()
        return PAGE.format(title=f"Hello, {escape(name)}")

    return app
