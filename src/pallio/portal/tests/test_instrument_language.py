"""Instruments say which languages their wording ships in; in Spanish, an English-only one
carries a note saying so."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from pallio.assessments.instruments import shipped_questionnaires, spec_of
from pallio.portal.instrument_language import english_only


def shipped_specs():
    import json

    return [spec_of(json.loads(text)) for _, text in shipped_questionnaires()]


def test_every_shipped_instrument_names_the_languages_of_its_wording():
    specs = shipped_specs()
    assert specs
    # No validated Spanish wording whose licence allows it ships yet (CLINICAL.md section 2
    # gives the licences; ESAS-r's "may not be changed under its name"): English only.
    assert all(spec.wording_languages == ("en",) for spec in specs)
    esas = next(s for s in specs if s.key == "esas-r")
    assert esas.in_language("en") and esas.in_language("en-us") and not esas.in_language("es")


def test_an_english_only_questionnaire_says_so_in_spanish():
    esas = next(s for s in shipped_specs() if s.key == "esas-r")
    with translation.override("es"):
        assert english_only(esas)
        html = render_to_string("portal/_english_only_note.html", {"english_only": True})
    assert "Este cuestionario solo está en inglés." in html
    with translation.override("en"):
        assert not english_only(esas)
