"""The live pages: a login first, only your own cameras, a player that asks the API (no credentials or
worker address in the page), and a CSP that lets the player's MediaSource (a blob: URL) play."""

from __future__ import annotations

from django.urls import reverse


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
