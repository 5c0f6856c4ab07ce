"""Forms for goals of care and advance care planning. They parse; the rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms

from pallio.acp.models import (
    CodeStatusValue,
    DirectiveKind,
    GoalFocus,
    GoalsOfCareConversation,
    Place,
    PortableOrder,
    Relationship,
    TreatmentCategory,
    TreatmentChoice,
)
from pallio.acp.services import AgentInput, ConversationInput, PortableOrderInput

PARTICIPANT_ROWS = 5


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%dT%H:%M")
        super().__init__(**kwargs)


def _text(label: str, help_text: str = "", rows: int = 2) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=4000,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ConversationForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    held_at = forms.DateTimeField(
        label="When the conversation took place",
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    understanding = _text(
        "Understanding of the illness", "What the person understands about their illness."
    )
    information_preferences = _text(
        "Information preferences", "How much information they want, and how."
    )
    prognosis_shared = _text("Prognosis shared", "What was shared about what lies ahead.")
    goals = forms.CharField(
        label="Goals",
        max_length=4000,
        help_text="What matters most if their health worsens.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    fears_worries = _text("Fears and worries")
    sources_of_strength = _text("Sources of strength")
    critical_abilities = _text(
        "Critical abilities", "Abilities so important they cannot imagine living without them."
    )
    acceptable_tradeoffs = _text(
        "Trade-offs they would accept", "What they would go through for the chance of more time."
    )
    family_knowledge = _text("What the family knows")
    goal_focus = forms.ChoiceField(
        label="Overall focus of care",
        choices=[("", "Choose..."), *GoalFocus.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(PARTICIPANT_ROWS):
            self.fields[f"participant_{n}_name"] = forms.CharField(
                label=f"Participant {n + 1}: name", max_length=200, required=False
            )
            self.fields[f"participant_{n}_role"] = forms.CharField(
                label=f"Participant {n + 1}: relationship or role",
                max_length=100,
                required=False,
            )

    @classmethod
    def initial_from(cls, conversation: GoalsOfCareConversation) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "version": conversation.version,
            "held_at": conversation.held_at,
            "goal_focus": conversation.goal_focus,
        }
        for name in GoalsOfCareConversation.SECTIONS:
            initial[name] = getattr(conversation, name)
        for n, person in enumerate(conversation.participants[:PARTICIPANT_ROWS]):
            initial[f"participant_{n}_name"] = person.get("name", "")
            initial[f"participant_{n}_role"] = person.get("role", "")
        return initial

    def participant_rows(self) -> list[tuple[Any, Any]]:
        return [
            (self[f"participant_{n}_name"], self[f"participant_{n}_role"])
            for n in range(PARTICIPANT_ROWS)
        ]

    def section_fields(self) -> list[Any]:
        return [self[name] for name in GoalsOfCareConversation.SECTIONS]

    def to_input(self) -> ConversationInput:
        data = self.cleaned_data
        participants = [
            {"name": data[f"participant_{n}_name"], "role": data[f"participant_{n}_role"]}
            for n in range(PARTICIPANT_ROWS)
        ]
        return ConversationInput(
            held_at=data["held_at"],
            goal_focus=data["goal_focus"],
            participants=participants,
            **{name: data.get(name, "") for name in GoalsOfCareConversation.SECTIONS},
        )


class AddendumForm(forms.Form):
    reason = forms.CharField(label="Reason for the addendum", max_length=300)
    text = forms.CharField(
        label="Addendum", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConfirmForm(forms.Form):
    """A button with nothing to fill in (e.g. "Mark verified")."""


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label="Why is this entry wrong?",
        max_length=300,
        help_text="The entry stays visible, marked as entered in error, with your name.",
    )


class AgentForm(forms.Form):
    name = forms.CharField(label="Full name", max_length=200)
    relationship = forms.ChoiceField(
        label="Relationship", choices=[("", "Choose..."), *Relationship.choices]
    )
    rank = forms.TypedChoiceField(
        label="Role",
        coerce=int,
        choices=[
            (0, "Healthcare agent"),
            (1, "Alternate 1"),
            (2, "Alternate 2"),
            (3, "Alternate 3"),
        ],
    )
    phone = forms.CharField(label="Phone", max_length=32, required=False)
    alternate_phone = forms.CharField(label="Other phone", max_length=32, required=False)
    email = forms.EmailField(label="Email", required=False)
    address = forms.CharField(label="Address", max_length=300, required=False)
    naming_document = forms.ChoiceField(
        label="Document that names them", required=False, choices=[("", "None on file")]
    )

    def __init__(self, *args: Any, documents: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["naming_document"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "None on file")] + [
            (str(d.pk), f"{d.get_kind_display()} ({d.document_date:%d %b %Y})")
            for d in documents
            if not d.entered_in_error
        ]

    def to_input(self) -> AgentInput:
        data = self.cleaned_data
        return AgentInput(
            name=data["name"],
            relationship=data["relationship"],
            rank=data["rank"],
            phone=data.get("phone", ""),
            alternate_phone=data.get("alternate_phone", ""),
            email=data.get("email", ""),
            address=data.get("address", ""),
        )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label="Type of document", choices=DirectiveKind.choices)
    document_date = forms.DateField(label="Date of the document", widget=DateInput)
    source = forms.CharField(
        label="Source",
        max_length=200,
        help_text="Where it came from, e.g. the patient's lawyer or the hospital record.",
    )
    file = forms.FileField(
        label="File (PDF, PNG or JPEG)",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )


class CodeStatusForm(forms.Form):
    current_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    status = forms.ChoiceField(
        label="Code status", choices=[("", "Choose..."), *CodeStatusValue.choices]
    )
    effective_date = forms.DateField(label="Effective date", widget=DateInput)
    note = forms.CharField(label="Note", max_length=500, required=False)


class PortableOrderForm(forms.Form):
    current_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    form_type = forms.ChoiceField(label="Form", choices=PortableOrder.FormType.choices)
    signer_name = forms.CharField(label="Signed by", max_length=200)
    signer_role = forms.CharField(
        label="Signer's role", max_length=100, help_text="e.g. physician, nurse practitioner"
    )
    effective_date = forms.DateField(label="Effective date", widget=DateInput)
    cpr = forms.ChoiceField(label="Section A: CPR", choices=PortableOrder.Cpr.choices)
    medical_interventions = forms.ChoiceField(
        label="Section B: medical interventions", choices=PortableOrder.Interventions.choices
    )
    artificial_nutrition = forms.ChoiceField(
        label="Section C: artificial nutrition", choices=PortableOrder.Nutrition.choices
    )

    def to_input(self) -> PortableOrderInput:
        data = self.cleaned_data
        return PortableOrderInput(
            form_type=data["form_type"],
            signer_name=data["signer_name"],
            signer_role=data["signer_role"],
            effective_date=data["effective_date"],
            cpr=data["cpr"],
            medical_interventions=data["medical_interventions"],
            artificial_nutrition=data["artificial_nutrition"],
        )


class TreatmentPreferenceForm(forms.Form):
    """One category's preference; each row of the page is one such form, prefixed by its
    category so that field ids stay unique."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    choice = forms.ChoiceField(label="Wish", choices=TreatmentChoice.choices)
    stated_on = forms.DateField(label="Stated on", widget=DateInput)
    note = forms.CharField(label="Note", max_length=500, required=False)


class PlacePreferenceForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    place_of_care = forms.ChoiceField(
        label="Preferred place of care",
        choices=[("", "Not discussed"), *Place.choices],
        required=False,
    )
    place_of_death = forms.ChoiceField(
        label="Preferred place of death",
        choices=[("", "Not discussed"), *Place.choices],
        required=False,
    )
    other_detail = forms.CharField(label="Other place (say which)", max_length=200, required=False)
    support_plan = forms.CharField(
        label="Plan to support it",
        max_length=2000,
        required=False,
        help_text="Services, equipment and caregivers that make the preferred place possible.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


TREATMENT_CATEGORIES = TreatmentCategory.values
