"""The camera network policy: which addresses a camera URL may reach, checked at connect time.

The connect-time tests use a real TCP listener on loopback standing in for "a port on the server" and
the worker's real opener (OpenCV/FFmpeg): allowed, FFmpeg connects and sends its RTSP request with the
URL's credentials; denied, nothing reaches the listener.
"""

from __future__ import annotations

import socket
import threading

import pytest

from cctv_common.network_policy import (
    LAN_AND_LOOPBACK_NETWORKS,
    SERVER_LOCAL_NETWORKS,
    AddressNotAllowed,
    NetworkPolicy,
    check_url_host,
    parse_networks,
    pin_url,
)
from cctv_worker.capture.egress import policy_opener
from cctv_worker.capture.source import open_source

CLOUD = NetworkPolicy.from_strings("", SERVER_LOCAL_NETWORKS)
LAPTOP = NetworkPolicy.from_strings(LAN_AND_LOOPBACK_NETWORKS, "")


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.9.9.9", "::1", "169.254.169.254", "fe80::1%eth0", "::ffff:127.0.0.1", "0.0.0.0"],
)
def test_the_cloud_default_denies_the_server_itself_and_metadata(address):
    assert not CLOUD.allows(address)


@pytest.mark.parametrize("address", ["10.0.0.5", "192.168.1.20", "203.0.113.7", "2001:db8::5"])
def test_the_cloud_default_allows_camera_networks(address):
    assert CLOUD.allows(address)


def test_the_laptop_default_allows_lan_and_loopback_only():
    assert LAPTOP.allows("127.0.0.1") and LAPTOP.allows("192.168.1.20") and LAPTOP.allows("10.1.2.3")
    assert not LAPTOP.allows("203.0.113.7")


def test_denied_wins_over_allowed():
    policy = NetworkPolicy.from_strings("10.0.0.0/8", "10.0.0.13/32")
    assert policy.allows("10.0.0.12") and not policy.allows("10.0.0.13")


def test_a_bad_network_entry_names_itself_and_the_setting():
    with pytest.raises(ValueError, match=r"CAMERA_DENIED_NETWORKS: '10\.0\.0\.0/33'"):
        NetworkPolicy.from_strings("", "127.0.0.0/8, 10.0.0.0/33")
    assert parse_networks(" 10.0.0.0/8 ,, ::1 ") == parse_networks("10.0.0.0/8,::1")


def test_saving_refuses_literal_denied_hosts_and_localhost_but_not_names():
    for url in ("rtsp://u:p@127.0.0.1:22/x", "rtsp://[::1]/x", "rtsp://localhost/x", "rtsp://169.254.169.254/"):
        with pytest.raises(AddressNotAllowed):
            check_url_host(url, CLOUD)
    check_url_host("rtsp://camera.example/x", CLOUD)  # resolved (and checked) by the worker


def test_connecting_pins_the_checked_address_and_refuses_a_name_with_any_denied_address():
    assert pin_url("rtsp://u:p@cam.test:8554/s?a=1", CLOUD, lambda host: ["10.0.0.9"]) == (
        "rtsp://u:p@10.0.0.9:8554/s?a=1"
    )
    with pytest.raises(AddressNotAllowed, match=r"^cam\.test is not an allowed camera address") as refused:
        pin_url("rtsp://cam.test/s", CLOUD, lambda host: ["10.0.0.9", "127.0.0.1"])
    assert "127.0.0.1" not in str(refused.value)  # the name only: no resolver of internal names
    assert pin_url("/videos/demo.mp4", CLOUD, lambda host: []) == "/videos/demo.mp4"


@pytest.fixture
def listener():
    """A TCP port on loopback that records what each connection sends first."""
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                try:
                    received.append(connection.recv(4096))
                except OSError:
                    received.append(b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    server.close()


def test_the_worker_sends_nothing_to_a_denied_address_even_when_a_name_points_there(listener):
    port, received = listener
    opener = policy_opener(open_source, CLOUD, resolve=lambda host: ["127.0.0.1"])

    assert opener(f"rtsp://admin:s3cret@camera.test:{port}/stream", 2.0) is None
    assert opener(f"rtsp://admin:s3cret@127.0.0.1:{port}/stream", 2.0) is None

    assert received == []


def test_an_allowed_address_is_reached_so_the_listener_would_have_seen_a_denied_one(listener):
    port, received = listener
    opener = policy_opener(open_source, LAPTOP, resolve=lambda host: ["127.0.0.1"])

    opener(f"rtsp://admin:s3cret@camera.test:{port}/stream", 2.0)

    assert received
    assert received[0].split(b" ")[0] in (b"OPTIONS", b"DESCRIBE")
