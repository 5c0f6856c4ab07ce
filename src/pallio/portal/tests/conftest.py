from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _shipped_instruments(request: Any) -> None:
    """The shipped instruments and alert rules, loaded again after a committed test's flush
    (a no-op when present)."""
    if "world" not in request.fixturenames:
        return
    request.getfixturevalue("world")
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped

    instruments_sync_shipped()
    alert_rules_sync_defaults()
