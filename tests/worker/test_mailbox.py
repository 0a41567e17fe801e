"""The one-slot mailbox between capture and detection: the newest frame wins."""

import numpy as np

from cctv_worker.capture.stream import Frame, Mailbox


def frame(i: int) -> Frame:
    return Frame(np.zeros((2, 2, 3), np.uint8), i, 0.0)


def test_an_unread_frame_is_replaced_by_the_newer_one_and_reported() -> None:
    box = Mailbox()
    assert box.put(frame(1)) is False
    assert box.put(frame(2)) is True  # frame 1 was dropped
    got = box.get(timeout=0)
    assert got is not None and got.index == 2
    assert box.get(timeout=0) is None
