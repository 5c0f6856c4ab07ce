"""The privilege matrix as data: it loads, voids never need less than creating, and a program
can narrow it but never widen it."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from pallio.accounts.models import Role, User
from pallio.core import privileges
from pallio.core.privileges import DATA_FILE, PrivilegeDenied, parse_matrix
from pallio.programs.services import program_create


def test_the_shipped_matrix_loads_with_a_reason_for_every_action():
    matrix = privileges.matrix()
    assert "code_status.void" in matrix and "medication.add" in matrix
    assert all(p.rationale and p.label for p in matrix.values())


def test_a_void_granting_more_than_the_creating_privilege_is_refused():
    data = json.loads(DATA_FILE.read_text("utf-8"))
    data["actions"]["code_status.void"]["disciplines"].append("volunteer")
    with pytest.raises(ValueError, match="voiding a record needs at least the privilege"):
        parse_matrix(data)


def test_unknown_disciplines_and_roles_are_refused():
    data = json.loads(DATA_FILE.read_text("utf-8"))
    data["actions"]["medication.add"]["disciplines"].append("surgeon")
    data["actions"]["medication.add"]["roles"].append("janitor")
    with pytest.raises(ValueError, match=r"unknown role 'janitor'.*unknown discipline 'surgeon'"):
        parse_matrix(data)


def test_volunteers_and_administration_hold_no_clinical_privilege(world):
    for discipline in ("volunteer", "administration"):
        user = User(program=world.riverside, role=Role.CLINICIAN, discipline=discipline)
        assert [a for a in privileges.actions() if privileges.can(user, a)] == []


def test_care_coordinators_hold_the_social_domain_the_plan_and_the_team_meeting(world):
    user = User(program=world.riverside, role=Role.CLINICIAN, discipline="care_coordinator")
    held = [a for a in privileges.actions() if privileges.can(user, a)]
    # The social domain is the care coordinator's own (practical needs, insurance), and the
    # coordinator is a member of the interdisciplinary team: the plan and its meeting; the
    # coordinator manages enrollment, discharge and the care team, records the hospital stays
    # the team is told of, arranges the move to hospice (CLINICAL.md section 1), and with the
    # family after a death may make a bereavement call and arrange a referral; arranges
    # equipment, home services and referrals out to agencies (coordination); and keeps the
    # schedule: books, moves and cancels visits, and records a missed one; and invites the
    # patient and family to the portal.
    assert held == [
        "assessment_domain.social.sign",
        "care_plan.edit",
        "care_plan.review",
        "care_plan.void",
        "idt.run",
        "idt.sign",
        "episode.discharge",
        "episode.reenroll",
        "care_team.manage",
        "stay.record",
        "stay.void",
        "bereavement.record",
        "bereavement.refer",
        "hospice.refer",
        "hospice.update",
        "coordination.order",
        "schedule.book",
        "schedule.cancel",
        "schedule.no_show",
        "message.reply",
        "portal.manage",
    ]
    assert not privileges.can(user, "note.sign")


def test_the_message_names_who_may_act_instead(world):
    with pytest.raises(PrivilegeDenied) as refused:
        privileges.privilege_check(
            User(program=world.riverside, role=Role.CLINICIAN, discipline="volunteer"),
            "code_status.change",
        )
    assert str(refused.value) == (
        "A volunteer may not change the code status. "
        "Ask a physician, nurse practitioner, nurse or nurse navigator."
    )
    with pytest.raises(PrivilegeDenied, match=r"^An intake coordinator may not add a medication"):
        privileges.privilege_check(
            User(program=world.riverside, role=Role.INTAKE_COORDINATOR, discipline="nurse"),
            "medication.add",
        )


def test_a_program_narrows_a_privilege_and_cannot_widen_one(world):
    program = world.riverside
    program.settings = {
        "clinical_privileges": {
            "code_status.change": {"disciplines": ["physician", "nurse_practitioner", "volunteer"]}
        }
    }
    program.save()
    nurse = User(program=program, role=Role.CLINICIAN, discipline="nurse")
    volunteer = User(program=program, role=Role.CLINICIAN, discipline="volunteer")
    assert not privileges.can(nurse, "code_status.change")
    assert privileges.can(nurse, "code_status.record")  # only the named action narrows
    assert not privileges.can(volunteer, "code_status.change")  # never added
    # Voiding follows what the program left to those who change it.
    assert not privileges.can(nurse, "code_status.void")
    with pytest.raises(PrivilegeDenied, match=r"Ask a physician or nurse practitioner\.$"):
        privileges.privilege_check(nurse, "code_status.change")
    assert privileges.override_problems(program.settings["clinical_privileges"]) == [
        "code_status.change: volunteer cannot be added; a program can only remove."
    ]


def test_a_new_program_with_a_widening_setting_is_refused(db):
    with pytest.raises(ValidationError, match="cannot be added"):
        program_create(
            name="Wide",
            slug="wide",
            settings={"clinical_privileges": {"medication.add": {"disciplines": ["volunteer"]}}},
        )
