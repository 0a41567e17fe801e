"""A delivery row turned into the ``Message`` a sender needs (the one place that reads the snapshot file)."""

from __future__ import annotations

import logging
import os

from notifications.models import ChannelKind, Delivery
from notifications.senders import Message
from surveillance.errors import StoreUnavailable

logger = logging.getLogger(__name__)


def _attachment(delivery: Delivery) -> tuple[str, bytes] | None:
    alert = delivery.alert
    if alert is None or not alert.snapshot.name:  # a FieldFile is false exactly when it has no name
        return None
    try:
        with alert.snapshot.open("rb") as handle:
            return os.path.basename(alert.snapshot.name), handle.read()
    except (OSError, StoreUnavailable) as error:
        # The alert's file went missing (purged) or the media store is down: the e-mail still goes, without
        # the picture (a late alert is worse than one without its snapshot).
        logger.warning("snapshot of alert %s unreadable: %s", alert.pk, error)
        return None


def message_for(delivery: Delivery) -> Message:
    channel = delivery.channel
    return Message(
        kind=channel.kind,
        event=delivery.event,
        delivery_id=str(delivery.delivery_id),
        payload=delivery.payload,
        url=channel.url,
        secret=channel.secret,
        topic_prefix=channel.topic_prefix,
        username=channel.username,
        password=channel.password,
        addresses=tuple(channel.addresses),
        attachment=_attachment(delivery) if channel.kind == ChannelKind.EMAIL else None,
    )
