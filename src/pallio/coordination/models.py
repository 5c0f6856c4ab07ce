"""Coordination of services (issue 12, requirement 8): the program's directory of agencies
and vendors, and the orders and outbound referrals the team makes for a patient (medical
equipment, home health, aides, meals, transport, referrals out), each with its agency, its
status and the history of every change.

An order moves only along NEXT_STATUSES: requested, then ordered, then delivered or started;
declined or cancelled (with the reason) from any open step. An order the agency has not
confirmed by ``confirm_by`` gets one follow-up task for the care coordinator (services.py).
"""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from pallio.coordination.catalog import agency_kind_choices, order_kind_choices, order_kinds
from pallio.core.models import TimeStampedModel, VersionedModel


class Agency(VersionedModel):
    """An agency, vendor or group the program works with. ``areas`` are the towns and postal
    codes it serves, as typed; ``area_keys`` the same lower-cased between bars
    ("|cambridge|02139|") so one lookup finds an exact town or code on any database."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=agency_kind_choices())
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    areas = models.CharField(max_length=1000, blank=True)
    area_keys = models.CharField(max_length=1100, blank=True, editable=False)
    notes = models.TextField(max_length=2000, blank=True)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["program", "kind", "active"])]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "kind", "name"], name="coordination_agency_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def area_list(self) -> list[str]:
        return [a.strip() for a in self.areas.split(",") if a.strip()]


class OrderStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ORDERED = "ordered", "Ordered"
    DONE = "done", "Delivered or started"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (OrderStatus.REQUESTED, OrderStatus.ORDERED)
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    OrderStatus.REQUESTED: (OrderStatus.ORDERED, OrderStatus.DECLINED, OrderStatus.CANCELLED),
    OrderStatus.ORDERED: (OrderStatus.DONE, OrderStatus.DECLINED, OrderStatus.CANCELLED),
}


class CoordinationOrder(VersionedModel):
    """One order or outbound referral for a patient, from the program's directory."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="coordination_orders"
    )
    kind = models.CharField(max_length=20, choices=order_kind_choices())
    item = models.CharField(max_length=40)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        max_length=10, choices=OrderStatus.choices, default=OrderStatus.REQUESTED
    )
    requested_on = models.DateField()
    needed_by = models.DateField(null=True, blank=True)
    ordered_on = models.DateField(null=True, blank=True)
    done_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    # The day the agency should have confirmed it by (the item's follow-up days after the
    # request); the follow-up task made once it has passed unconfirmed.
    confirm_by = models.DateField()
    follow_up_task = models.OneToOneField(
        "careplans.Task", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(max_length=2000, blank=True)
    close_reason = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_on", "-created_at"]
        indexes = [
            models.Index(fields=["program", "status", "confirm_by"]),
            models.Index(fields=["patient", "-requested_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=["declined", "cancelled"])
                | ~models.Q(close_reason=""),
                name="coordination_order_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(confirm_by__gte=models.F("requested_on")),
                name="coordination_order_confirm_after_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_label} ({self.requested_on:%Y-%m-%d})"

    @property
    def item_label(self) -> str:
        entry = order_kinds().get(self.kind)
        item = entry.items.get(self.item) if entry else None
        return item.label if item else self.item

    @property
    def kind_label(self) -> str:
        entry = order_kinds().get(self.kind)
        return entry.label if entry else self.kind

    @property
    def done_label(self) -> str:
        entry = order_kinds().get(self.kind)
        return entry.done if entry else OrderStatus.DONE.label

    @property
    def status_label(self) -> str:
        return self.done_label if self.status == OrderStatus.DONE else self.get_status_display()

    @property
    def next_statuses(self) -> tuple[str, ...]:
        return NEXT_STATUSES.get(self.status, ())

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class OrderEvent(TimeStampedModel):
    """One change of an order's status: who recorded it, for which day, and why."""

    order = models.ForeignKey(CoordinationOrder, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=10, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=OrderStatus.choices)
    occurred_on = models.DateField()
    reason = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at"]

    @property
    def status_label(self) -> str:
        if self.to_status == OrderStatus.DONE:
            return self.order.done_label
        return self.get_to_status_display()
