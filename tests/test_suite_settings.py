"""The suite itself: property tests never fail on a slow machine; committed data is emptied."""

from __future__ import annotations

from hypothesis import settings


def test_property_tests_have_no_deadline():
    # A deadline turns a busy CI machine into a failed test (issue: a Hypothesis deadline
    # failed on a loaded machine); the profile in conftest.py removes it everywhere.
    assert settings.default.deadline is None


def test_the_flush_after_a_committing_test_empties_every_table(
    transactional_db, audit_trail_deletable
):
    # Tests that commit end with a flush (tests/support/flush.py deletes the rows on
    # PostgreSQL): rows linked by foreign keys, made in any order, are all gone after it.
    from django.apps import apps
    from django.core.management import call_command

    from tests.support.personas import build_world

    build_world()
    filled = [m for m in apps.get_models() if m._meta.managed and m.objects.exists()]
    assert len(filled) > 5
    call_command(
        "flush", verbosity=0, interactive=False, reset_sequences=False, inhibit_post_migrate=True
    )
    assert [m._meta.label for m in filled if m.objects.exists()] == []
