"""Hospital messages in the browser: an admission sent by a hospital over a real MLLP
connection is acknowledged and appears on the patient's record; a message about someone the
program does not know waits in the review queue, where the coordinator dismisses it."""

from __future__ import annotations

import socket
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from pallio.adt.listener import END_BLOCK, ListenerThread, frame
from pallio.adt.models import AdtMessage
from pallio.adt.tests.samples import adt_message
from pallio.core import clock
from pallio.episodes.models import EpisodeOfCare

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


def send(port: int, message: str) -> str:
    """One message over MLLP on a new connection; the acknowledgement."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(frame(message))
        data = b""
        while not data.endswith(END_BLOCK):
            chunk = conn.recv(4096)
            assert chunk, "the listener closed the connection without an acknowledgement"
            data += chunk
    return data[1:-2].decode()


def hl7_time(at) -> str:
    return at.astimezone(ZoneInfo("America/New_York")).strftime("%Y%m%d%H%M")


def test_an_admission_over_mllp_reaches_the_record_and_the_queue_is_reviewed(
    world, browsing, sign_in
):
    EpisodeOfCare.objects.update(start=clock.now() - timedelta(days=30))
    listener = ListenerThread(world.riverside.pk).start()
    try:
        admitted = hl7_time(clock.now() - timedelta(hours=2))
        ack = send(
            listener.port,
            adt_message(control_id="E2E-1", admitted=admitted, sent=admitted, unit="MICU"),
        )
        # Garbage first on a connection of its own: the listener answers and keeps serving.
        bad = send(listener.port, "this is not an HL7 message")
        held = send(
            listener.port,
            adt_message(
                control_id="E2E-2",
                given="Zelda",
                family="Quill",
                record_number="Z1",
                admitted=admitted,
                sent=admitted,
            ),
        )
    finally:
        listener.stop()
    assert "\rMSA|AA|E2E-1" in ack
    assert "\rMSA|AE|" in bad and "does not begin with an MSH segment" in bad
    assert "\rMSA|AA|E2E-2|Held for review" in held
    assert AdtMessage.objects.get(control_id="E2E-1").status == "applied"

    phil = sign_in(world.physician)
    phil.goto(f"/acp/{world.alice.pk}/")
    stays = phil.locator("section", has=phil.get_by_role("heading", name="Hospital stays"))
    expect(stays).to_contain_text("Inpatient admission: Mercy General")
    expect(stays).to_contain_text("(still there)")
    browsing.shot(phil, "stay-on-record")
    browsing.axe_check(phil, "record with the stay")

    # The care team hears of it at once: the alert worklist, and the navigator's task.
    nina = sign_in(world.navigator)
    nina.goto("/assessments/alerts/")
    admission = nina.get_by_test_id("alert-group").filter(has_text="Alice Anders")
    expect(admission.get_by_test_id("alert-row")).to_contain_text(
        "Admitted to hospital: Mercy General, MICU"
    )
    browsing.shot(nina, "admission-on-alert-worklist")
    browsing.axe_check(nina, "alert worklist with the admission")
    nina.set_viewport_size(PHONE)
    browsing.shot(nina, "admission-on-alert-worklist-390")
    nina.set_viewport_size(DESK)

    cora = sign_in(world.coordinator)
    browsing.nav(cora, "Hospital messages")
    queue = cora.get_by_test_id("adt-queue")
    expect(queue).to_contain_text("Zelda Quill")
    expect(queue).to_contain_text("Waiting for a patient match")
    expect(queue).to_contain_text("Could not be applied")
    browsing.shot(cora, "queue-1280")
    browsing.axe_check(cora, "review queue")
    cora.set_viewport_size(PHONE)
    browsing.shot(cora, "queue-390")
    cora.set_viewport_size(DESK)

    cora.get_by_test_id("adt-row").filter(has_text="Zelda Quill").get_by_role(
        "link", name="Review"
    ).click()
    expect(cora.get_by_test_id("adt-error")).to_contain_text(
        "no patient of the program matches the message"
    )
    expect(cora.get_by_test_id("adt-event")).to_contain_text("Mercy General")
    browsing.shot(cora, "message")
    browsing.axe_check(cora, "held message")
    cora.get_by_role("button", name="Dismiss the message").click()
    expect(cora.get_by_text("Say why the message is dismissed.").first).to_be_visible()
    browsing.shot(cora, "dismiss-refused")
    cora.get_by_label("Why is this message dismissed?").fill("Not one of our patients")
    cora.get_by_role("button", name="Dismiss the message").click()
    expect(cora.get_by_text("Message dismissed.")).to_be_visible()
    expect(cora.get_by_test_id("adt-queue")).not_to_contain_text("Zelda Quill")
    assert AdtMessage.objects.get(control_id="E2E-2").status == "dismissed"
