"""The audit trail in plain words: what each recorded event means, and who held which role.

Every event key the code records has a phrase here; a test reads the source and fails on a
key without one. Keys built from a value (``hospice.{status}``) have a pattern as well, so a
value added later still reads as words.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model

EVENT_PHRASES: dict[str, str] = {
    # Refusals and security
    "access.denied": "Was refused a page",
    "audit.security_alert": "Security alert raised for repeated refusals",
    "audit.export": "Exported the audit trail",
    "audit.patient_search": "Searched the audit trail for a patient",
    "audit.patient_trail": "Read a patient's audit trail",
    "audit.staff_search": "Searched the audit trail for a staff member",
    "audit.staff_trail": "Read a staff member's audit trail",
    # Accounts
    "account.sign_in": "Signed in",
    "account.sign_in_failed": "Failed to sign in",
    "account.sign_in_throttled": "Held back after too many sign-in attempts",
    "account.sign_out": "Signed out",
    "account.second_factor_failed": "Entered a wrong authenticator code",
    "account.second_factor_throttled": "Held back after too many authenticator codes",
    "api_token.create": "Created an access token for the API",
    "api_token.revoke": "Revoked an access token for the API",
    "staff.create": "Added a staff account",
    "staff.deactivate": "Deactivated a staff account",
    "staff.role_change": "Changed a staff member's role",
    "staff.discipline_change": "Changed a staff member's discipline",
    "staff.training_change": "Changed a staff member's trainee status",
    "invitation.create": "Invited someone to join the staff by email",
    "invitation.revoke": "Withdrew an invitation to join the staff",
    "invitation.accept": "Accepted an invitation and made a staff account",
    # The patient and family portal
    "portal.denied": "Was refused a portal page",
    "portal.home": "Opened the portal's home page",
    "portal.account": "Opened their portal account page",
    "portal.invitation_create": "Invited the patient or a family member to the portal",
    "portal.invitation_revoke": "Withdrew an invitation to the portal",
    "portal.invitation_accept": "Accepted an invitation and made a portal account",
    "portal.team_page": "Read who has portal access to a patient",
    "portal.suspend": "Suspended a caregiver's portal access",
    "portal.lift": "Lifted the suspension of a caregiver's portal access",
    "portal.decides_for_patient": "Recorded who decides portal access for the patient",
    "portal.people": "Read who can see the patient's care in the portal",
    "portal.scopes_change": "Changed what a caregiver can see in the portal",
    "portal.revoke": "Removed a caregiver's portal access",
    "second_factor.reset_request": "Asked for a staff member's second factor to be reset",
    "second_factor.reset_approve": "Approved the reset of a staff member's second factor",
    "second_factor.reset_cancel": "Withdrew a request to reset a second factor",
    "program.create": "Started a new program",
    # Patients
    "patient.read": "Opened the patient's record",
    "patient.chart": "Opened the chart",
    "patient.timeline": "Opened the timeline",
    "patient.search": "Searched for patients",
    "patient.create": "Registered the patient",
    "patient.break_glass": "Used emergency access (break the glass)",
    "patient.death_record": "Opened the death record form",
    "patient.read.duplicate_check": "Checked the patient for duplicates",
    "condition.create": "Added a diagnosis",
    "coverage.set": "Recorded insurance coverage",
    # Referrals
    "referral.create": "Created a referral",
    "referral.read": "Opened a referral",
    "referral.review": "Reviewed a referral",
    "referral.queue": "Opened the referral queue",
    "referral.accept": "Accepted a referral",
    "referral.decline": "Declined a referral",
    "referral.hold": "Put a referral on hold",
    "referral.resume": "Resumed a referral",
    "referral.redirect": "Redirected a referral",
    "referral.insurance": "Recorded a referral's insurance",
    "referral.link_patient": "Linked a referral to a patient",
    "referral.attachment": "Opened a referral's attachment",
    "referral.attachment.add": "Attached a document to a referral",
    "referral.chart_read": "Opened the referral from the chart",
    "referral.medication.read": "Read a referral's medications",
    "referral.medication.added": "Added a referral's medication to the list",
    "referral.medication.declined": "Left a referral's medication off the list",
    # Enrollment and episodes
    "enrollment.read": "Opened the enrollment",
    "episode.open": "Enrolled the patient",
    "episode.discharge": "Discharged the patient from the program",
    "episode.reenroll": "Re-enrolled the patient",
    "episode.first_contact": "Recorded the first contact",
    "episode.cadence_form": "Opened the symptom-reporting schedule",
    "episode.reporting_cadence": "Changed the symptom-reporting schedule",
    "careteam.add": "Added a member to the care team",
    "careteam.end": "Ended a care-team membership",
    "careteam.lead": "Changed the care team's lead",
    "careteam.read": "Viewed the care team",
    "caseload.view": "Opened a caseload",
    "death.record": "Recorded the death",
    "phase.form": "Opened the phase of care form",
    "phase.record": "Recorded the phase of care",
    # Hospital stays
    "stay.admit": "Recorded a hospital admission",
    "stay.discharge": "Recorded a hospital discharge",
    "stay.transfer": "Recorded a hospital transfer",
    "stay.update": "Changed a hospital stay",
    "stay.entered_in_error": "Marked a hospital stay entered in error",
    "stay.list": "Listed hospital stays",
    "stay.read": "Opened a hospital stay",
    "stay.review.list": "Opened the hospital stay reviews",
    "stay.review.raise": "Raised a hospital stay review",
    "stay.review.record": "Recorded a hospital stay review",
    # Hospital messages (ADT)
    "adt.receive": "Received a hospital message",
    "adt.apply": "Applied a hospital message",
    "adt.dismiss": "Dismissed a hospital message",
    "adt.message.read": "Opened a hospital message",
    "adt.queue.read": "Opened the hospital message queue",
    # Hospice
    "hospice.view": "Opened the hospice page",
    "hospice.worklist": "Opened the hospice worklist",
    "hospice.refer": "Referred the patient to hospice",
    "hospice.sent": "Marked a hospice referral sent",
    "hospice.accepted": "Recorded that hospice accepted the patient",
    "hospice.admitted": "Recorded the hospice admission",
    "hospice.declined": "Recorded that hospice declined the patient",
    "hospice.package.print": "Printed the hospice referral package",
    "hospice.package.export": "Exported the hospice referral package",
    "hospice.package.resend": "Asked for the hospice referral package to be emailed again",
    # Coordination of services: equipment, home services, transport and referrals out
    "coordination.view": "Opened the patient's equipment and services",
    "coordination.worklist": "Opened the open orders worklist",
    "coordination.request": "Requested equipment, a service or a referral out",
    "coordination.ordered": "Recorded an order as ordered",
    "coordination.done": "Recorded an order as delivered or started",
    "coordination.declined": "Recorded an order as declined",
    "coordination.cancelled": "Cancelled an order",
    "coordination.follow_up": "Made a follow-up task for an order not confirmed in time",
    "directory.agency_create": "Added an agency to the directory",
    "directory.agency_update": "Changed an agency in the directory",
    # Bereavement
    "bereavement.open": "Opened bereavement follow-up",
    "bereavement.view": "Opened bereavement follow-up",
    "bereavement.worklist": "Opened the bereavement worklist",
    "bereavement.contact": "Recorded a bereavement contact",
    "bereavement.screen": "Recorded a bereavement screen",
    "bereavement.refer": "Referred the family for bereavement support",
    # Advance care planning
    "acp.read": "Opened advance care planning",
    "acp.worklist": "Opened the advance care planning worklist",
    "acp.review_list": "Opened the advance care planning reviews",
    "acp.summary.print": "Printed the advance care planning summary",
    "acp.fhir.export": "Exported advance care planning as FHIR",
    "acp.conversation.create": "Started a goals-of-care conversation",
    "acp.conversation.read": "Opened a goals-of-care conversation",
    "acp.conversation.update": "Changed a goals-of-care conversation",
    "acp.conversation.sign": "Signed a goals-of-care conversation",
    "acp.conversation.addendum": "Added an addendum to a goals-of-care conversation",
    "acp.conversation.error": "Marked a goals-of-care conversation entered in error",
    "acp.agent.add": "Added a health care agent",
    "acp.agent.verify": "Verified a health care agent",
    "acp.agent.error": "Marked a health care agent entered in error",
    "acp.document.upload": "Uploaded an advance directive",
    "acp.document.download": "Downloaded an advance directive",
    "acp.document.verify": "Verified an advance directive",
    "acp.document.error": "Marked an advance directive entered in error",
    "acp.code_status.change": "Changed the code status",
    "acp.code_status.error": "Marked a code status entered in error",
    "acp.portable_order.record": "Recorded a portable medical order",
    "acp.portable_order.error": "Marked a portable medical order entered in error",
    "acp.place_preference.set": "Recorded the preferred place of care",
    "acp.treatment_preference.set": "Recorded treatment preferences",
    # Assessments, symptom reports and alerts
    "assessment.read": "Opened an assessment",
    "assessment.form": "Opened an assessment form",
    "assessment.start": "Started an assessment",
    "assessment.section": "Saved a section of an assessment",
    "assessment.sign": "Signed an assessment",
    "assessment.addendum": "Added an addendum to an assessment",
    "assessments.trends": "Opened the symptom trends",
    "instrument.upload": "Added an assessment instrument",
    "instrument.revise": "Revised an assessment instrument",
    "symptom_report.form": "Opened the symptom report form",
    "symptom_report.create": "Recorded a symptom report",
    "symptom_report.read": "Opened a symptom report",
    "symptom_report.list": "Listed symptom reports",
    "alert.raise": "Alert raised",
    "alert.take": "Took an alert",
    "alert.acknowledge": "Acknowledged an alert",
    "alert.escalate": "Escalated an alert",
    "alert.resolve": "Resolved an alert",
    "alert.worklist": "Opened the alert worklist",
    # Medications and allergies
    "medication.list": "Opened the medication list",
    "medication.form": "Opened a medication form",
    "medication.add": "Added a medication",
    "medication.stop": "Stopped a medication",
    "medication.review": "Reviewed the medications",
    "medication.review_list": "Opened the medication reviews",
    "allergy.form": "Opened an allergy form",
    "allergy.record": "Recorded an allergy",
    "allergy.none_known": "Recorded no known allergies",
    "allergy.resolve": "Marked an allergy resolved",
    "allergy.void": "Marked an allergy entered in error",
    # Care plans and tasks
    "care_plan.create": "Started the care plan",
    "care_plan.read": "Opened the care plan",
    "care_plan.review": "Reviewed the care plan",
    "care_plan.history.read": "Opened the care plan's history",
    "care_plan.problem.add": "Added a problem to the care plan",
    "care_plan.problem.update": "Changed a problem on the care plan",
    "care_plan.problem.entered_in_error": "Marked a problem entered in error",
    "care_plan.goal.add": "Added a goal to the care plan",
    "care_plan.goal.update": "Changed a goal on the care plan",
    "care_plan.goal.review": "Reviewed a goal on the care plan",
    "care_plan.goal.entered_in_error": "Marked a goal entered in error",
    "care_plan.intervention.add": "Added an intervention to the care plan",
    "care_plan.intervention.update": "Changed an intervention on the care plan",
    "care_plan.intervention.entered_in_error": "Marked an intervention entered in error",
    "task.create": "Created a task",
    "task.complete": "Completed a task",
    "task.cancel": "Cancelled a task",
    "task.reassign": "Reassigned a task",
    "task.list.read": "Opened the task list",
    # Team meetings
    "idt.team.create": "Created a team",
    "idt.meeting.create": "Scheduled a team meeting",
    "idt.meeting.read": "Opened a team meeting",
    "idt.meeting.start": "Started a team meeting",
    "idt.meeting.sign": "Signed a team meeting's minutes",
    "idt.agenda.build": "Built a team meeting's agenda",
    "idt.attendance.set": "Recorded attendance at a team meeting",
    "idt.item.discuss": "Discussed a patient at a team meeting",
    "idt.decision.record": "Recorded a team meeting decision",
    "idt.minutes.read": "Opened a team meeting's minutes",
    "idt.minutes.save": "Saved a team meeting's minutes",
    "idt.not_discussed.view": "Opened the patients not discussed",
    # Visits, notes and summaries
    "visit.create": "Scheduled a visit",
    "visit.form": "Opened a visit form",
    "place.create": "Added a place of visits",
    "place.update": "Changed a place of visits",
    "place.form": "Opened a patient's place form",
    "place.access_notes_read": "Read the access notes of a patient's home",
    "scheduled_visit.book": "Booked a visit",
    "scheduled_visit.reschedule": "Rescheduled a visit",
    "scheduled_visit.cancel": "Cancelled a visit",
    "scheduled_visit.no_show": "Recorded that a patient was not seen at a booked visit",
    "scheduled_visit.read": "Opened a booked visit",
    "scheduled_visit.form": "Opened a visit booking form",
    "visit_reminder.send": "Sent a visit reminder to the patient or caregiver",
    "portal.diary": "Opened the symptom diary in the portal",
    "diary_reminder.send": "Sent a symptom diary reminder to the patient or caregiver",
    "portal.checkin": "Opened the caregiver check-in in the portal",
    "caregiver_checkin.submit": "Sent a caregiver check-in from the portal",
    "schedule.read": "Opened a schedule of visits",
    "visit_cadence.set": "Set how often a discipline visits a patient",
    "visit_cadence.form": "Opened a patient's visit cadence form",
    "visit_cadence.overdue_list": "Opened the list of visits overdue",
    "external_appointment.create": "Recorded a patient's appointment elsewhere",
    "external_appointment.cancel": "Cancelled a patient's appointment elsewhere",
    "external_appointment.form": "Opened a patient's appointment form",
    "external_appointment.read": "Read a patient's appointment elsewhere",
    "external_appointment.search": "Listed a patient's appointments elsewhere",
    "day_plan.read": "Opened a clinician's home-visit day plan",
    "day_plan.apply": "Applied a home-visit day plan (moved the visits to the planned times)",
    "scheduled_visit.lock": "Locked a visit's time in the day plan",
    "scheduled_visit.unlock": "Unlocked a visit's time in the day plan",
    "scheduled_visit.availability": "Recorded when the patient is available for a visit",
    "calendar_feed.create": "Made a calendar feed address (replacing any earlier one)",
    "calendar_feed.revoke": "Turned off a calendar feed",
    "calendar_feed.read": "A calendar app fetched the clinician's calendar feed",
    "visit_note.list": "Listed visit notes",
    "visit_note.api_list": "Listed visit notes through the API",
    "visit_note.worklist": "Opened the visit note worklist",
    "visit_note.read": "Opened a visit note",
    "visit_note.create": "Started a visit note",
    "visit_note.edit_form": "Opened a visit note to edit",
    "visit_note.update": "Changed a visit note",
    "visit_note.sign_form": "Opened a visit note to sign",
    "visit_note.sign": "Signed a visit note",
    "visit_note.cosign": "Co-signed a visit note",
    "visit_note.addendum": "Added an addendum to a visit note",
    "visit_note.entered_in_error": "Marked a visit note entered in error",
    "note_template.create": "Added a note template",
    "note_template.update": "Changed a note template",
    "portal.summary.download": "Downloaded a visit summary from the portal",
    "portal.document.download": "Downloaded an advance directive from the portal",
    "visit_summary.create": "Wrote a visit summary",
    "visit_summary.read": "Opened a visit summary",
    "visit_summary.status.read": "Checked a visit summary's delivery",
    "visit_summary.delivery.read": "Opened a visit summary's delivery",
    "visit_summary.late_list": "Opened the late visit summaries",
    "visit_summary.resend": "Sent a visit summary again",
    "visit_summary.withhold": "Held back a visit summary",
    "visit_summary.fhir": "Read a visit summary as FHIR",
    "visit_summary.letter.print": "Printed a visit summary letter",
    "visit_summary.plain.print": "Printed a visit summary",
    # The 24/7 line and the on-call roster
    "call.list": "Listed support line calls",
    "call.read": "Opened a support line call",
    "call.record": "Recorded a support line call",
    "call.patient": "Opened the patient from a support line call",
    "call.triage": "Triaged a support line call",
    "call.dispose": "Closed a support line call",
    "call.escalate": "Escalated a support line call",
    "call.acknowledge": "Acknowledged an escalated call",
    "call.callback": "Recorded a call back",
    "call.page": "Paged the clinician on call",
    "support.escalations": "Opened the escalated calls",
    "support.handoff": "Opened the morning hand-off",
    "support.handoff.print": "Printed the morning hand-off",
    "support.measures": "Opened the support line measures",
    "triage_protocol.save": "Saved a triage protocol",
    "roster.build": "Built the on-call roster",
    "roster.cancel": "Cancelled an on-call shift",
    "roster.swap": "Swapped on-call shifts",
    "roster.shift_add": "Added an on-call shift",
    "roster.pattern_add": "Added an on-call pattern",
    "roster.pattern_change": "Changed an on-call pattern",
    "roster.pattern_remove": "Removed an on-call pattern",
    "roster.gaps_flagged": "Gaps in the on-call roster flagged",
    # Secure messages (portal and team)
    "message.list": "Listed a patient's message threads",
    "message.inbox": "Opened the message inbox",
    "message.thread.read": "Read a message thread",
    "message.thread.start": "Started a message thread",
    "message.send": "Sent a message",
    "message.thread.close": "Closed a message thread",
    "message.attachment.read": "Opened a file sent with a message",
    # The program's own settings
    "program.settings_change": "Changed the program's settings",
    # The demonstration program
    "demo.load": "Loaded the demonstration program",
    "demo.care_plans": "Wrote the demonstration care plans",
}

# Keys the code builds from a value, by the shape of the key; the exact keys above come first.
EVENT_PATTERNS: dict[str, str] = {
    "hospice.*": "Changed a hospice referral",
    "care_plan.*.entered_in_error": "Marked a care plan entry entered in error",
    "visit_summary.*.print": "Printed a visit summary",
}


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(pattern).replace(r"\*", "[a-z_]+") + "$")


_PATTERNS = [(_pattern_regex(p), phrase) for p, phrase in EVENT_PATTERNS.items()]


def event_phrase(key: str) -> str:
    """What the event means, in plain words. A key no longer recorded (an old row) reads as
    its words, never as a dotted code."""
    phrase = EVENT_PHRASES.get(key)
    if phrase is not None:
        return phrase
    for regex, text in _PATTERNS:
        if regex.match(key):
            return text
    words = re.sub(r"[._]+", " ", key).strip()
    return f"Other event: {words}" if words else "Other event"


def event_description(key: str, detail: dict[str, Any] | None) -> str:
    """The phrase, with what was searched for when the event is a search, and whose trail was
    read when it names a staff member."""
    phrase = event_phrase(key)
    detail = detail if isinstance(detail, dict) else {}
    query = detail.get("query")
    if isinstance(query, str) and query:
        return f"{phrase}: “{query}”"
    if key == "audit.staff_trail" and isinstance(detail.get("user"), str):
        return f"{phrase}: {detail['user']}"
    return phrase


# The role the audit trail records for a portal account (accounts.User.audit_role).
PORTAL_ROLE_NAME = "Patient or family (portal)"


def role_names() -> dict[str, str]:
    """Each role key with its display name (the account model's choices), and the portal's."""
    field = get_user_model()._meta.get_field("role")
    names = {str(key): str(label) for key, label in field.choices or ()}
    names["portal"] = PORTAL_ROLE_NAME
    return names


def role_name(key: str) -> str:
    if not key:
        return ""
    return role_names().get(key, re.sub(r"[._]+", " ", key).capitalize())
