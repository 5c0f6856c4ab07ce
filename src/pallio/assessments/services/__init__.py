"""Every write of the assessments domain, by concern: the instrument catalogue (catalogue),
symptom reports and the alert rules they are judged by (reports), the phase of care (phases)
and the comprehensive assessment (comprehensive).
"""

from __future__ import annotations

from pallio.assessments.services.batch import reports_evaluate, reports_evaluate_pending
from pallio.assessments.services.catalogue import (
    instrument_for_program,
    instrument_upload,
    instruments_sync_shipped,
)
from pallio.assessments.services.comprehensive import (
    DOMAIN_OWNERS,
    addendum_add,
    assessment_section_save,
    assessment_sign,
    assessment_start,
    domain_action,
    domains_for,
    may_write_domain,
)
from pallio.assessments.services.phases import CLOCK_SKEW, phase_record
from pallio.assessments.services.reports import (
    ONE_OPEN_PER_PATIENT,
    ReportInput,
    alert_acknowledge,
    alert_due_at,
    alert_raise,
    alert_resolve,
    alert_rules_sync_defaults,
    contact_report_submit,
    missing_reports_check,
    report_evaluate,
    report_privilege_check,
    report_record,
    report_submit,
    report_validate,
    rules_for,
    unstable_phases_check,
)

__all__ = [
    "CLOCK_SKEW",
    "DOMAIN_OWNERS",
    "ONE_OPEN_PER_PATIENT",
    "ReportInput",
    "addendum_add",
    "alert_acknowledge",
    "alert_due_at",
    "alert_raise",
    "alert_resolve",
    "alert_rules_sync_defaults",
    "assessment_section_save",
    "assessment_sign",
    "assessment_start",
    "contact_report_submit",
    "domain_action",
    "domains_for",
    "instrument_for_program",
    "instrument_upload",
    "instruments_sync_shipped",
    "may_write_domain",
    "missing_reports_check",
    "phase_record",
    "report_evaluate",
    "report_privilege_check",
    "report_record",
    "report_submit",
    "report_validate",
    "reports_evaluate",
    "reports_evaluate_pending",
    "rules_for",
    "unstable_phases_check",
]
