"""The detector choice (pure) and the DetectorReady condition decided from the workers' /readyz bodies."""

from __future__ import annotations

import datetime

import pytest

from cctv_operator.config import ConfigError, load_settings
from cctv_operator.detectors import UnknownDetector, detector_url
from cctv_operator.kube.status import Outcome, camera_status, detector_from_reports
from cctv_operator.kube.worker_probe import health_port, running_pods

POOLS = {"cpu": "cctv-detector-cpu:8001", "gpu-a": "grpc://cctv-detector-gpu-a:8001"}
URL = "grpc://cctv-detector-cpu:8001"
T0 = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("choice", "default", "wanted"),
    [
        ("", "", ""),  # no default detector: in the worker, as before
        ("", URL, URL),  # the operator-wide default
        ("local", URL, ""),  # in the worker, whatever the default
        ("gpu-a", "", POOLS["gpu-a"]),
        ("gpu-a", URL, POOLS["gpu-a"]),
    ],
)
def test_a_choice_resolves_to_the_workers_detector_url(choice, default, wanted):
    assert detector_url(choice, pools=POOLS, default=default) == wanted


def test_an_unknown_pool_names_itself_and_the_known_ones():
    with pytest.raises(UnknownDetector, match=r"'gpu-b' is not a detector pool .*known: cpu, gpu-a"):
        detector_url("gpu-b", pools=POOLS, default=URL)
    with pytest.raises(UnknownDetector, match="known: none"):
        detector_url("gpu-b", pools={}, default="")


BASE = {"DJANGO_API_URL": "http://backend:8000", "DJANGO_API_TOKEN": "t"}


def test_pools_are_read_from_json():
    settings = load_settings({**BASE, "WORKER_DETECTOR_POOLS": '{"cpu": "cctv-detector-cpu:8001"}'})
    assert settings.worker_detector_pools == {"cpu": "cctv-detector-cpu:8001"}
    assert load_settings(BASE).worker_detector_pools == {}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('{"local": "x:8001"}', "'local' is not a pool name"),
        ('{"GPU": "x:8001"}', "'GPU' is not a pool name"),
        ('{"gpu": " "}', "pool 'gpu' has no address"),
        ("[1]", "WORKER_DETECTOR_POOLS"),
        ("{", "not valid JSON"),
    ],
)
def test_bad_pools_stop_the_operator_naming_the_variable(value, problem):
    with pytest.raises(ConfigError, match="WORKER_DETECTOR_POOLS") as failure:
        load_settings({**BASE, "WORKER_DETECTOR_POOLS": value})
    assert problem in str(failure.value)


def test_each_worker_detector_state_is_a_condition():
    unavailable = {"status": "fail", "detector": "unavailable", "reason": f"detector service {URL} timed out"}
    fallback = {"status": "ok", "detector": "local fallback", "reason": f"detector service {URL} refused"}
    answering = {"status": "ok", "detector": "service"}

    down = detector_from_reports([unavailable], url=URL)
    assert (down.status, down.reason) == ("False", "ServiceUnavailable")
    assert (
        down.message
        == f"detector service {URL} timed out; no local model: frames are not analysed until it is back"
    )
    assert detector_from_reports([fallback], url=URL).reason == "LocalFallback"
    up = detector_from_reports([answering], url=URL)
    assert (up.status, up.reason) == ("True", "ServiceAnswering") and URL in up.message
    # Two pods overlap while one goes away: the worse state is the one to show.
    assert detector_from_reports([answering, unavailable], url=URL).reason == "ServiceUnavailable"
    unknown = detector_from_reports(["pod p: /readyz did not answer (timeout)"], url=URL)
    assert (unknown.status, unknown.reason, unknown.message) == (
        "Unknown",
        "WorkerNotReporting",
        "pod p: /readyz did not answer (timeout)",
    )
    assert detector_from_reports([], url=URL).message == "no running worker pod to ask"


def test_the_condition_sits_beside_ready_and_goes_when_the_worker_runs_its_own_model():
    down = detector_from_reports([{"detector": "unavailable", "reason": "gone"}], url=URL)
    status = camera_status(
        Outcome(False, "WorkerNotReady", "w", "Pending", detector=down), generation=3, previous=None, now=T0
    )
    assert [(c["type"], c["status"], c["reason"]) for c in status["conditions"]] == [
        ("DetectorReady", "False", "ServiceUnavailable"),
        ("Ready", "False", "WorkerNotReady"),
    ]
    # A reconcile that cannot tell (e.g. the Secret is missing) leaves it as it was...
    kept = camera_status(
        Outcome(False, "SecretNotFound", "s", "Unknown"), generation=3, previous=status, now=T0
    )
    assert [c["type"] for c in kept["conditions"]] == ["DetectorReady", "Ready"]
    # ... and a camera switched to its own model has none.
    local = camera_status(
        Outcome(True, "WorkerReady", "r", "Up", in_process=True), generation=4, previous=status, now=T0
    )
    assert [c["type"] for c in local["conditions"]] == ["Ready"]


def test_only_running_addressed_pods_are_asked_on_their_metrics_port():
    def pod(name, phase="Running", ip="10.0.0.7", deleting=False, port=None):
        ports = [{"name": "metrics", "containerPort": port}] if port else []
        meta = {"name": name, **({"deletionTimestamp": "2026-11-30T12:00:00Z"} if deleting else {})}
        return {
            "metadata": meta,
            "spec": {"containers": [{"name": "worker", "ports": ports}]},
            "status": {"phase": phase, **({"podIP": ip} if ip else {})},
        }

    pods = [pod("a", port=9200), pod("b", phase="Pending"), pod("c", ip=None), pod("d", deleting=True)]
    assert [p["metadata"]["name"] for p in running_pods(pods)] == ["a"]
    assert health_port(pods[0]) == 9200
    assert health_port(pod("e")) == 9100  # the worker's default
