"""The route walk's shared machinery: real objects for every URL parameter (`sample_objects`, the
`people` fixture in conftest.py) and the URL of any rule built from them (`url_of`). Used by the
access-rule matrix and the audit-completeness walk."""

from __future__ import annotations

import re

from portal.assessment import services as assessment_services
from portal.extensions import db
from portal.outbox.services import queue_email
from portal.plan import services as plan_services
from tests.activities.helpers import routing_objects as activity_routing_objects
from tests.checkins.helpers import routing_objects as check_in_routing_objects
from tests.identification.helpers import routing_objects as register_routing_objects
from tests.messaging.helpers import routing_objects

ROLES = ("member", "other_member", "staff", "staff_not_on_case", "admin")

OBJECT_PARAMETERS = (
    "number",
    "factor_id",
    "goal_id",
    "activity_id",
    "activity_key",
    "submission_id",
    "entry_id",
    "email_id",
    "check_in_id",
    "member_id",
    "import_id",
)
# Conversations and attachments of another case answer 404 (as if they did not exist) to the
# other member and to staff not on the case.
MESSAGING_PARAMETERS = ("conversation_id", "attachment_id", "canned_reply_id")


def programme_objects(case, staff) -> dict:
    """A released assessment and a shared plan (version 1), and a draft of each with a factor,
    a goal and an activity, so that every object route has something real to point at."""
    from tests.programme import release_assessment, share_plan

    release_assessment(case, staff)
    share_plan(case, staff)
    draft = assessment_services.start_draft(case, by=staff)
    plan_draft = plan_services.start_draft(case, by=staff)
    db.session.commit()
    goal = plan_draft.goals[0]
    return {
        "number": 1,
        "factor_id": draft.factors[0].id,
        "goal_id": goal.id,
        "activity_id": goal.activities[0].id,
    }


def sample_objects(make_member, make_staff, make_admin, make_case, upload_dir) -> dict:
    """A member with a case led by `staff` that has something behind every kind of URL
    parameter; another member (`other_member`) with a case led by `staff_not_on_case`; an admin."""
    member, other_member = make_member(), make_member()
    staff, staff_not_on_case, admin = make_staff(), make_staff(), make_admin()
    case = make_case(member=member, lead=staff)
    make_case(member=other_member, lead=staff_not_on_case)
    objects = programme_objects(case, staff)
    objects.update(routing_objects(case, member, staff, admin, upload_dir))
    objects.update(activity_routing_objects(case, staff))
    objects.update(check_in_routing_objects(case, staff))
    objects.update(register_routing_objects())
    email = queue_email(member, "notification", link="http://portal.test/")
    db.session.commit()
    objects["email_id"] = email.id
    return {
        "member": member,
        "other_member": other_member,
        "staff": staff,
        "staff_not_on_case": staff_not_on_case,
        "admin": admin,
        "case": case,
        **objects,
    }


def url_of(rule, people, **overrides) -> str:
    """The rule's URL with each parameter taken from `people` (or `overrides`)."""
    values = {
        "case_id": people["case"].id,
        "user_id": people["member"].id,
        "token": "not-a-real-token",
        "filename": "css/portal.css",
        **{name: people[name] for name in OBJECT_PARAMETERS + MESSAGING_PARAMETERS},
        **overrides,
    }
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule.rule)
