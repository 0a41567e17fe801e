"""MQTT sender (paho-mqtt): QoS 1 publishes to the documented topics (contract, docs/contracts.md).

Alerts go to ``<prefix>/events`` and ``<prefix>/<camera_id>/<alert_type>``; availability, retained, to
``<prefix>/<camera_id>/availability``; a test message to ``<prefix>/test``. One connection per delivery:
simple and correct after broker restarts; a broker sees a short session per message.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from django.conf import settings
from paho.mqtt.reasoncodes import ReasonCode

from cctv_common.network_policy import check_host
from notifications.senders import Message, Outcome, target_policy
from notifications.validators import ambiguous_url_reason

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
QOS = 1


def topics_for(message: Message) -> list[tuple[str, str, bool]]:
    """(topic, payload, retain) for a message: a pure function of the contract."""
    prefix = message.topic_prefix or "cctv"
    payload = message.payload
    if message.event == "camera.availability":
        camera_id = payload["camera"]["id"]
        return [(f"{prefix}/{camera_id}/availability", payload["availability"], True)]
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    if message.event == "test":
        return [(f"{prefix}/test", body, False)]
    alert = payload["alert"]
    return [
        (f"{prefix}/events", body, False),
        (f"{prefix}/{alert['camera_id']}/{alert['alert_type']}", body, False),
    ]


class _PinnedClient(mqtt.Client):
    """Connects to the address the outbound policy checked; TLS still names (SNI) and verifies the
    broker's host name, which paho takes from ``connect``'s host. paho-mqtt opens its TCP connection in
    ``_create_socket_connection`` (tests/backend/notifications/test_mqtt_delivery.py fails if an upgrade
    renames it)."""

    def __init__(self, address: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._pinned_address = address

    def _create_socket_connection(self) -> socket.socket:
        return socket.create_connection((self._pinned_address, self._port), timeout=self._connect_timeout)


def send(message: Message) -> Outcome:
    ambiguity = ambiguous_url_reason(message.url)
    if ambiguity:
        return Outcome.final(f"refused: the URL must be a plain mqtt(s) URL: {ambiguity}")
    parts = urlsplit(message.url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return Outcome.final("the URL is not an mqtt:// or mqtts:// URL")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
        address = check_host(parts.hostname, target_policy())[0]  # resolved once: connect there
    except ValueError as error:  # AddressNotAllowed, or a bad port
        return Outcome.final(f"refused: {error}")

    timeout = settings.NOTIFY_TIMEOUT_SECONDS
    client = _PinnedClient(
        address,
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"cctv-notifier-{uuid.uuid4().hex[:12]}",
        protocol=mqtt.MQTTv311,
    )
    if message.username:
        client.username_pw_set(message.username, message.password or None)
    if parts.scheme == "mqtts":
        client.tls_set()
    connected = threading.Event()
    result: dict[str, ReasonCode] = {}

    def on_connect(client, userdata, flags, reason_code, properties) -> None:
        result["reason"] = reason_code
        connected.set()

    client.on_connect = on_connect
    try:
        client.connect(parts.hostname, port, keepalive=max(5, int(timeout * 2)))
    except OSError as error:
        return Outcome.retry(f"broker unreachable: {error}")
    client.loop_start()
    try:
        if not connected.wait(timeout):
            return Outcome.retry(f"no CONNACK from the broker within {timeout:g} s")
        reason = result["reason"]
        if reason.is_failure:
            # Bad credentials or not authorised: the channel's settings are wrong, a retry will not help.
            final = reason.value in (0x04, 0x05, 0x86, 0x87)
            text = f"broker refused the connection: {reason}"
            return Outcome.final(text) if final else Outcome.retry(text)
        infos = [
            client.publish(topic, body, qos=QOS, retain=retain) for topic, body, retain in topics_for(message)
        ]
        for info in infos:
            info.wait_for_publish(timeout)
            if not info.is_published():
                return Outcome.retry(f"broker did not acknowledge within {timeout:g} s")
        return Outcome.delivered()
    except (OSError, RuntimeError, ValueError) as error:
        return Outcome.retry(f"publish failed: {error}")
    finally:
        client.disconnect()
        client.loop_stop()
