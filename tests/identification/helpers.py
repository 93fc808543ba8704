"""Plain helpers for the identification tests: a register written straight into the tables."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select

from portal import clock
from portal.cases.models import TypeOfWork
from portal.extensions import db
from portal.identification.models import Matter, RegisterMember
from portal.identification.synthetic import Register

TODAY = date(2026, 6, 30)


def load_register(register: Register) -> dict[str, int]:
    """Insert the register's rows (as an import would leave them); returns member number → id."""
    types = {t.code: t.id for t in db.session.scalars(select(TypeOfWork))}
    now = clock.now()
    db.session.execute(
        insert(RegisterMember),
        [
            {
                "member_number": m["member_number"],
                "name": m["name"],
                "email": m["email"],
                "language": m["language"],
                "type_of_work_id": types[m["type_of_work"]],
                "province": m["province"],
                "member_since": date.fromisoformat(m["member_since"]),
                "imported_at": now,
                "updated_at": now,
                "last_matter_added_at": now,
            }
            for m in register.members
        ],
    )
    ids = dict(db.session.execute(select(RegisterMember.member_number, RegisterMember.id)).all())
    if register.matters:
        db.session.execute(
            insert(Matter),
            [
                {
                    "matter_number": m["matter_number"],
                    "kind": m["kind"],
                    "member_id": ids[m["member_number"]],
                    "opened_on": date.fromisoformat(m["opened_on"]),
                    "factors": m["factors"],
                    "imported_at": now,
                }
                for m in register.matters
            ],
        )
    db.session.commit()
    return ids


def routing_objects() -> dict:
    """A small screened register and an import, for the route walks (tests/security)."""
    from portal.identification.importer import import_register
    from portal.identification.screening import screen
    from portal.identification.synthetic import generate

    today = clock.now().date()
    ids = load_register(generate(60, today=today, planted_high=2, seed=1))
    screen(today, by=None, trigger="manual")
    refused = import_register(
        members=None,
        matters=None,
        members_name=None,
        matters_name=None,
        by=None,
        source="cli",
        today=today,
    )
    db.session.commit()
    return {"member_id": min(ids.values()), "import_id": refused.id}
