"""FHIR R4 OperationOutcome for refused resources: one issue per plain sentence, with the
FHIRPath it is about when there is one."""

from __future__ import annotations

from typing import Any


def operation_outcome(problems: list[tuple[str, str]], *, code: str = "invalid") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": code,
                "diagnostics": message,
                **({"expression": [where]} if where else {}),
            }
            for where, message in problems
        ],
    }
