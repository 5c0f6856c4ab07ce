from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _shipped_data(request: Any) -> None:
    """The shipped note templates and instruments are loaded after migrate; a committed
    test's flush empties them, so tests with a database load them again (a no-op when
    present)."""
    if "world" not in request.fixturenames:
        return
    request.getfixturevalue("world")
    from pallio.assessments.services import instruments_sync_shipped
    from pallio.visits.services import note_templates_sync_shipped

    instruments_sync_shipped()
    note_templates_sync_shipped()
