"""A route matrix generated from the URL resolver: who may reach what.

Every API route answers 401 without credentials; every object route answers 404 for another user's
object; no list shows another user's rows; the HTML pages (admin, dashboard) send anonymous users to a
login page. New routes join the matrix by themselves. Regex routes (the admin's app index and catch-all,
``/media/``) are not enumerable and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.urls.resolvers import RoutePattern

from api_tokens import services as token_services
from audit.actions import AuditAction
from audit.services import audit_object
from backend.images import jpeg_base64
from backend.test_audit import read_all
from exports.models import Export
from notifications import services as notification_services
from notifications.models import Delivery
from surveillance.events import services

# Routes anyone may call: probes, metrics, token login, and HTML login/logout pages; "redoc" is the old
# ReDoc address, now only a redirect to the API docs (which ask for credentials themselves).
PUBLIC = {"healthz", "readyz", "metrics", "api-token-auth", "redoc"}
PUBLIC_HTML = {"login", "logout", "password_reset", "jsi18n"}
# Single sign-on's start and callback are how anonymous users sign in (their refusals: test_sso_oidc.py).
PUBLIC_HTML |= {"oidc-login", "oidc-callback"}


@dataclass(frozen=True)
class Route:
    template: str  # e.g. "api/cameras/<int:pk>/"
    name: str
    callback: object
    int_kwargs: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.template.startswith(("api/", "api-token-auth"))

    def methods(self) -> list[str]:
        view_class = getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)
        if view_class is None:
            return ["get"]
        return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)]

    def url(self, object_id: int = 1) -> str:
        path = re.sub(r"<int:\w+>", str(object_id), self.template)
        path = re.sub(r"<(?:path|str|slug):\w+>", str(object_id), path)
        return "/" + path


def _walk(patterns, prefix: str = "") -> list[Route]:
    routes: list[Route] = []
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue
        template = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += _walk(entry.url_patterns, template)
        elif isinstance(entry, URLPattern):
            converters = entry.pattern.converters
            int_kwargs = tuple(name for name, conv in converters.items() if isinstance(conv, IntConverter))
            routes.append(Route(template, entry.name or "", entry.callback, int_kwargs))
    return routes


ROUTES = _walk(get_resolver().url_patterns)
API_ROUTES = [route for route in ROUTES if route.is_api and route.name not in PUBLIC]
HTML_ROUTES = [
    route
    for route in ROUTES
    if not route.is_api and route.name not in PUBLIC | PUBLIC_HTML and route.template not in PUBLIC
]
API_OBJECT_ROUTES = [route for route in API_ROUTES if route.int_kwargs]
API_LISTS = [route for route in API_ROUTES if not route.int_kwargs and "get" in route.methods()]


def test_the_matrix_covers_the_seed_routes():
    templates = {route.template for route in API_ROUTES}
    assert {
        "api/cameras/", "api/cameras/<int:pk>/", "api/cameras/<int:pk>/activate/",
        "api/cameras/<int:pk>/deactivate/", "api/active-cameras/", "api/send-alert/", "api/alerts/",
        "api/alerts/<int:pk>/acknowledge/",
        "api/notifications/channels/", "api/notifications/channels/<int:pk>/",
        "api/notifications/channels/<int:pk>/test/", "api/notifications/deliveries/",
        "api/notifications/deliveries/<int:pk>/",
    } <= templates  # fmt: skip
    assert any(route.template.startswith("admin/") for route in HTML_ROUTES)


@pytest.mark.django_db
@pytest.mark.parametrize("route", API_ROUTES, ids=lambda route: route.template)
def test_every_api_route_answers_401_without_credentials(anonymous_client, route):
    for method in route.methods():
        response = getattr(anonymous_client, method)(route.url(), {}, format="json")
        assert response.status_code == 401, (method, route.template, response.status_code)
        assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
@pytest.mark.parametrize("route", API_ROUTES, ids=lambda route: route.template)
def test_a_wrong_token_answers_401_everywhere(route):
    from backend.conftest import client_for

    client = client_for("0" * 40)
    for method in route.methods():
        assert getattr(client, method)(route.url(), {}, format="json").status_code == 401


@pytest.fixture
def bobs_objects(bob, bob_camera):
    channel = notification_services.channel_create(
        user=bob, kind="email", name="bob-x mail", addresses=["bob-x@example.com"]
    )
    alert, _ = services.alert_ingest(
        camera=bob_camera,
        alert_type="fire",
        confidence=0.9,
        image_base64=jpeg_base64(),
        description="bob-x",
    )
    delivery = Delivery.objects.get(channel=channel, alert=alert)
    export = Export.objects.create(
        user=bob, camera=bob_camera, name="bob-x", start=alert.occurred_at, end=alert.occurred_at
    )
    token = token_services.token_create(
        user=bob, name="bob-x", scope="full", expires_at=alert.occurred_at + timedelta(days=1)
    ).token
    audit_object(None, AuditAction.CAMERA_CREATED, bob_camera)  # a record of Bob's team ("Bob's yard")
    return {
        "cameras": bob_camera.pk,
        "alerts": alert.pk,
        "channels": channel.pk,
        "deliveries": delivery.pk,
        "exports": export.pk,
        "teams": bob.personal_team.pk,
        "tokens": token.pk,
    }


def _owner_kind(route: Route) -> str:
    for kind in ("channels", "deliveries", "alerts", "exports", "tokens", "teams"):
        if f"/{kind}/" in f"/{route.template}":
            return kind
    return "cameras"


@pytest.mark.django_db
@pytest.mark.parametrize("route", API_OBJECT_ROUTES, ids=lambda route: route.template)
def test_another_users_object_answers_404_for_every_method(alice_client, bobs_objects, route):
    url = route.url(bobs_objects[_owner_kind(route)])
    for method in route.methods():
        response = getattr(alice_client, method)(url, {"stream_state": "up", "name": "x"}, format="json")
        assert response.status_code == 404, (method, url, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("route", API_LISTS, ids=lambda route: route.template)
def test_no_list_shows_another_users_rows(alice_client, alice_camera, bobs_objects, route):
    response = alice_client.get(route.url())
    assert response.status_code == 200, route.template
    text = (read_all(response) if response.streaming else response.content).decode()
    for secret in ("Bob's yard", "hunter2", "10.0.0.9", "bob-x"):
        assert secret not in text, (route.template, secret)


@pytest.mark.django_db
@pytest.mark.parametrize("route", HTML_ROUTES, ids=lambda route: route.template)
def test_every_html_page_sends_anonymous_users_to_a_login_page(client, route):
    response = client.get(route.url())
    if response.status_code == 405:  # a POST-only action: nothing to show anyone
        return
    assert response.status_code in (302, 401, 403), (route.template, response.status_code)
    if response.status_code == 302:
        assert "login" in response["Location"], (route.template, response["Location"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route", [route for route in HTML_ROUTES if route.int_kwargs and not route.template.startswith("admin/")],
    ids=lambda route: route.template,
)  # fmt: skip
def test_every_html_object_page_answers_404_for_another_users_object(client, alice, bobs_objects, route):
    client.force_login(alice)
    response = client.get(route.url(bobs_objects[_owner_kind(route)]))
    assert response.status_code in (404, 405), (route.template, response.status_code)
