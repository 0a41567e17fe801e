"""The senders connect to the address the outbound policy checked (issue 20, High 2): a name whose DNS
answer changes after the check ("rebinding") still reaches the checked address, with the name in the
Host header; a receiver that answers one byte at a time is cut at one deadline per attempt (Medium 1).

Real receivers and a real broker on loopback; only the resolver's answers are scripted."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import paho.mqtt.client as mqtt
import pytest

from cctv_common.network_policy import parse_networks
from notifications.senders import Message, webhook
from notifications.senders import mqtt as mqtt_sender
from support.mosquitto import Mosquitto, Subscriber
from support.net import free_port
from support.receiver import WebhookReceiver

NAME = "rebind.test"


@pytest.fixture
def rebinding_dns(monkeypatch, settings):
    """``rebind.test`` is 127.0.0.1 (allowed) at its first lookup and 127.0.0.3 (refused) after it."""
    settings.NOTIFY_ALLOWED_NETWORKS = parse_networks("127.0.0.1/32")
    real = socket.getaddrinfo
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != NAME:
            return real(host, port, *args, **kwargs)
        address = "127.0.0.1" if not lookups else "127.0.0.3"
        lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def message(url: str, **fields) -> Message:
    return Message(
        kind="webhook", event="test", delivery_id="d-1", payload={"event": "test"}, url=url, **fields
    )


def test_a_webhook_goes_to_the_checked_address_when_the_name_rebinds(rebinding_dns) -> None:
    with WebhookReceiver() as receiver:
        outcome = webhook.send(message(f"http://{NAME}:{receiver.port}/hook", secret="s3cret"))
        assert outcome.ok, outcome
        (received,) = receiver.wait_for(1)
    assert rebinding_dns == ["127.0.0.1"]  # resolved once
    assert received.path == "/hook" and received.headers["Host"] == f"{NAME}:{receiver.port}"


def test_a_broker_is_reached_at_the_checked_address_when_the_name_rebinds(rebinding_dns, tmp_path) -> None:
    assert "_create_socket_connection" in vars(mqtt.Client)  # what the pinned client overrides
    with Mosquitto(tmp_path) as broker, Subscriber(broker.port, "cctv/test") as subscriber:
        outcome = mqtt_sender.send(
            Message(kind="mqtt", event="test", delivery_id="d-1", payload={"event": "test"},
                    url=f"mqtt://{NAME}:{broker.port}")
        )  # fmt: skip
        assert outcome.ok, outcome
        assert subscriber.wait_for("cctv/test")
    assert rebinding_dns == ["127.0.0.1"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}\\@127.0.0.2/../internal/admin?x=1",
        "http://user:pw@127.0.0.1:{port}/",
        "http://127.0.0.1:{port}/a\r\nX-Injected: 1",
        "http://127.0.0.1:{port}/caf\u00e9",
        "http://%31%32%37.0.0.1:{port}/",
    ],
)
def test_a_stored_url_that_parsers_read_differently_is_refused_at_sending(url, settings) -> None:
    """Channels saved before the check: the sender refuses them too, and sends nothing."""
    settings.NOTIFY_ALLOWED_NETWORKS = parse_networks("127.0.0.0/8")
    with WebhookReceiver() as receiver:
        outcome = webhook.send(message(url.format(port=receiver.port), secret="s3cret"))
        assert not outcome.ok and not outcome.retryable and "plain http(s) URL" in outcome.error, outcome
        assert receiver.requests == []


class TricklingReceiver:
    """Answers every request one byte of its status line every ``interval`` seconds, for ever."""

    def __init__(self, interval: float) -> None:
        stop = self.stop = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                    if stop.wait(interval):
                        return
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:
                        return

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_receiver_answering_a_byte_at_a_time_is_cut_at_one_deadline(settings) -> None:
    settings.NOTIFY_ALLOWED_NETWORKS = parse_networks("127.0.0.1/32")
    settings.NOTIFY_TIMEOUT_SECONDS = 1.5
    slow = TricklingReceiver(interval=0.2)  # each read gets a byte well within any per-read timeout
    try:
        started = time.monotonic()
        outcome = webhook.send(message(f"http://127.0.0.1:{slow.port}/", secret="s3cret"))
        took = time.monotonic() - started
    finally:
        slow.close()
    assert not outcome.ok and outcome.retryable and "timed out after 1.5 s" in outcome.error, outcome
    assert 1.4 <= took < 3.0, took


def test_a_refused_name_is_named_without_what_it_resolves_to(settings) -> None:
    settings.NOTIFY_ALLOWED_NETWORKS = parse_networks("127.0.0.2/32")
    outcome = webhook.send(message("http://localhost:9/hook", secret="s3cret"))
    assert not outcome.ok and outcome.error.startswith("refused: localhost is not an allowed"), outcome
    assert "127.0.0.1" not in outcome.error and "::1" not in outcome.error
