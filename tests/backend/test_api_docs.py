"""The OpenAPI schema and its Swagger UI / Redoc pages: served to signed-in users, assets from this server."""

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


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_their_assets_from_this_server_not_a_cdn(client, alice, path):
    client.force_login(alice)
    page = client.get(path).content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page)
    assert assets, page[:500]
    assert all(asset.startswith("/static/drf_spectacular_sidecar/") for asset in assets), assets
    assert "cdn" not in page.lower()
    assert client.get(assets[0]).status_code == 200


def test_the_schema_generates_without_a_single_warning(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/send-alert/" in (tmp_path / "schema.yml").read_text()
