"""The authentication backend of users signed in by a trusted proxy, and of permissions when passwords are
off (Django needs a backend that can load a session's user and answer ``has_perm``)."""

from django.contrib.auth.backends import ModelBackend


class SignedInElsewhereBackend(ModelBackend):
    """Django's model backend without the password check: ``authenticate`` never signs anyone in.

    Users signed in by a trusted proxy keep this backend in their session; while ``LOCAL_PASSWORDS`` is
    off it is also what answers ``has_perm`` and loads password users' sessions (ModelBackend is gone).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        return None
