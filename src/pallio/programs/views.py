"""The program administrator's pages: the program's settings, and the public referral form's
addresses with a printable poster. Parse, call the service, render."""

from __future__ import annotations

import base64
from io import BytesIO
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from pallio.core import access
from pallio.core.access import staff_view
from pallio.core.codes import SERIOUS_GROUP_LABELS
from pallio.programs import forms
from pallio.programs.models import Program
from pallio.programs.services import program_update_settings


def _staff(program: Program) -> list[Any]:
    """Who may be named the on-call clinician for alerts: the program's clinical staff."""
    return list(
        get_user_model()
        .objects.filter(program=program, is_active=True, role__in=access.CLINICAL_ROLES)
        .order_by("last_name", "first_name", "username")
    )


def _code_groups(form: forms.ProgramSettingsForm) -> list[dict[str, Any]]:
    """Each serious-illness group with its fields and the plain names of its codes."""
    groups = []
    for group in forms.GROUPS:
        codes_field = form[f"codes_{group}"]
        codes = forms.codes_parse(str(codes_field.value() or ""))
        groups.append(
            {
                "label": SERIOUS_GROUP_LABELS[group],
                "accept": form[f"accept_{group}"],
                "codes": codes_field,
                "names": forms.code_names(codes),
            }
        )
    return groups


@staff_view("program.manage")
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    program = user.program
    staff = _staff(program)
    if request.method == "POST":
        form = forms.ProgramSettingsForm(request.POST, program=program, staff=staff)
        if form.is_valid():
            try:
                changed = program_update_settings(
                    actor=user, program=program, changes=form.changes()
                )
            except ValidationError as exc:
                form.place_errors(exc)
            else:
                if changed:
                    messages.success(request, "The program's settings are saved.")
                else:
                    messages.info(request, "Nothing was changed.")
                return redirect("programs:settings")
    else:
        form = forms.ProgramSettingsForm(program=program, staff=staff)
    letters = [form[f"letter_{kind}"] for kind in forms.setting_checks.LETTER_KINDS]
    return render(
        request,
        "programs/settings.html",
        {
            "form": form,
            "program": program,
            "code_groups": _code_groups(form),
            "clocks": [form[name] for name, _, _ in forms.CLOCKS],
            "alerts": [form[name] for name, _, _ in forms.ALERTS],
            "letters": letters,
            "time_zones": forms.TIME_ZONES,
        },
        status=400 if form.errors else 200,
    )


def _addresses(request: HttpRequest, program: Program) -> dict[str, str]:
    return {
        "provider": request.build_absolute_uri(
            reverse("referrals:provider", kwargs={"slug": program.slug})
        ),
        "self": request.build_absolute_uri(
            reverse("referrals:self", kwargs={"slug": program.slug})
        ),
    }


def qr_data_uri(text: str) -> str:
    """A QR code of `text` as an SVG image address for an <img> (scales to any print size)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@staff_view("program.manage")
@require_GET
def referral_form(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    return render(
        request,
        "programs/referral_form.html",
        {"program": user.program, "addresses": _addresses(request, user.program)},
    )


@staff_view("program.manage")
@require_GET
def poster(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    addresses = _addresses(request, user.program)
    return render(
        request,
        "programs/poster.html",
        {
            "program": user.program,
            "addresses": addresses,
            "provider_qr": qr_data_uri(addresses["provider"]),
            "self_qr": qr_data_uri(addresses["self"]),
        },
    )
