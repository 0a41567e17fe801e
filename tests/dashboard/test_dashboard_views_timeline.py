"""The footage page's cameras played in sync (``?with=``, issue 24): only the user's own cameras, at most
three more, each once; anything else is refused before the page is drawn."""

from __future__ import annotations

import pytest
from django.urls import reverse


@pytest.fixture
def cameras(alice, make_camera):
    return [make_camera(alice, f"Cam {index}", url=f"rtsp://10.0.2.{index}/s") for index in range(5)]


def page(client, camera, *followers) -> object:
    return client.get(
        reverse("dashboard:timeline", args=[camera.id]), {"day": "2026-12-01", "with": followers}
    )


def test_up_to_three_of_the_users_cameras_play_in_sync(alice_client, cameras):
    response = page(alice_client, cameras[0], cameras[2].id, cameras[1].id, cameras[4].id)
    assert response.status_code == 200
    assert [camera.id for camera in response.context["followers"]] == [
        cameras[2].id,
        cameras[1].id,
        cameras[4].id,
    ]
    html = response.content.decode()
    for follower in (cameras[1], cameras[2], cameras[4]):
        assert f'data-camera="{follower.id}"' in html
    # The day links keep the choice.
    assert f"day=2026-11-30&amp;with={cameras[2].id}&amp;with={cameras[1].id}" in html
    # The picker offers the user's other cameras, not the page's own.
    offered = [camera.id for camera in response.context["other_cameras"]]
    assert offered == [camera.id for camera in cameras[1:]]


def test_another_users_camera_is_not_found(client, bob, make_camera, cameras):
    bobs = make_camera(bob, "Bob's", url="rtsp://10.0.3.1/s")
    client.force_login(bob)
    assert page(client, bobs, cameras[1].id).status_code == 404
    client.force_login(cameras[0].user)
    assert page(client, cameras[0], bobs.id).status_code == 404


@pytest.mark.parametrize(
    "followers",
    [("x",), ("-1",), ("1e3",), ("",), ("dup",), ("self",), ("four",), ("9" * 5000,)],
    ids=["text", "negative", "float", "empty", "repeated", "the-page-camera", "four", "huge"],
)
def test_bad_choices_are_refused(alice_client, cameras, followers):
    if followers == ("dup",):
        followers = (cameras[1].id, cameras[1].id)
    elif followers == ("self",):
        followers = (cameras[0].id,)
    elif followers == ("four",):
        followers = tuple(camera.id for camera in cameras[1:])
    response = page(alice_client, cameras[0], *followers)
    assert response.status_code in {400, 404}, response.content
    if followers != ("9" * 5000,):
        assert response.status_code == 400


def test_signed_out_visitors_go_to_the_sign_in_page(client, cameras):
    response = page(client, cameras[0], cameras[1].id)
    assert response.status_code == 302 and "/login/" in response["Location"]
