"""E-mail sender: a plain-text and HTML message with the snapshot attached, over SMTP from the environment."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from notifications.senders import Message, Outcome


def subject_of(message: Message) -> str:
    if message.event == "test":
        return "CCTV: test message"
    alert = message.payload["alert"]
    what = "ended" if message.event == "alert.closed" else "alert"
    return f"CCTV {what}: {alert['alert_type']} on {alert['camera_name']}"


def build(message: Message) -> EmailMultiAlternatives:
    context = {"event": message.event, "payload": message.payload, "alert": message.payload.get("alert")}
    email = EmailMultiAlternatives(
        subject=subject_of(message),
        body=render_to_string("notifications/email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(message.addresses),
        headers={"X-CCTV-Event": message.event, "X-CCTV-Delivery": message.delivery_id},
    )
    email.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    if message.attachment is not None:
        name, data = message.attachment
        email.attach(name, data, "image/jpeg")
    return email


def send(message: Message) -> Outcome:
    if not settings.EMAIL_HOST:
        return Outcome.retry("EMAIL_HOST is not set: the operator must configure SMTP for e-mail channels")
    if not message.addresses:
        return Outcome.final("the channel has no addresses")
    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        fail_silently=False,
        timeout=settings.NOTIFY_TIMEOUT_SECONDS,
    )
    try:
        connection.send_messages([build(message)])
    except smtplib.SMTPRecipientsRefused as error:
        text = "recipients refused: " + ", ".join(
            f"{address} ({code} {reply.decode(errors='replace')})"
            for address, (code, reply) in error.recipients.items()
        )
        # 4xx for every recipient is "try again later" (greylisting, a full mailbox); any 5xx is permanent.
        temporary = all(400 <= code < 500 for code, _ in error.recipients.values())
        return Outcome.retry(text) if temporary else Outcome.final(text)
    except smtplib.SMTPResponseException as error:
        text = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
        # 5xx is permanent in SMTP; 4xx is "try again later".
        return Outcome.final(text) if 500 <= error.smtp_code < 600 else Outcome.retry(text)
    except (TimeoutError, smtplib.SMTPException, OSError) as error:
        return Outcome.retry(f"SMTP failed: {error}")
    return Outcome.delivered()
