"""Fixtures every part of the suite may ask for; each component's own live in its folder's conftest."""

pytest_plugins = [
    "support.django_fixtures",
    "support.database_marks",
    "support.parallel",
    "support.s3_store",
]
