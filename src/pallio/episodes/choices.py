"""The coded choices of the episodes models: reporting cadence, discharge reasons, stay kinds
and dispositions, stay review reasons, bereavement contacts and services, hospice referral
statuses and their allowed next steps, package delivery and place of death."""

from __future__ import annotations

from django.db import models


class ReportingCadence(models.TextChoices):
    """How often the team expects a symptom report from the patient (CLINICAL.md section 1:
    weekly, every two weeks, or as needed)."""

    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Every 2 weeks"
    NONE = "none", "None expected (as needed)"


# The days between expected reports; a cadence not listed expects none.
CADENCE_DAYS: dict[str, int] = {ReportingCadence.WEEKLY: 7, ReportingCadence.FORTNIGHTLY: 14}


class DischargeReason(models.TextChoices):
    """Why an episode ended (episodes/discharge.py)."""

    GOALS_MET = "goals_met", "Goals met, stable"
    MOVED_AWAY = "moved_away", "Moved away"
    HOSPICE = "hospice", "Admitted to hospice"
    DECLINED = "declined", "Declined further care"
    DEATH = "death", "Died"
    OTHER = "other", "Other reason"


# --- hospital and emergency-department stays -------------------------------------------------


class StayKind(models.TextChoices):
    EMERGENCY = "emergency", "Emergency department visit"
    INPATIENT = "inpatient", "Inpatient admission"
    OBSERVATION = "observation", "Observation stay"


class StayDisposition(models.TextChoices):
    """Where the person went when the stay ended."""

    HOME = "home", "Home"
    HOME_WITH_SERVICES = "home_with_services", "Home with services"
    NURSING_FACILITY = "nursing_facility", "Nursing facility"
    HOSPICE = "hospice", "Hospice"
    DIED = "died", "Died in hospital"
    AGAINST_ADVICE = "against_advice", "Left against medical advice"
    OTHER = "other", "Other"


class StaySource(models.TextChoices):
    """How the team learned of the stay."""

    STAFF = "staff", "Recorded by staff"
    FHIR = "fhir", "Received as a FHIR Encounter"
    HL7_ADT = "hl7_adt", "Received as an HL7 ADT message"


class StayReviewReason(models.TextChoices):
    ICU = "icu", "Cared for in intensive care"
    INTUBATION = "intubation", "Intubated (breathing machine)"
    CPR = "cpr", "Had CPR"
    HOSPITAL_DEATH = "hospital_death", "Died in hospital"


class BereavementContactKind(models.TextChoices):
    CARD = "card", "Condolence card"
    CALL = "call", "Telephone call"
    VISIT = "visit", "Visit"
    GROUP = "group", "Support group"


class BereavementOutcome(models.TextChoices):
    REACHED = "reached", "Reached the family"
    NO_ANSWER = "no_answer", "No answer"
    DECLINED = "declined", "Family declined further contact"


class BereavementService(models.TextChoices):
    COUNSELLING = "counselling", "Bereavement counselling"
    SUPPORT_GROUP = "support_group", "Bereavement support group"


class HospiceReferralStatus(models.TextChoices):
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    ADMITTED = "admitted", "Admitted"
    DECLINED = "declined", "Declined"


# What may follow each status of a hospice referral; admitted and declined are final.
HOSPICE_NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    HospiceReferralStatus.SENT: (
        HospiceReferralStatus.ACCEPTED,
        HospiceReferralStatus.ADMITTED,
        HospiceReferralStatus.DECLINED,
    ),
    HospiceReferralStatus.ACCEPTED: (
        HospiceReferralStatus.ADMITTED,
        HospiceReferralStatus.DECLINED,
    ),
    HospiceReferralStatus.ADMITTED: (),
    HospiceReferralStatus.DECLINED: (),
}


class PackageDelivery(models.TextChoices):
    NOT_EMAILED = "", "Not emailed"
    QUEUED = "queued", "Waiting to be emailed"
    SENT = "sent", "Emailed"
    FAILED = "failed", "Not delivered yet"
    # Never sent, and never will be: the patient died before it went.
    WITHHELD = "withheld", "Not sent"


class DeathPlace(models.TextChoices):
    """Where the patient died (episodes/death.py)."""

    HOME = "home", "Home"
    NURSING_HOME = "nursing_home", "Nursing home"
    HOSPITAL_WARD = "hospital_ward", "Hospital ward"
    ICU = "icu", "Intensive care unit"
    EMERGENCY = "emergency", "Emergency department"
    HOSPICE_UNIT = "hospice_unit", "Hospice inpatient unit"
    OTHER = "other", "Somewhere else"
