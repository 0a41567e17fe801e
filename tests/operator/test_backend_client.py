"""The backend client over real HTTP against the double: answers and every failure reason."""

from __future__ import annotations

import pytest
from operator_backend import TOKEN, BackendDouble

from cctv_operator.sync.backend import BackendClient, BackendError


@pytest.fixture()
async def client(backend: BackendDouble):
    client = BackendClient(backend.url + "/", TOKEN, timeout=0.3)
    yield client
    await client.close()


async def test_answer_is_returned_decoded(backend, client):
    backend.activate(1)
    answer = await client.fetch_active_cameras()
    assert [item["id"] for item in answer] == [1]


@pytest.mark.parametrize(("mode", "reason"), [
    ("down", "unreachable"), ("error500", "http_error"), ("garbage", "bad_json"), ("timeout", "timeout"),
])
async def test_failure_becomes_a_backend_error_with_its_reason(backend, client, mode, reason):
    backend.mode = mode
    with pytest.raises(BackendError) as error:
        await client.fetch_active_cameras()
    assert error.value.reason == reason


async def test_wrong_token_is_reported_as_unauthorized(backend):
    client = BackendClient(backend.url, "wrong", timeout=1)
    with pytest.raises(BackendError, match="DJANGO_API_TOKEN") as error:
        await client.fetch_active_cameras()
    await client.close()
    assert error.value.reason == "unauthorized"


async def test_closed_port_is_unreachable():
    client = BackendClient("http://127.0.0.1:9", TOKEN, timeout=1)
    with pytest.raises(BackendError) as error:
        await client.fetch_active_cameras()
    await client.close()
    assert error.value.reason == "unreachable"
