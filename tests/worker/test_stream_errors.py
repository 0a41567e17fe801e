"""Why a stream cannot be opened, in a user's words (issue 19: "Stream down" gave no cause and the log
said "cannot open stream ... (after 0.0 s)"): real FFmpeg against a real RTSP server and a dead port;
the reason reaches the capture's status (the worker's heartbeat and /readyz read it) without the URL's
password."""

from __future__ import annotations

import threading

import av
from prometheus_client import CollectorRegistry

from cctv_common.network_policy import NetworkPolicy
from cctv_worker.backoff import Backoff
from cctv_worker.capture.egress import policy_opener
from cctv_worker.capture.sampler import FrameSampler
from cctv_worker.capture.source import describe_open_error, last_open_failure, open_source
from cctv_worker.capture.stream import CaptureThread, Mailbox
from cctv_worker.capture.watchdog import StreamStatus
from cctv_worker.metrics import WorkerMetrics
from support.net import free_port
from support.rtsp_server import RtspServer

from .helpers import wait_for


def test_a_dead_port_is_connection_refused() -> None:
    assert open_source(f"rtsp://admin:s3cret@127.0.0.1:{free_port()}/stream", 5.0) is None
    assert last_open_failure().startswith("connection refused")


def test_a_wrong_path_on_a_real_rtsp_server_is_not_found(rtsp_testsrc: RtspServer) -> None:
    wrong = rtsp_testsrc.url.rsplit("/", 1)[0] + "/no-such-stream"
    assert open_source(wrong, 5.0) is None
    assert last_open_failure().startswith("not found (404)")


def test_a_refused_address_says_which_policy_refused_it() -> None:
    deny_loopback = NetworkPolicy.from_strings("", "127.0.0.0/8")
    opener = policy_opener(open_source, deny_loopback, resolve=lambda host: ["127.0.0.1"])
    assert opener("rtsp://admin:s3cret@127.0.0.1:554/stream", 2.0) is None
    assert "CAMERA_ALLOWED_NETWORKS" in last_open_failure() and "s3cret" not in last_open_failure()


def test_errors_are_described_without_the_url() -> None:
    error = av.error.HTTPUnauthorizedError(-1, "Unauthorized", "rtsp://admin:s3cret@cam/1")
    assert describe_open_error(error, 10.0) == "unauthorized (401): wrong user name or password"
    other = av.error.EOFError(-1, "End of file", "rtsp://admin:s3cret@cam/1")
    assert "s3cret" not in describe_open_error(other, 10.0)


def test_the_capture_status_carries_the_reason_until_the_stream_is_up(rtsp_testsrc: RtspServer) -> None:
    status = StreamStatus(stall_timeout=10.0)
    url = {"now": f"rtsp://127.0.0.1:{free_port()}/stream"}
    capture = CaptureThread(
        "rtsp://127.0.0.1/switched-by-the-opener",
        status=status,
        sampler=FrameSampler(1),
        backoff=Backoff(0.1, 0.2, jitter=0.0),
        mailbox=Mailbox(),
        metrics=WorkerMetrics(CollectorRegistry(), 1),
        open_timeout=5.0,
        stop=threading.Event(),
        opener=lambda _url, timeout: open_source(url["now"], timeout),
    )
    capture.start()
    try:
        wait_for(lambda: status.error.startswith("connection refused"), 20, 0.05, "the refusal")
        url["now"] = rtsp_testsrc.url
        wait_for(lambda: status.error == "" and status.state.value == "up", 30, 0.05, "the stream up")
    finally:
        capture.stop_event.set()
        capture.join(10)
