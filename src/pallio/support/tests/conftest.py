from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _shipped_instruments(db):
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped

    instruments_sync_shipped()
    alert_rules_sync_defaults()
