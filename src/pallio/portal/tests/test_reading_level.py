"""The portal's shipped texts read easily, in English and in Spanish, measured with textstat.

Why these levels: patients and families read the portal while ill, tired or worried, and
about a third of US adults have basic or below-basic health literacy (NAAL 2003). The AMA
and the NIH advise patient materials at or below a 6th to 8th grade reading level, so every
English sentence the portal ships must score at most grade 8 on Flesch-Kincaid, and the
whole set at most grade 8 too. Spanish has its own formulas (the English ones misjudge
Spanish syllables): the Fernández-Huerta index must be at least 70 ("fairly easy", about a
6th grade reader) and the Szigriszt-Pazos perspicuity index at least 65 ("fairly easy" on
the INFLESZ scale).

The texts are every message the portal marks for translation (catalogue_helpers finds them
by place, so new portal pages are measured too); placeholders are read as a short word.
"""

from __future__ import annotations

import re

import polib
import textstat

from pallio.portal.tests.catalogue_helpers import PORTAL_APP, portal_messages

ENGLISH_GRADE_MAX = 8
SENTENCE_WORDS = 8  # shorter texts (labels, headings) are too short for a grade to mean much
FERNANDEZ_HUERTA_MIN = 70
SZIGRISZT_PAZOS_MIN = 65
SPANISH = PORTAL_APP / "locale" / "es" / "LC_MESSAGES" / "django.po"


def as_sentence(text: str) -> str:
    text = re.sub(r"%\((\w+)\)[sd]", "it", text).strip()
    return text if text[-1:] in ".?!:" else f"{text}."


def english_texts() -> list[str]:
    texts = set()
    for message in portal_messages():
        texts.add(message.msgid)
        if message.plural:
            texts.add(message.plural)
    return sorted(texts)


def test_every_english_sentence_is_at_most_grade_8():
    textstat.set_lang("en_US")
    hard = {
        text: grade
        for text in english_texts()
        if len(text.split()) >= SENTENCE_WORDS
        and (grade := textstat.flesch_kincaid_grade(as_sentence(text))) > ENGLISH_GRADE_MAX
    }
    assert not hard, f"Say these more simply (Flesch-Kincaid grade above 8): {hard}"


def test_the_english_portal_as_a_whole_is_at_most_grade_8():
    textstat.set_lang("en_US")
    whole = " ".join(as_sentence(t) for t in english_texts())
    assert textstat.flesch_kincaid_grade(whole) <= ENGLISH_GRADE_MAX


def test_the_spanish_portal_reads_fairly_easily():
    entries = {(e.msgctxt or "", e.msgid): e for e in polib.pofile(str(SPANISH))}
    texts = []
    for message in portal_messages():
        entry = entries.get((message.context, message.msgid))
        if entry is None:
            continue  # the catalogue test names it
        texts += [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
    whole = " ".join(as_sentence(t) for t in texts if t.strip())
    textstat.set_lang("es")
    assert textstat.fernandez_huerta(whole) >= FERNANDEZ_HUERTA_MIN
    assert textstat.szigriszt_pazos(whole) >= SZIGRISZT_PAZOS_MIN
