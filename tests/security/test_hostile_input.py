"""Every form, fuzzed with hostile input: never a server error, and a refused submission changes
nothing.

The forms are found the way people find them: signed in as each demo account (and signed out), a
crawler follows the portal's own links and collects every `<form>` it meets. Each form (by endpoint)
then gets at least 200 hypothesis examples per database — NUL bytes, 100,000-character strings,
right-to-left and astral Unicode, markup, impossible dates, negative and huge numbers, unknown
choices — with the other fields left as the page filled them.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException

from portal.demo import load_demo
from portal.extensions import db
from tests.security.crawler import Field, Form, crawl, local_path, sign_in

EXAMPLES = 200

# Forms that are not fuzzed, and why.
NOT_FUZZED = {
    "auth.logout": "ends the session under test; it takes no input but its CSRF token",
    "i18n.switch_language": "only switches between the two languages; tested in tests/app",
}
# Tables that legitimately change on a refused request: the audit trail records the refusal,
# sessions their last activity, throttles their counts, rate-limit and notification bookkeeping.
BOOKKEEPING_TABLES = {"audit_events", "user_sessions", "login_throttles", "alembic_version"}

HOSTILE_STRINGS = [
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "\u202egnp.exe",  # right-to-left override
    "שלום עולם",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀🏳️‍🌈",
    "\ud7ff\ue000\uffff",
    "' OR 1=1 --",
    '=HYPERLINK("http://evil.example","x")',
    "../../etc/passwd",
    "%s%n%x",
    "   ",
    "",
]
HOSTILE_NUMBERS = ["-1", "0", "-0", "1e309", "NaN", "inf", "0x10", "١٢", "99999999999999999999999"]
HOSTILE_DATES = [
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "-2026-01-01",
    "31/12/2026",
    "2026-01-01T25:61",
]

# Long strings are drawn now and then: each costs a 100 KB request and page.
long_text = st.builds(
    lambda c, n: c * n, st.sampled_from(["a", "é", "😀", "<"]), st.sampled_from([5000, 100_000])
)
text = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=40),
    st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=40),
    st.sampled_from(HOSTILE_STRINGS),
    long_text,
)
numbers = st.one_of(
    st.sampled_from(HOSTILE_NUMBERS),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    text,
)
dates = st.one_of(st.sampled_from(HOSTILE_DATES), st.dates().map(str), text)
times = st.one_of(st.sampled_from(["24:00", "12:60", "-1:00", "noon", "23:59:59.999"]), text)


def _endpoint(app: Flask, form: Form) -> str:
    adapter = app.url_map.bind("localhost")
    try:
        return adapter.match(urlsplit(form.action).path, method="POST")[0]
    except HTTPException as error:
        raise AssertionError(f"a form on {form.page} posts to {form.action}: {error}") from error


def _row_counts() -> dict[str, int]:
    tables = [t for t in db.metadata.sorted_tables if t.name not in BOOKKEEPING_TABLES]
    union = sa.union_all(
        *(
            sa.select(sa.literal(t.name).label("name"), sa.func.count().label("n")).select_from(t)
            for t in tables
        )
    )
    return dict(db.session.execute(union).all())


def _strategy(form_field: Field):
    if form_field.kind == "hidden" and form_field.name == "csrf_token":
        return st.just(form_field.value)
    base = {
        "number": numbers,
        "date": dates,
        "time": times,
        "choice": st.one_of(st.sampled_from(form_field.options or [""]), text),
    }.get(form_field.kind, text)
    # Each field is sometimes left as the page had it, sometimes missing, mostly hostile.
    return st.one_of(st.just(form_field.value), st.none(), base, base)


def _refused(response) -> bool:
    # A form may answer with a file (the member's data archive): only a page can show an error.
    return response.status_code >= 400 or (
        response.status_code == 200
        and response.mimetype == "text/html"
        and "There is a problem" in response.text
    )


def fuzz_form(app: Flask, client, form: Form) -> None:
    fields = {name: f for name, f in form.fields.items() if f.kind != "file"}
    action = local_path(form.action)
    counts = {"now": _row_counts()}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(values=st.fixed_dictionaries({name: _strategy(f) for name, f in fields.items()}))
    def submit(values):
        data = {name: value for name, value in values.items() if value is not None}
        before = counts["now"]
        db.session.remove()
        response = client.post(action, data=data)
        where = f"POST {action} {sorted(data)}"
        assert response.status_code < 500, where
        counts["now"] = _row_counts()
        if _refused(response):
            assert counts["now"] == before, f"a refused submission changed data: {where}"
        db.session.remove()

    submit()


@pytest.fixture
def app_overrides(tmp_path) -> dict:
    # Rate limits would turn later examples into 429s and hide what the forms do.
    # Server errors raise here, with their traceback, instead of becoming a 500 page.
    # Five wrong passwords or codes would lock the account and end the session under test, so
    # that every later form of that account would only be redirected to the sign-in page
    # (tests/auth covers the lockout).
    return {
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "RATELIMIT_ENABLED": False,
        "PROPAGATE_EXCEPTIONS": True,
        "LOGIN_MAX_FAILURES": 1_000_000,
    }


def _form_of(action: str, form_class) -> Form:
    """A form the demo never shows (its state does not arise there), from its WTForms class."""
    from wtforms import (
        BooleanField,
        DateField,
        DecimalField,
        FileField,
        IntegerField,
        RadioField,
        SelectField,
        SelectMultipleField,
        TimeField,
    )

    kinds = [
        (FileField, "file"),
        (BooleanField, "choice"),
        ((SelectField, SelectMultipleField, RadioField), "choice"),
        (DateField, "date"),
        (TimeField, "time"),
        ((IntegerField, DecimalField), "number"),
    ]
    form = Form(page=action, action="http://localhost" + action)
    for wtf_field in form_class(meta={"csrf": False}):
        kind = next((k for types, k in kinds if isinstance(wtf_field, types)), "text")
        choices = getattr(wtf_field, "choices", None) or []
        options = [str(getattr(c, "value", c[0] if isinstance(c, tuple) else c)) for c in choices]
        form.fields[wtf_field.name] = Field(wtf_field.name, kind, options=options)
    return form


def _accounts(app) -> list[tuple[str | None, list[str], list[Form]]]:
    """Who crawls from where (signed out with a live invitation and reset link, then each demo
    account), with the forms of states the demo does not hold for them."""
    from portal import clock
    from portal.auth.forms import ConfirmForm
    from portal.auth.models import EmailChange, TokenPurpose
    from portal.auth.services import find_user_by_email, issue_token, new_link_token
    from portal.cases.services import current_case_of
    from portal.checkins.forms import OutcomeForm
    from portal.checkins.models import CheckIn
    from portal.outbox.models import EmailStatus, OutboxEmail
    from portal.twofactor.services import enable_with_known_secret

    member = find_user_by_email("member@example.org")
    member2 = find_user_by_email("member2@example.org")
    invitation = issue_token(find_user_by_email("member3@example.org"), TokenPurpose.INVITATION)
    # A reset link for an account no crawl signs in with: the fuzzer may well reset its password.
    reset = issue_token(find_user_by_email("o.chen@example.org"), TokenPurpose.PASSWORD_RESET)
    # member has asked to change address: the cancel button and the confirmation page show.
    email_change, email_change_hash = new_link_token()
    db.session.add(
        EmailChange(
            user_id=member.id,
            new_email="member.new@example.org",
            token_hash=email_change_hash,
            expires_at=clock.now() + timedelta(hours=24),
        )
    )
    # member2 uses two-step sign-in, so that its settings and the code step show their forms.
    enable_with_known_secret(member2, app.config["DEMO_TOTP_SECRET"])
    case2 = current_case_of(member2)
    check_in = db.session.scalars(db.select(CheckIn).where(CheckIn.case_id == case2.id)).first()
    case3 = current_case_of(find_user_by_email("member3@example.org"))
    failed = db.session.scalars(
        db.select(OutboxEmail.id).where(OutboxEmail.status == EmailStatus.FAILED)
    ).first()
    db.session.commit()
    with app.test_request_context():
        acknowledge = _form_of("/assessment/versions/1/acknowledge", ConfirmForm)
        complete = _form_of(f"/cases/{case2.id}/activities/complete", ConfirmForm)
        outcome = _form_of(f"/cases/{case2.id}/check-ins/{check_in.id}/outcome", OutcomeForm)
        # The signed-out crawl accepts member3's invitation, and an admin may retry the failed
        # email before the crawl reaches it: these two are fuzzed at their URLs.
        resend = _form_of(f"/cases/{case3.id}/resend-invitation", ConfirmForm)
        retry = _form_of(f"/admin/outbox/{failed}/retry", ConfirmForm)
    signed_out = ["/login", f"/invitation/{invitation}", f"/reset-password/{reset}"]
    return [
        (None, signed_out, []),
        ("member@example.org", ["/", f"/account/email/confirm/{email_change}"], [acknowledge]),
        ("member2@example.org", ["/"], []),
        ("member2@example.org", ["/login/code"], []),  # stops at the code step
        ("advisor@example.org", ["/", "/cases/?stage=closed"], [complete, outcome, resend]),
        ("advisor2@example.org", ["/", "/cases/find?q=Dr", "/identification/"], []),
        ("admin@example.org", ["/"], [retry]),
    ]


def test_every_form_survives_hostile_input(app):
    load_demo()
    db.session.commit()
    fuzzed: set[str] = set()
    for email, starts, unshown in _accounts(app):
        client = app.test_client()
        if email:
            sign_in(app, client, email, stop_at_code="/login/code" in starts)
        # Fuzzing changes what pages show (a draft started shows the draft's forms): crawl again
        # until no new form appears.
        while True:
            forms = {}
            for start in starts:
                for form in crawl(app, client, start) + unshown:
                    endpoint = _endpoint(app, form)
                    if endpoint not in NOT_FUZZED and endpoint not in fuzzed:
                        forms.setdefault(endpoint, form)
            if not forms:
                break
            for endpoint, form in sorted(forms.items()):
                fuzz_form(app, client, form)
                fuzzed.add(endpoint)
                if email is None:
                    # Signed out it stays: an accepted invitation signs the browser in, and the
                    # next forms would be fuzzed as that member.
                    client = app.test_client()
                elif "/login/code" not in starts:
                    # Still signed in, or the next forms would be fuzzed only in name.
                    still = client.get("/account/password")
                    assert still.status_code == 200, f"fuzzing {endpoint} ended the session"
    post_endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and rule.endpoint not in NOT_FUZZED
    }
    missing = sorted(post_endpoints - fuzzed)
    assert missing == [], f"forms no demo page shows, so never fuzzed: {missing}"
