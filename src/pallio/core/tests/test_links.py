"""Row links (core/links.py): the same address `reverse` writes, one reverse per page."""

from __future__ import annotations

import uuid

import pytest
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from pallio.core.links import row_link


@pytest.mark.parametrize(
    ("viewname", "kwarg"),
    [("patients:chart", "patient_id"), ("assessments:trends", "patient_id")],
)
def test_a_row_link_is_the_address_reverse_writes(viewname, kwarg):
    link = row_link(viewname, kwarg)
    for value in (uuid.uuid4(), uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)):
        assert link(value) == reverse(viewname, kwargs={kwarg: value})


def test_a_row_link_keeps_the_script_prefix():
    value = uuid.uuid4()
    set_script_prefix("/palliative/")
    try:
        link = row_link("patients:chart", "patient_id")
        assert link(value) == f"/palliative/patients/{value}/"
        assert link(value) == reverse("patients:chart", kwargs={"patient_id": value})
    finally:
        clear_script_prefix()


def test_a_row_link_takes_only_a_uuid():
    link = row_link("patients:chart", "patient_id")
    with pytest.raises(TypeError, match="takes a UUID"):
        link("../admin/")  # type: ignore[arg-type]


def test_a_pattern_without_that_uuid_argument_is_refused():
    with pytest.raises(NoReverseMatch):
        row_link("caseload", "patient_id")
