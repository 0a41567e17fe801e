"""The OpenAPI schema and its Swagger UI page: served to signed-in users, assets from this server."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_describes_the_seed_endpoints_and_both_token_kinds(alice_client):
    response = alice_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert {"/api/send-alert/", "/api/alerts/", "/api/active-cameras/", "/api/cameras/{id}/activate/"} <= set(
        schema["paths"]
    )
    assert {"tokenAuth", "cameraIngestToken"} <= set(schema["components"]["securitySchemes"])


def test_the_docs_page_loads_its_assets_from_this_server_not_a_cdn(client, alice):
    client.force_login(alice)
    page = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page)
    assert assets, page[:500]
    assert all(asset.startswith("/static/drf_spectacular_sidecar/") for asset in assets), assets
    assert "cdn" not in page.lower()
    assert client.get(assets[0]).status_code == 200


def test_the_redoc_page_is_gone_and_its_old_links_land_on_swagger_ui(client, alice):
    # ReDoc loaded fonts from outside and started from an inline script: the CSP refused both (issue 19).
    client.force_login(alice)
    answer = client.get("/api/redoc/")
    assert answer.status_code == 302 and answer["Location"] == "/api/docs/"


def test_the_schema_generates_without_a_single_warning(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/send-alert/" in (tmp_path / "schema.yml").read_text()
