"""Property-based fuzzing of the API from its own OpenAPI schema (schemathesis + hypothesis): whatever a
client sends (requests that fit the schema and requests that break it), the API answers with a 4xx at
worst, never a 5xx.

Runs in-process through Django's WSGI handler on the test database, as a signed-in user who owns a camera
(so object routes reach their validation, not only 404). Examples per operation are bounded to keep the
run short; raise FUZZ_EXAMPLES for a deeper local run.
"""

from __future__ import annotations

import itertools
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.generation import GenerationMode

from backend.images import jpeg_base64
from surveillance import services

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # Django closes connections left inside a transaction when a request starts or ends; the test database
    # connection is inside the test's transaction. Django's test client does the same.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def _operations():
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = WSGIHandler()
    operations = [result.ok() for result in schema.get_all_operations()]
    return schema, operations


def test_the_schema_lists_every_api_operation():
    _, operations = _operations()
    paths = {f"{op.method.upper()} {op.path}" for op in operations}
    assert {
        "POST /api/send-alert/",
        "GET /api/alerts/",
        "POST /api/cameras/",
        "GET /api/active-cameras/",
    } <= paths


def test_no_generated_request_makes_the_api_fail_with_a_5xx(alice, alice_camera):
    alert, _ = services.alert_ingest(
        camera=alice_camera, alert_type="person", confidence=0.5, image_base64=jpeg_base64()
    )
    real_ids = {"alerts": alert.pk, "cameras": alice_camera.pk}
    token = Token.objects.create(user=alice).key
    _, operations = _operations()
    failures: list[str] = []

    for operation, mode in itertools.product(operations, GenerationMode):
        if operation.path == "/api-token-auth/":
            continue  # throttled by design after a few calls; its input is covered in test_authentication

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case):
            # Point most requests at Alice's real objects, so bodies get past the 404 to the validation.
            if "id" in (case.path_parameters or {}) and case.method != "DELETE":
                case.path_parameters["id"] = real_ids["alerts" if "/alerts/" in case.path else "cameras"]
            if case.path == "/api/send-alert/" and isinstance(case.body, dict):
                case.body["camera_id"] = alice_camera.pk
            response = case.call(headers={"Authorization": f"Token {token}"})
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} for {case.body!r:.300}"
                )

        try:
            call()
        except Unsatisfiable:
            # Nothing in this operation can be made invalid (e.g. no parameters, no body): nothing to send.
            assert mode is GenerationMode.NEGATIVE, operation.path

    assert failures == []
