from __future__ import annotations

import pytest

from pallio.core import clock
from pallio.episodes.tests.hospice_samples import NOW


@pytest.fixture
def frozen_now():
    with clock.frozen(NOW):
        yield NOW


@pytest.fixture
def hworld(frozen_now, db):
    """The test world, built on a fixed day so that dates in the tests never depend on the
    hour they run at."""
    from tests.support.personas import build_world

    return build_world()
