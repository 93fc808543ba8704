"""The crawler the security tests share: signed in as someone, it follows the portal's own links
from a start page, hands every response it gets to a `visit` callback, and collects every post
`<form>` it meets. Used by the hostile-input fuzzer (forms) and the escaping test (pages)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pyotp
from flask import Flask
from werkzeug.exceptions import HTTPException

from portal import clock
from portal.demo import DEMO_PASSWORD

MAX_PAGES_PER_ACCOUNT = 400
PAGES_PER_ENDPOINT = 10

# Links the crawler does not follow by default: they end the session, change the language, or
# download files.
NOT_FOLLOWED = re.compile(r"^/(logout|language)|\.(csv|pdf|ics|txt)$|/(download|attachments?)/")
# Only what ends the session or changes the language: downloads are followed.
SESSION_LINKS = re.compile(r"^/(logout|language)")


@dataclass
class Field:
    name: str
    kind: str  # text, number, date, time, choice, checkbox, file, hidden
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    page: str
    action: str
    fields: dict[str, Field] = field(default_factory=dict)


class FormParser(HTMLParser):
    """Forms (method post) and same-site links of a page."""

    def __init__(self, page: str):
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self.links: set[str] = set()
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.add(urljoin(self.page, attrs["href"]))
        elif tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._form = Form(self.page, urljoin(self.page, attrs.get("action") or self.page))
            self.forms.append(self._form)
        elif self._form is not None and attrs.get("formaction"):
            self._form.action = urljoin(self.page, attrs["formaction"])
        if self._form is None or not attrs.get("name") or tag == "button":
            return
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            name = attrs["name"]
            if kind in {"submit", "button", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"}:
                existing = self._form.fields.setdefault(name, Field(name, "choice"))
                existing.options.append(attrs.get("value") or "on")
                if "checked" in attrs:
                    existing.value = attrs.get("value") or "on"
                return
            kinds = {"number": "number", "date": "date", "time": "time", "file": "file"}
            kinds["hidden"] = "hidden"
            self._form.fields[name] = Field(name, kinds.get(kind, "text"), attrs.get("value") or "")
        elif tag == "select":
            self._select = self._form.fields[attrs["name"]] = Field(attrs["name"], "choice")
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            self._select.options.append(value)
            if "selected" in attrs or not self._select.value:
                self._select.value = value
        elif tag == "textarea":
            self._textarea = self._form.fields[attrs["name"]] = Field(attrs["name"], "text")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def local_path(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in {"", "localhost"} or parts.scheme not in {"", "http"}:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _get_endpoint(adapter, path: str) -> str | None:
    try:
        return adapter.match(urlsplit(path).path, method="GET")[0]
    except HTTPException:
        return None


def crawl(
    app: Flask,
    client,
    start: str,
    *,
    visit: Callable[[str, object], None] | None = None,
    not_followed: re.Pattern = NOT_FOLLOWED,
    pages_per_endpoint: int = PAGES_PER_ENDPOINT,
) -> list[Form]:
    """Every post form on the pages reachable from `start` by the signed-in user's links; each
    response (HTML page or download) is handed to `visit(path, response)` first. Pages of one
    endpoint show the same forms: a few of each are enough."""
    adapter = app.url_map.bind("localhost")
    seen: set[str] = set()
    per_endpoint: dict[str | None, int] = {}
    queue = [start]
    forms: list[Form] = []
    while queue and len(seen) < MAX_PAGES_PER_ACCOUNT:
        path = queue.pop(0)
        if path in seen or not_followed.search(path.split("?")[0]):
            continue
        seen.add(path)
        endpoint = _get_endpoint(adapter, path)
        if per_endpoint.get(endpoint, 0) >= pages_per_endpoint:
            continue
        per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
        response = client.get(path)
        if visit is not None:
            visit(path, response)
        if response.status_code in {301, 302, 303} and local_path(response.location):
            queue.append(local_path(urljoin("http://localhost" + path, response.location)))
            continue
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        parser = FormParser("http://localhost" + path)
        parser.feed(response.text)
        forms.extend(parser.forms)
        for link in sorted(parser.links):
            local = local_path(link)
            if local and local not in seen and "page=" not in local:
                queue.append(local)
    return forms


def sign_in(app, client, email: str, *, stop_at_code: bool = False) -> None:
    """Sign a demo account in through the real forms (password, then the code if asked)."""
    signed_in = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert signed_in.status_code == 302, (
        email,
        re.findall(r'role="alert".*?</div>', signed_in.text, re.S),
    )
    if signed_in.location == "/login/code" and not stop_at_code:
        code = pyotp.TOTP(app.config["DEMO_TOTP_SECRET"]).at(clock.now())
        assert client.post("/login/code", data={"code": code}).status_code == 302, email
