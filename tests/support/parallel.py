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

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

#: Folders whose tests share one thing that cannot be had twice at once (the first match wins).
FOLDER_GROUPS = {
    # One podman store, images built once per session by the session fixtures of tests/images/conftest.py,
    # one private network namespace and one backend container for the whole folder.
    "tests/images/": "podman-store",
}

GROUP_MARK = "xdist_group"
#: Where the workers leave {test id: group} for the controller's scheduler (set by the controller).
GROUPS_FILE = "CCTV_TEST_GROUPS_DIR"


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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    groups = {}
    for item in items:
        group = _group_of(item)
        if group is not None:
            groups[item.nodeid] = group
            if item.get_closest_marker(GROUP_MARK) is None:
                item.add_marker(pytest.mark.xdist_group(group))
    # xdist 3.8's own loadgroup appends "@group" to item._nodeid, which pytest 9 no longer reads (the id
    # lives in item._id): its groups silently fell apart. So each worker hands the groups to the
    # controller's scheduler (pytest_xdist_make_scheduler below) through a file.
    folder, worker = os.environ.get(GROUPS_FILE), os.environ.get("PYTEST_XDIST_WORKER")
    if folder and worker:
        target = Path(folder) / f"{worker}.json"
        target.with_suffix(".tmp").write_text(json.dumps(groups))
        target.with_suffix(".tmp").replace(target)


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadgroup``: the work units are the groups above (a test without one is a unit alone)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    folder = Path(os.environ[GROUPS_FILE])

    class GroupScheduling(LoadScopeScheduling):
        _groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self._groups is None:
                written = sorted(folder.glob("gw*.json"))
                self._groups = json.loads(written[0].read_text()) if written else {}
            return self._groups.get(nodeid, nodeid)

    return GroupScheduling(config, log)


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
    if not hasattr(config, "workerinput") and config.getoption("numprocesses", None):
        # The controller, before it starts the workers: they inherit the variable.
        os.environ[GROUPS_FILE] = tempfile.mkdtemp(prefix="cctv-test-groups-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput") and os.environ.get(GROUPS_FILE):
        shutil.rmtree(os.environ.pop(GROUPS_FILE), ignore_errors=True)
