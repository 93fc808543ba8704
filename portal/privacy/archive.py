"""The member's archive as a ZIP: README.html for people, data.json for programs, and the files.

It is written to a spooled temporary file (in memory up to SPOOL_BYTES, then on disk) and stored
files are copied into it in chunks, so memory stays bounded however large the evidence is; the
response then streams the finished archive and closes (removes) the temporary file.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO

from flask import render_template

from portal.activities import labels as activity_labels
from portal.assessment import labels as assessment_labels
from portal.assessment.charts import peer_chart
from portal.assessment.services import history_table, perspectives_by_factor
from portal.checkins import labels as checkin_labels
from portal.plan import labels as plan_labels
from portal.privacy.services import ArchivedFile, MemberData
from portal.uploads.services import upload_dir
from portal.zones import zone_label, zone_of

log = logging.getLogger(__name__)

FORMAT = "msp-portal-member-data"
FORMAT_VERSION = 1
SPOOL_BYTES = 8 * 1024 * 1024
CHUNK_BYTES = 64 * 1024


def file_name(data: MemberData) -> str:
    """The download's name: ASCII, chosen by the portal."""
    return f"msp-portal-my-data-{data.generated_at.date().isoformat()}.zip"


def build(data: MemberData) -> tuple[IO[bytes], int]:
    """The archive in a temporary file, rewound, and its size. The caller closes the file."""
    target = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        write(data, target)
        size = target.tell()
        target.seek(0)
    except BaseException:
        target.close()
        raise
    return target, size


def chunks(stream: IO[bytes]) -> Iterator[bytes]:
    """The archive's bytes for a streamed response; closes the file once all are sent."""
    try:
        while block := stream.read(CHUNK_BYTES):
            yield block
    finally:
        stream.close()


def write(data: MemberData, target: IO[bytes]) -> None:
    """Each stored file, copied in chunks, then README.html and data.json (last, so that they
    say truly which files are in the archive)."""
    written_at = _zip_time(data.generated_at)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in data.files.values():
            if not item.missing:
                _copy(archive, item)
        archive.writestr(_entry("README.html", written_at), readme(data))
        archive.writestr(
            _entry("data.json", written_at),
            json.dumps(as_json(data), ensure_ascii=False, indent=2, sort_keys=True) + "\n",
        )


def readme(data: MemberData) -> str:
    """The readable, self-contained page (its style inline: it is opened from the disk)."""
    return render_template(
        "privacy/archive.html",
        data=data,
        zone=zone_label(zone_of(data.member)),
        viewer_zone=zone_of(data.member),
        history_tables={v.id: history_table(v) for v in data.assessments},
        peers={v.id: peer_chart(v) for v in data.assessments},
        perspectives=perspectives_by_factor(data.perspectives),
        labels={
            "assessment": assessment_labels.ALL,
            "plan": plan_labels.ALL,
            "activity": {
                "statuses": activity_labels.STATUSES,
                "activity_kinds": plan_labels.ACTIVITY_KINDS,
            },
            "check_in_modes": checkin_labels.MODES,
            "check_in_statuses": checkin_labels.STATUSES,
        },
    )


def _entry(name: str, when: tuple) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info


def _zip_time(moment: datetime) -> tuple:
    """A ZIP entry's time: ZIP knows no time zones, so UTC; and none before 1980."""
    moment = max(moment.astimezone(UTC), datetime(1980, 1, 1, tzinfo=UTC))
    return moment.timetuple()[:6]


def _copy(archive: zipfile.ZipFile, item: ArchivedFile) -> None:
    info = _entry(item.path, _zip_time(item.stored.uploaded_at))
    # PDFs, PNGs and JPEGs are compressed already: stored as they are.
    info.compress_type = zipfile.ZIP_STORED
    try:
        source = open(upload_dir() / item.stored.storage_name, "rb")
    except OSError as error:
        log.error("stored file %s could not be read for an archive: %s", item.stored.id, error)
        item.missing = True
        return
    with source, archive.open(info, "w") as sink:
        shutil.copyfileobj(source, sink, CHUNK_BYTES)


# --- data.json -------------------------------------------------------------------------------


def _when(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def _number(value) -> str | None:
    return str(value) if value is not None else None


def _file(data: MemberData, stored) -> dict:
    item = data.files[stored.id]
    return {
        "name": stored.original_name,
        "path": None if item.missing else item.path,
        "missing": item.missing,
        "content_type": stored.content_type,
        "size_bytes": stored.size_bytes,
        "sha256": stored.sha256,
        "uploaded_at": _when(stored.uploaded_at),
    }


def as_json(data: MemberData) -> dict:
    """The same records as README.html, for programs: stable keys, ISO 8601 times in UTC, codes
    rather than translated words."""
    member, profile, case = data.member, data.profile, data.case
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": _when(data.generated_at),
        "language": member.language,
        "profile": {
            "name": member.name,
            "email": member.email,
            "language": member.language,
            "time_zone": zone_of(member),
            "account_created_at": _when(member.created_at),
            "two_step_sign_in": member.two_factor_enabled_at is not None,
            "email_notifications": data.email_frequency.value,
            "member_number": profile.member_number if profile else None,
            "type_of_work": profile.specialty if profile else None,
            "province": profile.province if profile else None,
        },
        "case": None
        if case is None
        else {
            "stage": case.stage.value,
            "referred_at": _when(case.referred_at),
            "lead_advisor": case.lead_advisor.name,
            "closed_at": _when(case.closed_at),
            "closing_summary": case.closing_summary,
            "stage_history": [
                {
                    "from": change.from_stage.value if change.from_stage else None,
                    "to": change.to_stage.value,
                    "at": _when(change.changed_at),
                }
                for change in data.stage_changes
            ],
        },
        "assessment_versions": [
            {
                "number": version.number,
                "released_at": _when(version.released_at),
                "released_by": version.released_by.name if version.released_by else None,
                "change_note": version.change_note,
                "period_start_year": version.period_start_year,
                "period_end_year": version.period_end_year,
                "member_rate": _number(version.member_rate),
                "peer_rate": _number(version.peer_rate),
                "narrative": version.narrative,
                "history": [
                    {"year": entry.year, "kind": entry.kind.value, "count": entry.count}
                    for entry in version.history
                ],
                "factors": [
                    {
                        "key": factor.key,
                        "category": factor.category.value,
                        "priority": factor.priority.value,
                        "description": factor.description,
                    }
                    for factor in version.factors
                ],
                "reviewed_at": _when(data.acknowledged.get(version.id)),
            }
            for version in data.assessments
        ],
        "assessment_perspectives": [
            {
                "version_number": entry.version.number,
                "factor_key": entry.factor_key,
                "position": entry.position.value if entry.position else None,
                "comment": entry.comment,
                "created_at": _when(entry.created_at),
            }
            for entry in data.perspectives
        ],
        "plan_versions": [
            {
                "number": version.number,
                "status": version.status.value,
                "shared_at": _when(version.shared_at),
                "change_note": version.change_note,
                "member_agreed_at": _when(version.member_agreed_at),
                "approved_at": _when(version.approved_at),
                "approved_by": version.approved_by.name if version.approved_by else None,
                "activated_at": _when(version.activated_at),
                "goals": [
                    {
                        "key": goal.key,
                        "title": goal.title,
                        "description": goal.description,
                        "factor_keys": goal.factor_keys,
                        "activities": [
                            {
                                "key": activity.key,
                                "title": activity.title,
                                "kind": activity.kind.value,
                                "provider": activity.provider,
                                "url": activity.url,
                                "estimated_hours": _number(activity.estimated_hours),
                                "due_date": _when(activity.due_date),
                                "required": activity.required,
                            }
                            for activity in goal.activities
                        ],
                    }
                    for goal in version.goals
                ],
            }
            for version in data.plans
        ],
        "plan_inputs": [
            {
                "version_number": entry.version.number,
                "created_at": _when(entry.created_at),
                "learning_preferences": [p.value for p in entry.preferences],
                "availability": entry.availability,
                "own_goals": entry.own_goals,
                "suggested_activities": entry.suggested_activities,
                "target_key": entry.target_key,
                "comment": entry.comment,
            }
            for entry in data.plan_inputs
        ],
        "activities": [
            {
                "key": item.key,
                "title": item.activity.title if item.activity else None,
                "in_active_plan": item.in_active_plan,
                "status": item.status.value,
                "history": [
                    {
                        "from": change.from_status.value,
                        "to": change.to_status.value,
                        "at": _when(change.changed_at),
                        "by": change.changed_by.name if change.changed_by else None,
                        "comment": change.comment,
                    }
                    for change in item.history
                ],
                "submissions": [
                    {
                        "submitted_at": _when(submission.submitted_at),
                        "what_i_learned": submission.learned,
                        "practice_change": submission.practice_change,
                        "evidence": _file(data, submission.file),
                    }
                    for submission in item.submissions
                ],
            }
            for item in data.activities
        ],
        "conversations": [
            {
                "subject": thread.conversation.subject,
                "started_at": _when(thread.conversation.created_at),
                "messages": [
                    {
                        "from": "member" if message.kind.value == "member" else "msp_team",
                        "author": message.author.name,
                        "sent_at": _when(message.created_at),
                        "body": message.body,
                        "seen_by_team_at": _when(message.seen_by_team_at),
                        "attachments": [_file(data, a.file) for a in message.attachments],
                    }
                    for message in thread.messages
                ],
            }
            for thread in data.conversations
        ],
        "check_ins": [
            {
                "scheduled_at": _when(check_in.scheduled_at),
                "time_zone": check_in.time_zone,
                "duration_minutes": check_in.duration_minutes,
                "mode": check_in.mode.value,
                "status": check_in.status.value,
                "with": check_in.scheduled_by.name,
                "agenda": check_in.agenda,
                "summary": check_in.member_summary,
                "plan_change": check_in.plan_change,
                "cancelled_at": _when(check_in.cancelled_at),
                "reschedule_requests": [
                    {
                        "asked_at": _when(request.created_at),
                        "reason": request.reason,
                        "preferred_times": request.preferred_times,
                        "answered_at": _when(request.resolved_at),
                    }
                    for request in check_in.reschedule_requests
                ],
            }
            for check_in in data.check_ins
        ],
        "file_views": [
            {
                "at": _when(event.occurred_at),
                "by": data.viewer_names.get(event.actor_id),
                "role": event.actor_role,
                "action": event.action,
                "break_glass": event.action == "case.break_glass",
            }
            for event in data.views
        ],
    }
