"""The live pages: a login first, only your own cameras, a player that asks the API (no credentials or
worker address in the page), and a CSP that lets the player's MediaSource (a blob: URL) play."""

from __future__ import annotations

from django.urls import reverse

from surveillance.models import WallLayout


def test_the_live_pages_need_a_login(client, alice, make_camera):
    camera = make_camera(alice)
    for url in [reverse("dashboard:live", args=[camera.id]), reverse("dashboard:wall")]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("dashboard:login"))


def test_another_users_camera_has_no_live_page_and_is_not_on_the_wall(client, alice, bob, make_camera):
    theirs = make_camera(bob, name="Bob's yard")
    mine = make_camera(alice, name="Gate")
    client.force_login(alice)
    assert client.get(reverse("dashboard:live", args=[theirs.id])).status_code == 404
    wall = client.get(reverse("dashboard:wall")).content.decode()
    assert "Gate" in wall and "Bob" not in wall
    assert reverse("dashboard:live", args=[mine.id]) in wall


def test_the_player_asks_the_api_and_the_csp_allows_its_media_source(client, alice, make_camera):
    camera = make_camera(alice)
    camera.live_key = "a-worker-key-never-shown"
    camera.save()
    client.force_login(alice)
    response = client.get(reverse("dashboard:live", args=[camera.id]))
    page = response.content.decode()
    assert f'data-live-url="/api/cameras/{camera.id}/live/"' in page
    assert "a-worker-key-never-shown" not in page
    csp = response["Content-Security-Policy"]
    assert "media-src 'self' blob:" in csp and "script-src 'self';" in csp


def test_the_wall_tiles_ask_for_the_sub_stream_and_the_single_view_for_the_main_one(
    alice_client, alice, make_camera
):
    camera = make_camera(alice)
    wall = alice_client.get(reverse("dashboard:wall")).content.decode()
    single = alice_client.get(reverse("dashboard:live", args=[camera.id])).content.decode()
    assert 'data-stream="sub"' in wall and 'data-stream="main"' in single


def test_a_saved_layout_shows_its_cameras_in_its_order_and_columns(alice_client, alice, make_camera):
    gate, yard, door = (make_camera(alice, name=name) for name in ("Gate", "Yard", "Door"))
    response = alice_client.post(reverse("dashboard:wall"), {"columns": "3", "cameras": [yard.id, gate.id]})
    assert response.status_code == 302
    wall = alice_client.get(reverse("dashboard:wall")).content.decode()
    assert 'class="live-wall cols-3"' in wall
    tiles = [f'data-camera="{camera.id}"' for camera in (gate, yard, door)]
    assert tiles[0] in wall and tiles[1] in wall and tiles[2] not in wall
    # Cleared choice: every camera again, the columns kept.
    alice_client.post(reverse("dashboard:wall"), {"columns": "3"})
    wall = alice_client.get(reverse("dashboard:wall")).content.decode()
    assert all(tile in wall for tile in tiles) and 'class="live-wall cols-3"' in wall


def test_a_layout_is_per_user(client, alice, bob, make_camera):
    make_camera(alice, name="Gate")
    make_camera(bob, name="Bob's yard")
    client.force_login(alice)
    client.post(reverse("dashboard:wall"), {"columns": "4"})
    client.force_login(bob)
    assert 'class="live-wall cols-2"' in client.get(reverse("dashboard:wall")).content.decode()


def test_a_layout_with_another_users_camera_or_bad_columns_is_refused_and_saves_nothing(
    client, alice, bob, make_camera
):
    mine = make_camera(alice, name="Gate")
    theirs = make_camera(bob, name="Bob's yard")
    client.force_login(alice)
    for data in ({"columns": "2", "cameras": [mine.id, theirs.id]}, {"columns": "9"}, {"columns": "x"}, {}):
        response = client.post(reverse("dashboard:wall"), data)
        assert response.status_code == 400 and "Bob" not in response.content.decode()
    assert not WallLayout.objects.filter(user=alice).exists()


def test_the_alert_page_links_to_the_cameras_live_view(alice_client, alice, make_camera, make_alert):
    camera = make_camera(alice)
    alert = make_alert(camera)
    page = alice_client.get(reverse("dashboard:alert", args=[alert.id])).content.decode()
    assert f'id="live-link" href="{reverse("dashboard:live", args=[camera.id])}"' in page
