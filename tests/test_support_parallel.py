"""The parts of tests/support that keep parallel test workers apart: port blocks, the cache, the groups."""

from __future__ import annotations

import importlib
import socket
import threading
from pathlib import Path

import pytest

import support.net
from support import cache, parallel


@pytest.fixture
def worker_net(monkeypatch):
    """support.net as an xdist worker of the given name sees it (the module reads the name at import)."""

    def as_worker(name: str):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", name)
        return importlib.reload(support.net)

    yield as_worker
    monkeypatch.undo()  # the real worker's name (or none) again, then the module as it really is
    importlib.reload(support.net)


def test_each_worker_draws_distinct_ports_from_its_own_block_below_the_ephemeral_range(worker_net):
    gw3 = worker_net("gw3")
    ports = [gw3.free_port() for _ in range(50)]
    assert len(set(ports)) == 50  # no port handed out twice by one worker
    assert all(port in range(13000, 14000) for port in ports)
    gw4 = worker_net("gw4")
    assert gw4.worker_block() == range(14000, 15000)
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    assert gw4.worker_block().stop <= low  # never a port an outgoing connection could be using


def test_a_taken_port_of_the_block_is_skipped(worker_net):
    gw5 = worker_net("gw5")
    first = gw5.free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", first + 1 if first + 1 in gw5.worker_block() else gw5.worker_block().start))
        taken.listen()
        for _ in range(len(gw5.worker_block())):
            assert gw5.free_port() != taken.getsockname()[1]


def test_a_cached_input_is_built_once_even_by_concurrent_callers(tmp_path, monkeypatch):
    monkeypatch.setenv("CCTV_TEST_CACHE", str(tmp_path / "cache"))
    builds = []

    def build(scratch: Path) -> Path:
        builds.append(scratch)
        (scratch / "out.txt").write_text("made")
        return scratch / "out.txt"

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.cached("out.txt", key=("k", 1), build=build)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1 and len(set(results)) == 1
    assert results[0].read_text() == "made"
    assert not builds[0].exists()  # the build folder is cleaned up


def test_a_cached_input_is_rebuilt_when_its_key_or_its_builders_source_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("CCTV_TEST_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "builder.py"
    source.write_text("v1")

    def build(scratch: Path) -> Path:
        (scratch / "x").write_text(source.read_text())
        return scratch / "x"

    first = cache.cached("x", key="a", build=build, sources=[source])
    assert cache.cached("x", key="a", build=build, sources=[source]) == first
    assert cache.cached("x", key="b", build=build, sources=[source]) != first
    source.write_text("v2")
    changed = cache.cached("x", key="a", build=build, sources=[source])
    assert changed != first and changed.read_text() == "v2"


def test_groups_come_from_marks_folders_and_module_scoped_fixtures(request):
    """The items of this very session: tests/images shares the podman store, a module with a module-scoped
    fixture is its own group, and a test marked xdist_group keeps its own name."""
    items = request.session.items
    by_id = {item.nodeid: item for item in items}
    me = by_id[request.node.nodeid]
    assert parallel._group_of(me) is None  # nothing shared: any worker may run it

    def group(path_part: str) -> set[str | None]:
        return {parallel._group_of(item) for item in items if path_part in item.nodeid}

    if any("tests/images/" in nodeid for nodeid in by_id):
        assert group("tests/images/") == {"podman-store"}
    if any("test_abuse_http.py" in nodeid for nodeid in by_id):
        assert group("test_abuse_http.py") == {"tests/backend/test_abuse_http.py"}


def test_slow_tests_and_their_modules_come_first_and_modules_stay_in_one_piece(request):
    """Transactional database tests stay last (pytest-django's rule); before them, longest first."""
    items = [item for item in request.session.items if not parallel._transactional(item)]
    modules = [item.nodeid.split("::", 1)[0] for item in items]
    seen: list[str] = []
    for module in modules:
        if not seen or seen[-1] != module:
            assert module not in seen, f"{module} is split in two"
            seen.append(module)
    slow_modules = {m for item, m in zip(items, modules, strict=True) if item.get_closest_marker("slow")}
    flags = [m in slow_modules for m in seen]
    assert flags == sorted(flags, reverse=True)  # every module with a slow test before the others
    everything = request.session.items
    transactional = [parallel._transactional(item) for item in everything]
    assert transactional == sorted(transactional)
