"""E-mail through a real SMTP server in the test process (aiosmtpd): text and HTML parts, the snapshot
attached, permanent (5xx) and temporary failures told apart."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller

from notifications import services
from notifications.models import Delivery, DeliveryStatus
from support.net import free_port


class Inbox:
    def __init__(self) -> None:
        self.envelopes = []
        self.refuse_with: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_with:
            return self.refuse_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    yield inbox
    controller.stop()


@pytest.mark.django_db
def test_the_email_arrives_with_text_html_and_the_snapshot_attached(
    smtp, alice, alice_camera, raise_alert, make_dispatcher, clock
):
    services.channel_create(
        user=alice, kind="email", name="inbox", addresses=["guard@example.com", "b@example.org"]
    )
    alert = raise_alert(alert_type="person", description="Someone at the gate")
    make_dispatcher(clock=clock).run_once()
    assert Delivery.objects.get(alert=alert).status == DeliveryStatus.DELIVERED
    assert len(smtp.envelopes) == 1
    envelope = smtp.envelopes[0]
    assert sorted(envelope.rcpt_tos) == ["b@example.org", "guard@example.com"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == f"CCTV alert: person on {alice_camera.name}"
    assert message["X-CCTV-Delivery"] == str(Delivery.objects.get(alert=alert).delivery_id)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Someone at the gate" in text and f"/dashboard/alerts/{alert.pk}/" in text
    assert "<h2>Person on" in html
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1 and attachments[0].get_content_type() == "image/jpeg"
    with alert.snapshot.open("rb") as snapshot:
        assert attachments[0].get_content() == snapshot.read()


@pytest.mark.django_db
def test_a_permanent_smtp_refusal_is_final_and_a_temporary_one_is_retried(
    smtp, alice, raise_alert, make_dispatcher, clock
):
    services.channel_create(user=alice, kind="email", name="inbox", addresses=["guard@example.com"])
    smtp.refuse_with = "450 Mailbox busy"
    first = raise_alert()
    make_dispatcher(clock=clock).run_once()
    assert Delivery.objects.get(alert=first).status == DeliveryStatus.PENDING

    smtp.refuse_with = "550 No such user"
    second = raise_alert(description="second")
    clock.advance(3600)
    make_dispatcher(clock=clock).run_once()
    assert Delivery.objects.get(alert=second).status == DeliveryStatus.FAILED
    assert "guard@example.com" in Delivery.objects.get(alert=second).last_error
    assert smtp.envelopes == []
