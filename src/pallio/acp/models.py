"""Goals of care and advance care planning (CLINICAL.md section 8).

Every record here is clinical: nothing is deleted or overwritten. Wrong entries are marked
entered-in-error with who and why; signed conversations are immutable (later thoughts are
addenda); code status and portable orders keep every version.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from simple_history.models import HistoricalRecords

from pallio.core.codes import PALLIO
from pallio.core.models import EnteredInError, TimeStampedModel, VersionedModel

GOAL_FOCUS_SYSTEM = f"{PALLIO}/goals-of-care-focus"
CODE_STATUS_SYSTEM = f"{PALLIO}/code-status"
TREATMENT_CATEGORY_SYSTEM = f"{PALLIO}/treatment-preference-category"
TREATMENT_CHOICE_SYSTEM = f"{PALLIO}/treatment-preference-choice"
PLACE_SYSTEM = f"{PALLIO}/preferred-place"
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"


class GoalFocus(models.TextChoices):
    """The overall direction of care the person chose, as a Pallio code."""

    LIFE_PROLONGING = "life-prolonging", "Life-prolonging: all appropriate treatment"
    BALANCED = "balanced", "Balanced: treatment with limits"
    COMFORT = "comfort-focused", "Comfort-focused"


class GoalsOfCareConversation(VersionedModel, EnteredInError):
    """A serious-illness conversation: draft, then signed and immutable."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="goc_conversations"
    )
    episode = models.ForeignKey(
        "episodes.EpisodeOfCare", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    held_at = models.DateTimeField()
    # [{"name": "...", "role": "..."}]: the patient, family, clinicians present.
    participants = models.JSONField(default=list)
    understanding = models.TextField("Understanding of the illness", blank=True)
    information_preferences = models.TextField("Information preferences", blank=True)
    prognosis_shared = models.TextField("Prognosis shared", blank=True)
    goals = models.TextField("Goals", blank=True)
    fears_worries = models.TextField("Fears and worries", blank=True)
    sources_of_strength = models.TextField("Sources of strength", blank=True)
    critical_abilities = models.TextField("Critical abilities", blank=True)
    acceptable_tradeoffs = models.TextField("Trade-offs they would accept", blank=True)
    family_knowledge = models.TextField("What the family knows", blank=True)
    goal_focus = models.CharField(max_length=20, choices=GoalFocus.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    # The nine parts of the serious-illness conversation, in the order they are held.
    SECTIONS = (
        "understanding",
        "information_preferences",
        "prognosis_shared",
        "goals",
        "fears_worries",
        "sources_of_strength",
        "critical_abilities",
        "acceptable_tradeoffs",
        "family_knowledge",
    )

    class Meta:
        ordering = ["-held_at"]
        indexes = [
            models.Index(fields=["patient", "status", "held_at"]),
            models.Index(fields=["program", "status"]),
        ]

    def __str__(self) -> str:
        return f"Goals-of-care conversation {self.held_at:%Y-%m-%d}"

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED

    @property
    def goal_focus_coding(self) -> tuple[str, str, str]:
        return GOAL_FOCUS_SYSTEM, self.goal_focus, str(GoalFocus(self.goal_focus).label)

    def sections(self) -> list[tuple[str, str]]:
        labels = {f.name: str(f.verbose_name) for f in self._meta.fields}
        return [(labels[n], getattr(self, n)) for n in self.SECTIONS]


class ConversationAddendum(TimeStampedModel):
    """A later addition to a signed conversation: the original stays as it was signed."""

    conversation = models.ForeignKey(
        GoalsOfCareConversation, on_delete=models.PROTECT, related_name="addenda"
    )
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    text = models.TextField(max_length=4000)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Addendum {self.created_at:%Y-%m-%d %H:%M}"


class DirectiveKind(models.TextChoices):
    LIVING_WILL = "living_will", "Living will"
    HEALTHCARE_POA = "healthcare_poa", "Healthcare power of attorney"
    PORTABLE_ORDER = "portable_order", "POLST / MOLST form (scan)"
    OTHER = "other", "Other advance directive"


class AdvanceDirectiveDocument(TimeStampedModel, EnteredInError):
    """A scanned or uploaded directive, stored outside the web root under a random name."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="directive_documents"
    )
    kind = models.CharField(max_length=20, choices=DirectiveKind.choices)
    document_date = models.DateField()
    source = models.CharField(max_length=200, help_text="Where the document came from")
    file = models.FileField(upload_to="acp/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-document_date", "-created_at"]
        indexes = [models.Index(fields=["patient", "kind", "document_date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.document_date:%Y-%m-%d})"


class Relationship(models.TextChoices):
    """How an agent is related to the person (HL7 v3 RoleCode)."""

    SPS = "SPS", "Spouse"
    DOMPART = "DOMPART", "Domestic partner"
    CHILD = "CHILD", "Child"
    PRN = "PRN", "Parent"
    SIB = "SIB", "Sibling"
    GRNDCHILD = "GRNDCHILD", "Grandchild"
    FAMMEMB = "FAMMEMB", "Other family member"
    FRND = "FRND", "Friend"


class HealthcareAgent(VersionedModel, EnteredInError):
    """The person named to make healthcare decisions (rank 0) and the alternates (1, 2...)."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="healthcare_agents"
    )
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=10, choices=Relationship.choices)
    rank = models.PositiveSmallIntegerField(default=0)
    phone = models.CharField(max_length=32, blank=True)
    alternate_phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    naming_document = models.ForeignKey(
        AdvanceDirectiveDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agents_named",
    )
    verified = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["rank", "created_at"]
        indexes = [models.Index(fields=["patient", "entered_in_error", "rank"])]

    def __str__(self) -> str:
        return self.name

    @property
    def rank_label(self) -> str:
        return "Healthcare agent" if self.rank == 0 else f"Alternate {self.rank}"


class CodeStatusValue(models.TextChoices):
    FULL_CODE = "full_code", "Full code"
    DNR = "dnr", "DNR (do not resuscitate)"
    DNR_DNI = "dnr_dni", "DNR/DNI (do not resuscitate, do not intubate)"
    COMFORT = "comfort_focused", "Comfort-focused care"


class CodeStatus(TimeStampedModel, EnteredInError):
    """One entry in the patient's code-status history. A change adds a row; none is edited.

    The current status is the newest entry not entered in error. `replaces` is the entry the
    recorder saw as current, so a change made against an older view is refused.
    """

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="code_statuses"
    )
    status = models.CharField(max_length=16, choices=CodeStatusValue.choices)
    effective_date = models.DateField()
    note = models.CharField(max_length=500, blank=True)
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "entered_in_error", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_status_display()} from {self.effective_date:%Y-%m-%d}"

    @property
    def recorded_at(self) -> Any:
        return self.created_at


class PortableOrder(TimeStampedModel, EnteredInError):
    """A portable medical order (POLST/MOLST) version. A new version supersedes the last."""

    class FormType(models.TextChoices):
        POLST = "POLST", "POLST"
        MOLST = "MOLST", "MOLST"
        MOST = "MOST", "MOST"
        POST = "POST", "POST"

    class Cpr(models.TextChoices):
        ATTEMPT = "attempt", "Attempt resuscitation (CPR)"
        DO_NOT_ATTEMPT = "do_not_attempt", "Do not attempt resuscitation (DNR)"

    class Interventions(models.TextChoices):
        FULL = "full", "Full treatment"
        SELECTIVE = "selective", "Selective treatment"
        COMFORT = "comfort", "Comfort-focused treatment"

    class Nutrition(models.TextChoices):
        LONG_TERM = "long_term", "Long-term artificial nutrition"
        TRIAL = "trial", "Trial period of artificial nutrition"
        NONE = "none", "No artificial nutrition"
        NOT_ADDRESSED = "not_addressed", "Not addressed"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="portable_orders"
    )
    form_type = models.CharField(max_length=8, choices=FormType.choices)
    version_number = models.PositiveIntegerField()
    signer_name = models.CharField(max_length=200)
    signer_role = models.CharField(max_length=100)
    effective_date = models.DateField()
    cpr = models.CharField("CPR", max_length=16, choices=Cpr.choices)
    medical_interventions = models.CharField(max_length=12, choices=Interventions.choices)
    artificial_nutrition = models.CharField(max_length=16, choices=Nutrition.choices)
    document = models.ForeignKey(
        AdvanceDirectiveDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    superseded_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="supersedes"
    )
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-version_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "version_number"], name="portable_order_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.form_type} version {self.version_number}"

    @property
    def is_superseded(self) -> bool:
        return self.superseded_by_id is not None


class TreatmentCategory(models.TextChoices):
    RESUSCITATION = "resuscitation", "Resuscitation (CPR)"
    VENTILATION = "ventilation", "Mechanical ventilation"
    HOSPITALIZATION = "hospitalization", "Hospitalization"
    ARTIFICIAL_NUTRITION = "artificial_nutrition", "Artificial nutrition"
    ANTIBIOTICS = "antibiotics", "Antibiotics"


class TreatmentChoice(models.TextChoices):
    WANTS = "wants", "Wants"
    DOES_NOT_WANT = "does_not_want", "Does not want"
    TRIAL = "trial", "Time-limited trial"
    UNDECIDED = "undecided", "Undecided"


class TreatmentPreference(VersionedModel):
    """The person's wish about one kind of treatment. Changes keep their history."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_preferences"
    )
    category = models.CharField(max_length=24, choices=TreatmentCategory.choices)
    choice = models.CharField(max_length=16, choices=TreatmentChoice.choices)
    note = models.CharField(max_length=500, blank=True)
    stated_on = models.DateField()
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["category"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "category"], name="treatment_preference_one_per_category"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.get_choice_display()}"


class Place(models.TextChoices):
    HOME = "home", "Home"
    NURSING_HOME = "nursing_home", "Nursing home"
    HOSPITAL = "hospital", "Hospital"
    HOSPICE_UNIT = "hospice_unit", "Hospice inpatient unit"
    OTHER = "other", "Other"


class PlacePreference(VersionedModel):
    """Where the person wishes to be cared for and to die, and the plan to make it possible."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="place_preference"
    )
    place_of_care = models.CharField(max_length=16, choices=Place.choices, blank=True)
    place_of_death = models.CharField(max_length=16, choices=Place.choices, blank=True)
    other_detail = models.CharField(max_length=200, blank=True)
    support_plan = models.TextField(blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Care: {self.place_of_care or '-'}; death: {self.place_of_death or '-'}"
