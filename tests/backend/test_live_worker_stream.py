"""The backend's end of a worker's live stream (``surveillance.cameras.live.WorkerStream``) over real loopback
sockets and a real event loop: how a session ends decides whether the next one is watched at all.

The bug this guards: a relay cancelled while it waited to send (a slow viewer, a wall's tiles closed at
once) left the stream's generator suspended at a ``yield``; the response's close then closed the socket
under its asyncio transport. The selector still listed the descriptor, the kernel gave its number to the
next worker socket, and the loop never watched that one: the next viewer got no byte while the worker's
writes piled up unread (a wall tile stuck on "Connecting…" until its player gave up).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from surveillance.cameras.live import WorkerStream


@pytest.fixture
def worker_port() -> Iterator[int]:
    """A stand-in for a worker's live port: every connection gets 1 KB every 10 ms until it closes."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def feed(connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            while not stop.wait(0.01):
                connection.sendall(b"x" * 1024)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = server.accept()
                threading.Thread(target=feed, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    stop.set()
    server.close()


def test_a_session_closed_while_its_relay_waits_to_send_leaves_nothing_in_the_loops_selector(worker_port):
    """The close takes the descriptor out of the event loop's selector before the number is freed, so
    the kernel cannot hand it to a socket the loop then believes it watches. Checked in the selector
    itself: whether the next socket gets the same number depends on what else this process opens."""
    released: list[str] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        first = WorkerStream(connect(worker_port), b"", "avc1", lambda: released.append("first"))
        number = first._sock.fileno()
        chunks = aiter(first)
        assert await asyncio.wait_for(anext(chunks), 2)
        assert loop._selector.get_key(number)  # type: ignore[attr-defined]  # watched while it streams
        # The relay now waits to send that chunk, and is cancelled there: the generator stays at its
        # yield, and the response is closed (surveillance.cameras.live_ws does it from a worker thread).
        await asyncio.to_thread(first.close)
        await asyncio.sleep(0.1)  # what the close scheduled on the loop runs
        with pytest.raises(KeyError):
            loop._selector.get_key(number)  # type: ignore[attr-defined]

        # The next session is read, and still is after the first generator finished late (collected).
        second = WorkerStream(connect(worker_port), b"", "avc1", lambda: released.append("second"))
        following = aiter(second)
        assert await asyncio.wait_for(anext(following), 2)
        await chunks.aclose()
        for _ in range(5):
            assert await asyncio.wait_for(anext(following), 2)
        await following.aclose()

    asyncio.run(scenario())
    assert released == ["first", "second"]  # each session's place freed once


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port))


def test_a_stream_closed_from_another_thread_stops_and_frees_its_place_once(worker_port):
    """Django closes a streaming response in a worker thread: the close reaches the loop's transport."""
    released: list[int] = []

    async def scenario() -> None:
        stream = WorkerStream(
            socket.create_connection(("127.0.0.1", worker_port)), b"", "avc1", lambda: released.append(1)
        )
        chunks = aiter(stream)
        assert await asyncio.wait_for(anext(chunks), 2)
        await asyncio.to_thread(stream.close)

        # The transport is closed: the reads end (what was already buffered may still come), never hang.
        async def drain() -> None:
            async for _ in chunks:
                pass

        await asyncio.wait_for(drain(), 5)
        stream.close()

    asyncio.run(scenario())
    assert released == [1]


def test_a_stream_closed_before_it_is_read_closes_its_socket_and_yields_nothing(worker_port):
    released: list[int] = []
    sock = socket.create_connection(("127.0.0.1", worker_port))
    stream = WorkerStream(sock, b"head-rest", "avc1", lambda: released.append(1))
    stream.close()
    assert sock.fileno() == -1 and released == [1]

    async def read_all() -> list[bytes]:
        return [chunk async for chunk in stream]

    assert asyncio.run(read_all()) == []
    assert released == [1]
