"""The provider's discovery document, read over real HTTP from a loopback server: its issuer must be the
configured one exactly, its endpoints http(s) URLs, its size bounded; a good one is kept, a failure not."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sso import discovery


@pytest.fixture
def served(settings):
    """A loopback server answering the discovery path with whatever the test sets; counts the requests."""
    state = {"body": b"{}", "requests": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state["requests"] += 1
            body = state["body"]
            self.send_response(200 if self.path == "/o/.well-known/openid-configuration" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    issuer = f"http://127.0.0.1:{server.server_address[1]}/o"
    settings.OIDC_ISSUER = issuer
    settings.OIDC_TIMEOUT_SECONDS = 5
    discovery.forget()

    def document(**changes):
        doc = {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize/",
            "token_endpoint": f"{issuer}/token/",
            "jwks_uri": f"{issuer}/jwks/",
            "userinfo_endpoint": f"{issuer}/userinfo/",
        }
        doc.update(changes)
        state["body"] = json.dumps({key: value for key, value in doc.items() if value is not None}).encode()

    state["document"] = document
    state["issuer"] = issuer
    yield state
    discovery.forget()
    server.shutdown()
    server.server_close()


def test_a_good_document_gives_the_endpoints_and_is_kept(served):
    served["document"]()
    first = discovery.provider()
    assert (
        first.token_endpoint == f"{served['issuer']}/token/" and first.jwks_uri == f"{served['issuer']}/jwks/"
    )
    assert discovery.provider() == first and served["requests"] == 1


def test_a_provider_without_userinfo_is_accepted(served):
    served["document"](userinfo_endpoint=None)
    assert discovery.provider().userinfo_endpoint == ""


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"issuer": "https://attacker.example/o"}, "names the issuer"),
        ({"token_endpoint": "file:///etc/passwd"}, "token_endpoint"),
        ({"jwks_uri": None}, "jwks_uri"),
        ({"authorization_endpoint": 42}, "authorization_endpoint"),
    ],
)
def test_a_document_for_another_issuer_or_with_bad_endpoints_is_refused_and_not_kept(
    served, changes, message
):
    served["document"](**changes)
    with pytest.raises(discovery.ProviderUnavailable, match=message):
        discovery.provider()
    served["document"]()
    assert discovery.provider().issuer == served["issuer"]  # the failure was not kept


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"[1, 2]", "not a JSON object"), (b"not json", "cannot be read"), (b" " * (300 * 1024), "larger than")],
    ids=["array", "garbage", "huge"],
)
def test_an_answer_that_is_no_document_is_refused(served, body, message):
    served["body"] = body
    with pytest.raises(discovery.ProviderUnavailable, match=message):
        discovery.provider()
