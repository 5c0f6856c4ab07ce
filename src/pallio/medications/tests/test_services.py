"""The medication rules at their boundaries: MME only where a factor is cited, opioids typed
in rather than chosen, buprenorphine, unknown drugs, and impossible or very high doses."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from pallio.assessments.models import Alert
from pallio.audit.models import AuditEvent
from pallio.medications import catalog
from pallio.medications.mme import (
    NOT_INCLUDED,
    ROUTE_NOT_CONVERTED,
    ROUTE_NOT_RECORDED,
    UNLISTED_OPIOID,
    mme_summary,
    statement_mme,
)
from pallio.medications.models import MedicationStatement
from pallio.medications.services import (
    CONFIRM_HIGH_DOSE,
    MedicationInput,
    bowel_regimen_check,
    medication_add,
)

pytestmark = pytest.mark.django_db


def add(world, confirm_high_dose_reason="", **fields):
    return medication_add(
        actor=world.navigator,
        patient=world.alice,
        data=MedicationInput(**fields),
        confirm_high_dose_reason=confirm_high_dose_reason,
    )


def mme_of(row):
    line = statement_mme(row)
    assert line is not None, "an opioid has an MME line"
    return line


def summary(world):
    return mme_summary(MedicationStatement.objects.filter(patient=world.alice))


# MME by route


def test_oral_morphine_is_counted_with_the_oral_factor(world):
    row = add(world, catalog_key="morphine", dose_amount="10", doses_per_day="6", route="PO")
    assert row.route == "oral"
    assert mme_of(row).value == Decimal("60.0")
    totals = summary(world)
    assert totals.scheduled == Decimal("60.0") and totals.incomplete == []


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("SC", "subcutaneous"),
        ("IV", "intravenous"),
        ("buccal", "buccal"),
        ("intrathecal", "intrathecal"),
        ("SL", "sublingual"),
        ("nebulised", "nebulised"),
    ],
)
def test_morphine_by_a_route_without_a_cited_factor_is_not_converted(world, typed, stored):
    row = add(world, catalog_key="morphine", dose_amount="10", doses_per_day="6", route=typed)
    assert row.route == stored
    line = mme_of(row)
    assert line.value is None and line.reason == ROUTE_NOT_CONVERTED
    assert line.reason_text.startswith("route not converted")
    totals = summary(world)
    assert totals.scheduled == Decimal("0") and [li.statement for li in totals.incomplete] == [row]


def test_an_oral_opioid_with_no_route_recorded_is_not_assumed_oral(world):
    row = add(world, catalog_key="oxycodone", dose_amount="10", doses_per_day="4")
    assert mme_of(row).reason == ROUTE_NOT_RECORDED


def test_the_fentanyl_patch_is_its_rate_times_2_4_and_no_other_route(world):
    patch = add(world, catalog_key="fentanyl-transdermal", dose_amount="25")
    assert patch.route == "transdermal"
    assert mme_of(patch).value == Decimal("60.0")  # 25 mcg/hr x 2.4
    one = add(world, catalog_key="fentanyl-transdermal", dose_amount="1", route="patch")
    assert mme_of(one).value == Decimal("2.4")
    wrong = add(world, catalog_key="fentanyl-transdermal", dose_amount="25", route="IV")
    assert mme_of(wrong).reason == ROUTE_NOT_CONVERTED


def test_scheduled_and_as_needed_totals_are_kept_apart(world):
    add(world, catalog_key="morphine", dose_amount="30", doses_per_day="2", route="oral")
    add(
        world,
        catalog_key="oxycodone",
        dose_amount="5",
        doses_per_day="6",
        route="oral",
        as_needed=True,
    )
    totals = summary(world)
    assert totals.scheduled == Decimal("60.0")
    assert totals.as_needed == Decimal("45.0")  # at the most allowed: 5 x 6 x 1.5


# Opioids outside the catalogue


def test_buprenorphine_is_flagged_not_included_in_mme(world):
    chosen = add(world, catalog_key="buprenorphine", dose_amount="8", doses_per_day="1")
    typed = add(world, free_text="Butrans 10 mcg/hr patch", dose_amount="10")
    for row in (chosen, typed):
        assert row.is_opioid and not row.needs_pharmacist_review
        line = mme_of(row)
        assert line.value is None and line.reason == NOT_INCLUDED
        assert line.reason_text == "buprenorphine is not included in MME (CDC 2022)"
    assert typed.ingredient == "buprenorphine"
    assert (chosen.code_system, chosen.code) == (catalog.RXNORM, "1819")


def test_a_typed_oxycodone_combination_is_an_opioid_raises_the_bowel_alert_and_is_not_counted(
    world,
):
    from pallio.assessments.services import alert_rules_sync_defaults

    alert_rules_sync_defaults()
    add(world, catalog_key="morphine", dose_amount="10", doses_per_day="4", route="oral")
    row = add(world, free_text="Oxycodone/APAP 5/325", dose_amount="1", doses_per_day="4")
    assert row.is_opioid and row.ingredient == "oxycodone" and not row.needs_pharmacist_review
    line = mme_of(row)
    assert line.value is None and line.reason == UNLISTED_OPIOID
    totals = summary(world)
    assert totals.scheduled == Decimal("40.0")
    assert [li.statement for li in totals.incomplete] == [row]
    # The morphine has its own alert; stop it: the typed opioid alone still raises one.
    MedicationStatement.objects.filter(catalog_key="morphine").update(status="stopped")
    alert = bowel_regimen_check(patient=world.alice)
    assert alert is not None and "Oxycodone/APAP 5/325" in alert.detail
    assert Alert.objects.filter(rule_key="opioid-no-bowel-regimen").count() == 1


@pytest.mark.parametrize(
    "typed, ingredient",
    [
        ("MS Contin 30 mg", "morphine"),
        ("oxycodone/acetaminophen", "oxycodone"),
        ("HYDROMORPHONE 2mg", "hydromorphone"),
        ("Tylenol #3", "codeine"),
        ("Percocet 5/325", "oxycodone"),
        ("acetaminophen / hydrocodone", "hydrocodone"),
    ],
)
def test_typed_names_are_matched_by_ingredient_words(typed, ingredient):
    match = catalog.opioid_in(typed)
    assert match is not None and match.key == ingredient


@pytest.mark.parametrize("typed", ["Tylenol 500 mg", "Morphinex", "Zzzumab", "Naloxone"])
def test_names_that_only_look_like_an_opioid_are_not_one(typed):
    assert catalog.opioid_in(typed) is None


def test_an_unknown_drug_is_listed_for_pharmacist_review(world):
    row = add(world, free_text="Zzzumab 100 mg")
    assert row.needs_pharmacist_review and not row.is_opioid and not row.is_bowel_regimen
    known = add(world, free_text="Senna 8.6 mg at night")
    assert known.is_bowel_regimen and not known.needs_pharmacist_review
    chosen = add(world, catalog_key="docusate")
    assert not chosen.needs_pharmacist_review


def test_the_opioid_list_marks_every_unchecked_rxnorm_id_and_makes_none_up():
    ingredients = catalog.opioid_ingredients()
    assert {"buprenorphine", "morphine", "oxycodone", "fentanyl"} <= set(ingredients)
    for item in ingredients.values():
        assert item.rxnorm == "" or item.rxnorm.isdigit(), item.key
    unverified = {k for k, i in ingredients.items() if i.rxnorm_verify}
    assert unverified == {"hydrocodone", "oxymorphone", "tapentadol"}
    assert ingredients["buprenorphine"].mme_excluded
    assert [k for k, i in ingredients.items() if i.mme_excluded] == ["buprenorphine"]


# Doses: morphine's shipped limits are 200 mg a dose and 1200 mg a day (plausible maximum),
# 2000 mg a dose and 12000 mg a day (ceiling).


def test_a_dose_just_above_the_ceiling_is_refused_even_with_a_reason(world):
    with pytest.raises(ValidationError) as refused:
        add(
            world,
            "Confirmed with the prescriber",
            catalog_key="morphine",
            dose_amount="2000.001",
            doses_per_day="1",
            route="oral",
        )
    [message] = refused.value.message_dict["dose_amount"]
    assert "above the highest dose Pallio records (2000 mg)" in message
    assert MedicationStatement.objects.count() == 0


def test_a_dose_at_the_ceiling_is_recorded_only_with_a_confirmed_reason(world):
    fields = dict(catalog_key="morphine", dose_amount="2000", doses_per_day="1", route="oral")
    with pytest.raises(ValidationError) as asked:
        add(world, **fields)
    [message] = asked.value.message_dict[CONFIRM_HIGH_DOSE]
    assert "2000 mg in one dose is above the usual maximum of 200 mg" in message
    assert MedicationStatement.objects.count() == 0
    row = add(world, "  Escalating pain, agreed with the team  ", **fields)
    assert row.high_dose_reason == "Escalating pain, agreed with the team"
    event = AuditEvent.objects.filter(event="medication.add").get()
    assert event.detail["high_dose_confirmed"] is True


def test_a_dose_at_the_plausible_maximum_needs_no_reason_and_just_above_it_does(world):
    at = add(world, catalog_key="morphine", dose_amount="200", doses_per_day="6", route="oral")
    assert at.high_dose_reason == ""
    for dose, per_day in (("200.001", "1"), ("200", "6.01")):
        with pytest.raises(ValidationError) as asked:
            add(
                world,
                catalog_key="morphine",
                dose_amount=dose,
                doses_per_day=per_day,
                route="oral",
            )
        assert CONFIRM_HIGH_DOSE in asked.value.message_dict
    assert MedicationStatement.objects.count() == 1


def test_a_daily_amount_above_the_daily_ceiling_is_refused(world):
    fields = dict(catalog_key="morphine", dose_amount="2000", route="oral")
    assert add(world, "Agreed", doses_per_day="6", **fields).dose_amount == Decimal("2000")
    with pytest.raises(ValidationError) as refused:
        add(world, "Agreed", doses_per_day="6.01", **fields)
    assert "12020 mg of morphine a day is above the highest daily amount" in str(
        refused.value.message_dict["doses_per_day"]
    )


def test_the_fentanyl_patch_rate_has_its_own_limits(world):
    with pytest.raises(ValidationError) as refused:
        add(world, "Agreed", catalog_key="fentanyl-transdermal", dose_amount="3001")
    assert "an hour is above the highest dose" in refused.value.message_dict["dose_amount"][0]
    with pytest.raises(ValidationError):
        add(world, catalog_key="fentanyl-transdermal", dose_amount="301")
    assert add(world, catalog_key="fentanyl-transdermal", dose_amount="300").high_dose_reason == ""


def test_a_program_sets_its_own_limits(world):
    world.riverside.settings = {"dose_limits": {"morphine": {"plausible_max_dose": 100}}}
    world.riverside.save()
    world.alice.program.refresh_from_db()
    with pytest.raises(ValidationError) as asked:
        add(world, catalog_key="morphine", dose_amount="150", doses_per_day="1", route="oral")
    assert "usual maximum of 100 mg" in asked.value.message_dict[CONFIRM_HIGH_DOSE][0]


def test_the_service_still_takes_the_old_arguments(world):
    row = medication_add(
        actor=world.physician,
        patient=world.alice,
        data=MedicationInput(catalog_key="senna", dose_amount="17.2", doses_per_day="1"),
    )
    assert row.is_bowel_regimen and row.high_dose_reason == ""
