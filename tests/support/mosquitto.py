"""A real MQTT broker for tests: Debian's ``mosquitto`` on a free loopback port, and a subscriber.

with Mosquitto(tmp_path) as broker, Subscriber(broker.port, "cctv/#") as subscriber:
    ... publish through the product to broker.url ...
    message = subscriber.wait_for("cctv/events")
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from support.net import free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def require_mosquitto() -> None:
    if not Path(MOSQUITTO).exists():
        pytest.skip("needs Debian's mosquitto (scripts/bootstrap --system installs it)")


class Mosquitto:
    def __init__(self, tmp_path: Path, *, allow_anonymous: bool = True) -> None:
        require_mosquitto()
        self.port = free_port()
        self.config = tmp_path / f"mosquitto-{self.port}.conf"
        # Without anonymous access and without a password file, every login is refused.
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous {str(allow_anonymous).lower()}\n"
            "persistence false\nlog_dest stderr\nlog_type error\n"
        )
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def __enter__(self) -> Mosquitto:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.process.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)  # waiting for the port with a deadline
        raise TimeoutError("mosquitto did not listen within 10 s")

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool
    qos: int


class Subscriber:
    """A paho subscriber that records every message it gets."""

    def __init__(self, port: int, topic: str) -> None:
        self.port, self.topic = port, topic
        self.messages: list[Received] = []
        self._condition = threading.Condition()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda client, *_: client.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message

    def _on_message(self, client, userdata, message) -> None:
        with self._condition:
            self.messages.append(Received(message.topic, message.payload, bool(message.retain), message.qos))
            self._condition.notify_all()

    def wait_for(self, topic: str, *, count: int = 1, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                found = [message for message in self.messages if message.topic == topic]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({message.topic for message in self.messages})
                    raise TimeoutError(f"{len(found)} of {count} messages on {topic} (seen: {seen})")
                self._condition.wait(left)

    def __enter__(self) -> Subscriber:
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise TimeoutError("subscription not acknowledged within 10 s")
        return self

    def __exit__(self, *exc) -> None:
        self.client.disconnect()
        self.client.loop_stop()
