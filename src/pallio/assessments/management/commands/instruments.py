"""`pallio instruments reload`: load the shipped instruments and default alert rules again
(migrate does it too); `pallio instruments list`; `pallio instruments check FILE` checks a
Questionnaire the way an upload is checked."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pallio.assessments.instruments import InstrumentError, parse_questionnaire_bytes
from pallio.assessments.models import Instrument
from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped


class Command(BaseCommand):
    help = "Reload, list or check assessment instruments."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("reload", help="load the shipped instruments and default alert rules")
        sub.add_parser("list", help="list the instruments in the database")
        check = sub.add_parser("check", help="check a FHIR Questionnaire file")
        check.add_argument("path")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "reload":
            with transaction.atomic():
                created, updated = instruments_sync_shipped()
                rules_created, rules_updated = alert_rules_sync_defaults()
            self.stdout.write(
                f"instruments: {created} added, {updated} updated; "
                f"alert rules: {rules_created} added, {rules_updated} updated"
            )
        elif action == "list":
            for row in Instrument.objects.select_related("program").order_by("key"):
                owner = row.program.slug if row.program else "shipped"
                self.stdout.write(f"{row.key:24} {row.version:6} {owner:12} {row.title}")
        else:
            try:
                _, spec = parse_questionnaire_bytes(Path(options["path"]).read_bytes())
            except OSError as exc:
                raise CommandError(str(exc)) from None
            except InstrumentError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            scales = ", ".join(s.name for s in spec.scales)
            self.stdout.write(f"{spec.key}: {len(spec.items)} items; scales {scales}")
