"""How the suite runs on several pytest-xdist workers (``-n N --dist loadgroup``; scripts/test does this).

Every test must be safe to run beside any other, in another process: free ports (``support.net.free_port``),
its own ``tmp_path``, a per-worker test database (pytest-django appends ``_gw0``, ``_gw1``... to the name)
and scratch databases with random names (``support.backend.server_database``). What cannot be made
per-test is shared inside one *group*: xdist runs the tests of a group one after another on one worker.
A test joins a group:

- by its own mark, ``@pytest.mark.xdist_group("name")`` (or ``pytestmark`` in the module), for a resource
  that tests of several modules share (e.g. ``podman-store`` below);
- by its folder, from ``FOLDER_GROUPS`` below: one resource behind a whole folder;
- by itself when its module has a module- or class-scoped fixture (a server started once for the module):
  the module's tests stay together so that the fixture is built once, not once per worker.

Collection is ordered longest first (tests marked ``slow``, and the modules that hold them, before the rest;
transactional database tests still last, as pytest-django wants; stable otherwise and the same in every
worker, as xdist requires), so that a 3-minute real-time test starts at the beginning of the run instead of
becoming its tail. xdist itself sends the groups of several tests first, the largest first.

Without xdist (plain ``pytest``) the marks change nothing but that order.
"""

from __future__ import annotations

import pytest

#: Folders whose tests share one thing that cannot be had twice at once (the first match wins).
FOLDER_GROUPS = {
    # One podman store, images built once per session by the session fixtures of tests/images/conftest.py,
    # one private network namespace and one backend container for the whole folder.
    "tests/images/": "podman-store",
}

GROUP_MARK = "xdist_group"


def _module_group(item: pytest.Item) -> str | None:
    """The item's module path when it uses a fixture of the suite's own (a test module's or a conftest's)
    scoped to its module or class, else None. Installed plugins' fixtures (baseid "") are left out:
    pytest-django puts a class-scoped autouse fixture on every test."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    for definitions in info.name2fixturedefs.values():
        if any(d.scope in ("module", "class") and d.baseid for d in definitions):
            return item.nodeid.split("::", 1)[0]
    return None


def _group_of(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker(GROUP_MARK)
    if mark is not None:
        return mark.args[0] if mark.args else mark.kwargs.get("name", "default")
    path = item.nodeid.split("::", 1)[0]
    for folder, group in FOLDER_GROUPS.items():
        if path.startswith(folder):
            return group
    return _module_group(item)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the marks to form the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        group = _group_of(item)
        if group is not None and item.get_closest_marker(GROUP_MARK) is None:
            item.add_marker(pytest.mark.xdist_group(group))


def _transactional(item: pytest.Item) -> bool:
    """pytest-django's own test: it runs these after the others (they empty the tables when they end)."""
    fixtures = getattr(item, "fixturenames", ())
    mark = item.get_closest_marker("django_db")
    marked = mark is not None and (mark.kwargs.get("transaction") or mark.kwargs.get("reset_sequences"))
    return bool(marked) or "transactional_db" in fixtures or "live_server" in fixtures


def _longest_first(items: list[pytest.Item]) -> None:
    """Longest first: the modules that hold a slow test before the others, and its slow tests first within
    a module; a module stays in one piece (its module-scoped fixtures are built once in a plain run).
    pytest-django's one rule is kept: transactional tests after the other database tests. Tests without a
    database may go anywhere, so a 3-minute stream test no longer waits behind every database test.
    sort() is stable: the rest keep their order."""
    module_of = {id(item): item.nodeid.split("::", 1)[0] for item in items}
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        first_seen.setdefault(module_of[id(item)], index)
    slow_modules = {module_of[id(item)] for item in items if item.get_closest_marker("slow")}
    items.sort(
        key=lambda item: (
            _transactional(item),
            module_of[id(item)] not in slow_modules,
            first_seen[module_of[id(item)]],
            item.get_closest_marker("slow") is None,
        )
    )


class _Order:
    @pytest.hookimpl(trylast=True)  # after pytest-django's order (database tests, transactional, then none)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        _longest_first(items)


def pytest_configure(config: pytest.Config) -> None:
    # A second hook of the same name needs its own plugin object: this one runs last, the marks' first.
    config.pluginmanager.register(_Order(), "cctv-longest-first")
