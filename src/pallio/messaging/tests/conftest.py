from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _alert_rules(request: Any) -> None:
    """The alert rules are data loaded on migrate; a committed test's flush empties them."""
    if "world" not in request.fixturenames:
        return
    request.getfixturevalue("world")
    from pallio.assessments.services import alert_rules_sync_defaults

    alert_rules_sync_defaults()
