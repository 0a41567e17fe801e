"""Which tests run on both databases (a pytest plugin, see tests/conftest.py).

scripts/test runs the whole suite on PostgreSQL, then ``-m database`` again on SQLite (the laptop
product's database): the tests where the two can differ, i.e. queries, migrations, transactions and
locking. A test is marked ``database`` here when it uses Django's test database (the ``django_db`` mark,
or the ``db``/``transactional_db``/``live_server`` fixtures, directly or through another fixture). A test
whose *backend process* runs on the suite's database (``support.backend.server_database``) and whose
outcome depends on it carries ``@pytest.mark.database`` itself. Everything else (pure logic, HTTP
parsing, process handling) behaves the same on both and runs once.

That SQLite pass runs with the clock a year ahead (scripts/test, libfaketime), so it also takes the tests
marked ``dates``: those that send the product times a window can see. A test is marked ``dates`` here
when its module takes its times from ``support.clock`` (directly or through ``backend.event_objects``),
so a test that sends times, and so has to take them from there, is also checked a year ahead.
"""

from __future__ import annotations

import pytest

#: pytest-django's fixtures that give a test the database.
DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback", "live_server"}
)


def uses_django_database(item: pytest.Item) -> bool:
    if item.get_closest_marker("django_db") is not None:
        return True
    return not DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


#: Modules whose helpers give tests times relative to now.
CLOCK_MODULES = frozenset({"support.clock", "backend.event_objects"})


def takes_times_from_the_clock(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    names = vars(module).values() if module is not None else ()
    return any(getattr(value, "__module__", None) in CLOCK_MODULES for value in names)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("database") is None and uses_django_database(item):
            item.add_marker(pytest.mark.database)
        if item.get_closest_marker("dates") is None and takes_times_from_the_clock(item):
            item.add_marker(pytest.mark.dates)
