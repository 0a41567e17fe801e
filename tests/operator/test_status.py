"""Status in condition shape; transition times move only when a condition flips."""

from __future__ import annotations

import datetime

from cctv_operator.kube.status import (
    Outcome,
    camera_status,
    merge_conditions,
    outcome_from_deployment,
    status_differs,
    with_stream_error,
)

T0 = datetime.datetime(2026, 11, 25, 11, 0, tzinfo=datetime.UTC)
T1 = T0 + datetime.timedelta(minutes=5)


def test_ready_deployment_means_ready_camera_with_the_stream_up():
    outcome = outcome_from_deployment({"metadata": {"name": "camera-1"}, "status": {"availableReplicas": 1}},
                                      paused=False, config_hash="h")
    assert (outcome.ready, outcome.reason, outcome.stream_state) == (True, "WorkerReady", "Up")


def test_deployment_without_available_replicas_is_not_ready():
    outcome = outcome_from_deployment({"metadata": {"name": "camera-1"}}, paused=False, config_hash="h")
    assert (outcome.ready, outcome.reason, outcome.stream_state) == (False, "WorkerNotReady", "Pending")


def test_a_worker_that_cannot_read_its_stream_says_why_in_ready():
    # Issue 19: "Stream down" gave no cause; the worker's /readyz stream_error becomes Ready's message.
    waiting = outcome_from_deployment({"metadata": {"name": "camera-1"}}, paused=False, config_hash="h")
    reports = [
        "pod a: /readyz did not answer",
        {"stream": "down", "stream_error": "unauthorized (401): wrong user"},
    ]
    down = with_stream_error(waiting, reports)
    assert (down.ready, down.reason, down.stream_state) == (False, "StreamDown", "Down")
    assert down.message == "the worker cannot read its stream: unauthorized (401): wrong user"
    assert with_stream_error(waiting, [{"stream": "connecting"}]) == waiting  # no reason known: unchanged
    ready = outcome_from_deployment({"status": {"availableReplicas": 1}}, paused=False, config_hash="h")
    assert with_stream_error(ready, reports) == ready


def test_paused_camera_is_not_ready_and_says_so():
    outcome = outcome_from_deployment({"metadata": {"name": "c"}, "status": {"availableReplicas": 1}},
                                      paused=True, config_hash="h")
    assert (outcome.ready, outcome.reason, outcome.stream_state) == (False, "Paused", "Paused")


def test_status_has_conditions_and_observed_generation():
    outcome = Outcome(False, "InvalidSpec", "bad", "Unknown")
    status = camera_status(outcome, generation=4, previous=None, now=T0)
    assert status["observedGeneration"] == 4
    assert status["conditions"] == [{
        "type": "Ready", "status": "False", "reason": "InvalidSpec", "message": "bad",
        "observedGeneration": 4, "lastTransitionTime": "2026-11-25T11:00:00Z",
    }]


def test_unchanged_status_keeps_its_transition_time_and_needs_no_write():
    outcome = Outcome(True, "WorkerReady", "ok", "Up", "camera-1", "h")
    first = camera_status(outcome, generation=1, previous=None, now=T0)
    again = camera_status(outcome, generation=1, previous=first, now=T1)
    assert again == first
    assert not status_differs(first, again)


def test_flipped_condition_gets_a_new_transition_time():
    first = merge_conditions([], [{"type": "Ready", "status": "False"}], now=T0)
    flipped = merge_conditions(first, [{"type": "Ready", "status": "True"}], now=T1)
    assert flipped[0]["lastTransitionTime"] == "2026-11-25T11:05:00Z"


def test_new_generation_is_a_status_change():
    outcome = Outcome(True, "WorkerReady", "ok", "Up")
    first = camera_status(outcome, generation=1, previous=None, now=T0)
    assert status_differs(first, camera_status(outcome, generation=2, previous=first, now=T0))
