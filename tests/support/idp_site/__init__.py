"""A small OpenID provider for the single-sign-on tests: django-oauth-toolkit's OIDC server (discovery,
RS256 ID tokens signed with a key the test generates, userinfo with a ``groups`` claim, PKCE required),
run as its own Django project on loopback with its own SQLite file (tests/support/oidc_provider.py)."""
