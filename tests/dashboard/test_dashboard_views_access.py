"""Every dashboard page needs a login, and a user never reaches another user's cameras or alerts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from support.django_fixtures import PASSWORD

PAGES = ["dashboard:index", "dashboard:cameras", "dashboard:camera-create", "dashboard:statistics"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_pages_redirect_an_anonymous_visitor_to_the_login_page(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("dashboard:login") + "?next=")


@pytest.mark.django_db
def test_poll_endpoint_needs_a_login(client):
    response = client.get(reverse("dashboard:alert-poll") + "?after=0")
    assert response.status_code == 302


def test_object_pages_need_a_login_too(client, alice, make_camera, make_alert):
    camera = make_camera(alice)
    alert = make_alert(camera)
    for url in [
        reverse("dashboard:camera-edit", args=[camera.id]),
        reverse("dashboard:zones", args=[camera.id]),
        reverse("dashboard:alert", args=[alert.id]),
    ]:
        assert client.get(url).status_code == 302, url
    for url in [
        reverse("dashboard:camera-activate", args=[camera.id]),
        reverse("dashboard:alert-acknowledge", args=[alert.id]),
        reverse("dashboard:alerts-acknowledge"),
    ]:
        assert client.post(url, {"alert_ids": [alert.id]}).status_code == 302, url
    camera.refresh_from_db()
    alert.refresh_from_db()
    assert not camera.is_active and not alert.acknowledged


def test_login_with_the_right_password_lands_on_the_alert_feed(client, alice):
    response = client.post(reverse("dashboard:login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:index")
    assert client.get(reverse("dashboard:index")).status_code == 200


def test_login_with_a_wrong_password_shows_an_error_and_stays_logged_out(client, alice):
    response = client.post(reverse("dashboard:login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert client.get(reverse("dashboard:index")).status_code == 302


def test_logout_ends_the_session(alice_client):
    response = alice_client.post(reverse("dashboard:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:login")
    assert alice_client.get(reverse("dashboard:index")).status_code == 302


def test_another_users_camera_and_alert_ids_are_404_on_every_page(alice_client, bob, make_camera, make_alert):
    camera = make_camera(bob, "Bob's garage")
    alert = make_alert(camera)
    for url in [
        reverse("dashboard:camera-edit", args=[camera.id]),
        reverse("dashboard:zones", args=[camera.id]),
        reverse("dashboard:alert", args=[alert.id]),
    ]:
        assert alice_client.get(url).status_code == 404, url
        assert alice_client.post(url, {"name": "x", "zones": "[]"}).status_code in (404, 405), url
    for url in [
        reverse("dashboard:camera-activate", args=[camera.id]),
        reverse("dashboard:camera-deactivate", args=[camera.id]),
        reverse("dashboard:alert-acknowledge", args=[alert.id]),
    ]:
        assert alice_client.post(url).status_code == 404, url
    camera.refresh_from_db()
    alert.refresh_from_db()
    assert (camera.name, camera.is_active, camera.zones, alert.acknowledged) == (
        "Bob's garage",
        False,
        [],
        False,
    )


def test_lists_feed_and_statistics_show_nothing_of_another_user(
    alice_client, alice, bob, make_camera, make_alert
):
    mine = make_camera(alice, "Alice porch")
    make_alert(mine, "vehicle")
    theirs = make_camera(bob, "Bob garage", url="rtsp://bob:b0bpass@10.9.9.9/x")
    bob_alert = make_alert(theirs, "fire")
    pages = [
        reverse("dashboard:index"),
        reverse("dashboard:cameras"),
        reverse("dashboard:statistics"),
        reverse("dashboard:alert-poll") + "?after=0",
        reverse("dashboard:index") + f"?camera={theirs.id}",
    ]
    for url in pages:
        body = alice_client.get(url).content.decode()
        assert "Bob garage" not in body and "10.9.9.9" not in body, url
        assert f"alert-{bob_alert.id}" not in body, url
    assert "Alice porch" in alice_client.get(reverse("dashboard:cameras")).content.decode()


def test_bulk_acknowledge_ignores_ids_of_another_users_alerts(
    alice_client, alice, bob, make_camera, make_alert
):
    mine = make_alert(make_camera(alice))
    theirs = make_alert(make_camera(bob))
    alice_client.post(reverse("dashboard:alerts-acknowledge"), {"alert_ids": [mine.id, theirs.id]})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.acknowledged and not theirs.acknowledged
