"""Single sign-on (issue 25): OpenID Connect login (authorization code with PKCE, mozilla-django-oidc),
trusted proxy headers (oauth2-proxy, Authelia), and the link from a provider's subject to a local user.

Every sign-in through a provider ends in ``services.user_signed_in_by_provider``: it finds or creates the
user and hands the groups' team roles to ``team_roles.apply_sso_roles``.
"""
