"""The suite itself: property tests never fail on a slow machine."""

from __future__ import annotations

from hypothesis import settings


def test_property_tests_have_no_deadline():
    # A deadline turns a busy CI machine into a failed test (issue: a Hypothesis deadline
    # failed on a loaded machine); the profile in conftest.py removes it everywhere.
    assert settings.default.deadline is None
