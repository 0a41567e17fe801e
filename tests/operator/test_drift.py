"""Drift: the live object must still contain what the operator set (server defaults are fine)."""

from __future__ import annotations

from cctv_operator.kube.drift import contains, deployment_drifted

WANTED = {"metadata": {"labels": {"a": "1"}, "ownerReferences": [{"uid": "u"}]},
          "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "w", "image": "i:1"}]}}}}


def live(**spec_changes):
    body = {"metadata": {"labels": {"a": "1", "extra": "x"},
                         "ownerReferences": [{"uid": "u", "kind": "Camera"}],
                         "resourceVersion": "9"},
            "spec": {"replicas": 1, "progressDeadlineSeconds": 600,
                     "template": {"spec": {"containers": [{"name": "w", "image": "i:1",
                                                           "terminationMessagePath": "/dev/x"}]}}}}
    body["spec"].update(spec_changes)
    return body


def test_server_defaults_and_extra_fields_are_not_drift():
    assert not deployment_drifted(live(), WANTED)


def test_changed_field_is_drift():
    assert deployment_drifted(live(replicas=3), WANTED)


def test_lost_label_is_drift():
    body = live()
    body["metadata"]["labels"] = {}
    assert deployment_drifted(body, WANTED)


def test_lists_must_match_item_by_item():
    assert contains([{"a": 1, "b": 2}], [{"a": 1}])  # the server added "b" to the item
    assert not contains([{"a": 1}, {"a": 2}], [{"a": 1}])  # an extra item is not ours: drift
    assert not contains([{"a": 2}], [{"a": 1}])
    assert contains("abc", "abc") and not contains("abc", ["a", "b", "c"])
