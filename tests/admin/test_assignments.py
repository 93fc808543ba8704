"""Reassigning cases: one case's lead and team, or all of someone's cases at once. Access follows
at once; newcomers are told without content; everything is audited."""

from portal.audit.models import AuditEvent
from portal.cases.models import Case, CaseTeamMember
from portal.extensions import db
from portal.messaging.models import Conversation
from portal.outbox.models import OutboxEmail


def _events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def _team(case) -> set[int]:
    return set(
        db.session.scalars(
            db.select(CaseTeamMember.staff_id).where(CaseTeamMember.case_id == case.id)
        )
    )


def _assign(client, case, lead, team=(), expected=None):
    return client.post(
        f"/admin/cases/{case.id}/assignment",
        data={
            "lead_advisor_id": lead.id,
            "team_ids": [person.id for person in team],
            "expected_lead_id": expected if expected is not None else case.lead_advisor_id,
        },
    )


def test_a_new_lead_gains_the_case_and_the_old_one_loses_it(
    admin, admin_client, make_staff, make_case, client_for
):
    old_lead, new_lead = make_staff(), make_staff(name="Dr. New Lead")
    case = make_case(lead=old_lead)
    old_client, new_client = client_for(old_lead), client_for(new_lead)
    assert old_client.get(f"/cases/{case.id}").status_code == 200
    assert new_client.get(f"/cases/{case.id}").status_code != 200

    page = admin_client.get(f"/admin/cases/{case.id}/assignment")
    assert page.status_code == 200 and case.member.name in page.text
    response = _assign(admin_client, case, new_lead)
    assert response.status_code == 302

    db.session.refresh(case)
    assert case.lead_advisor_id == new_lead.id and _team(case) == set()
    assert new_client.get(f"/cases/{case.id}").status_code == 200
    assert old_client.get(f"/cases/{case.id}").status_code != 200
    assert case.member.name not in old_client.get("/cases/").text
    event = _events("case.reassigned")[0]
    assert (event.actor_id, event.case_id) == (admin.id, case.id)
    assert event.detail == f"lead {old_lead.id} -> {new_lead.id}; team +[] -[]"
    # The new lead is told, without content.
    email = db.session.scalars(db.select(OutboxEmail)).one()
    assert (email.to_address, email.template) == (new_lead.email, "notification")
    assert case.member.name not in email.body_text + email.body_html
    assert f"/cases/{case.id}" in email.body_text


def test_the_old_lead_keeps_access_when_kept_on_the_team(
    admin_client, make_staff, make_case, client_for
):
    old_lead, new_lead, colleague = make_staff(), make_staff(), make_staff()
    case = make_case(lead=old_lead)
    db.session.add(CaseTeamMember(case_id=case.id, staff_id=colleague.id))
    db.session.commit()
    colleague_client = client_for(colleague)
    _assign(admin_client, case, new_lead, team=[old_lead])
    db.session.refresh(case)
    assert case.lead_advisor_id == new_lead.id and _team(case) == {old_lead.id}
    assert client_for(old_lead).get(f"/cases/{case.id}").status_code == 200
    # Taken off the team: access ends at once.
    assert colleague_client.get(f"/cases/{case.id}").status_code != 200
    assert _events("case.reassigned")[0].detail.endswith(f"team +[{old_lead.id}] -[{colleague.id}]")
    # Only the new lead is notified (the old lead already knew the case).
    recipients = set(db.session.scalars(db.select(OutboxEmail.to_address)))
    assert recipients == {new_lead.email}


def test_team_changes_alone_notify_the_newcomers(admin_client, make_staff, make_case):
    lead, newcomer = make_staff(), make_staff()
    case = make_case(lead=lead)
    _assign(admin_client, case, lead, team=[newcomer])
    assert _team(case) == {newcomer.id}
    assert set(db.session.scalars(db.select(OutboxEmail.to_address))) == {newcomer.email}


def test_a_stale_form_changes_nothing(admin_client, make_staff, make_case):
    first, second, third = make_staff(), make_staff(), make_staff()
    case = make_case(lead=first)
    _assign(admin_client, case, second)
    # Another admin's form, opened before the change, still says `first` leads.
    response = _assign(admin_client, case, third, expected=first.id)
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.lead_advisor_id == second.id
    assert len(_events("case.reassigned")) == 1
    assert "changed this case" in admin_client.get(response.location).text


def test_bad_input_is_refused_with_a_message(admin_client, make_staff, make_case, make_member):
    lead, other = make_staff(), make_staff()
    member = make_member()
    case = make_case(lead=lead)
    response = _assign(admin_client, case, other, team=[other])
    assert response.status_code == 200
    assert "The lead advisor is not also listed on the team." in response.text
    response = _assign(admin_client, case, member)  # not staff: not a choice
    assert response.status_code == 200 and "There is a problem" in response.text
    db.session.refresh(case)
    assert case.lead_advisor_id == lead.id and not _events("case.reassigned")
    assert admin_client.get("/admin/cases/999999/assignment").status_code == 404


def test_conversations_assigned_to_someone_taken_off_go_back_to_unassigned(
    admin_client, make_staff, make_case
):
    old_lead, new_lead = make_staff(), make_staff()
    case = make_case(lead=old_lead)
    conversation = Conversation(
        case_id=case.id, subject="Hello", started_by_id=case.member_id, assigned_to_id=old_lead.id
    )
    db.session.add(conversation)
    db.session.commit()
    _assign(admin_client, case, new_lead)
    db.session.refresh(conversation)
    assert conversation.assigned_to_id is None


def test_all_cases_of_a_deactivated_advisor_move_at_once(
    admin, admin_client, make_staff, make_case, client_for
):
    leaving, staying = make_staff(name="Dr. Leaving"), make_staff(name="Dr. Staying")
    other = make_staff()
    cases = [make_case(lead=leaving) for _ in range(3)]
    untouched = make_case(lead=other)
    db.session.add(CaseTeamMember(case_id=cases[0].id, staff_id=staying.id))
    db.session.commit()
    admin_client.post(f"/admin/users/{leaving.id}/active", data={"active": "0"})

    page = admin_client.get("/admin/cases").text
    assert "Deactivated staff who still lead cases" in page and "Dr. Leaving: 3 cases" in page
    listed = admin_client.get("/admin/cases?lead=deactivated").text
    assert all(f"Case {case.id}<" in listed for case in cases)
    assert f"Case {untouched.id}<" not in listed

    response = admin_client.post(
        "/admin/cases/reassign-all", data={"from_staff_id": leaving.id, "to_staff_id": staying.id}
    )
    assert response.status_code == 302
    leads = dict(db.session.execute(db.select(Case.id, Case.lead_advisor_id)).tuples().all())
    assert all(leads[case.id] == staying.id for case in cases)
    assert leads[untouched.id] == other.id
    assert staying.id not in _team(cases[0])  # the lead is not also on the team
    assert [e.case_id for e in _events("case.reassigned")] == [case.id for case in cases]
    bulk = _events("case.bulk_reassigned")[0]
    assert (bulk.actor_id, bulk.object_id) == (admin.id, leaving.id)
    # One notification for them all.
    assert list(db.session.scalars(db.select(OutboxEmail.to_address))) == [staying.email]
    staying_page = client_for(staying).get("/cases/").text
    assert all(case.member.name in staying_page for case in cases)
    assert "Deactivated staff who still lead cases" not in admin_client.get("/admin/cases").text


def test_bulk_reassignment_refuses_the_same_person_and_deactivated_targets(
    admin_client, make_staff, make_case
):
    lead, inactive = make_staff(), make_staff(active=False)
    case = make_case(lead=lead)
    for target in (lead, inactive):
        admin_client.post(
            "/admin/cases/reassign-all", data={"from_staff_id": lead.id, "to_staff_id": target.id}
        )
    db.session.refresh(case)
    assert case.lead_advisor_id == lead.id and not _events("case.reassigned")
    page = admin_client.get("/admin/cases").text
    assert "Choose someone other than the current lead advisor." in page


def test_the_assignment_list_costs_the_same_whatever_the_number_of_cases(
    admin_client, make_staff, make_case, query_counter
):
    lead, colleague = make_staff(), make_staff()

    def add_case():
        case = make_case(lead=lead)
        db.session.add(CaseTeamMember(case_id=case.id, staff_id=colleague.id))
        db.session.commit()

    add_case()
    admin_client.get("/admin/cases")
    with query_counter() as few:
        admin_client.get("/admin/cases")
    for _ in range(8):
        add_case()
    with query_counter() as many:
        page = admin_client.get("/admin/cases")
    assert page.text.count("<tr>") == 10
    assert many.count == few.count
