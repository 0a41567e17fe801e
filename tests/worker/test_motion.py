"""The motion gate: what counts as motion, masks, the forced detection, and its settings."""

from __future__ import annotations

import numpy as np
import pytest

from cctv_worker.capture.motion import MotionDetector, MotionGate, MotionSettings, Reason
from cctv_worker.config import ConfigError, WorkerConfig
from cctv_worker.worker import motion_gate

RNG = np.random.default_rng(7)
# A textured still scene (a flat grey frame would hide bugs that only texture shows).
SCENE = (RNG.integers(60, 190, size=(360, 640, 3), dtype=np.uint8) // 16 * 16).astype(np.uint8)


def with_block(x: float, y: float, size: float = 0.12, value: int = 250) -> np.ndarray:
    """The scene with a bright square (someone walking in) at normalised (x, y)."""
    image = SCENE.copy()
    h, w = image.shape[:2]
    x1, y1 = int(x * w), int(y * h)
    image[y1 : y1 + int(size * h), x1 : x1 + int(size * h)] = value
    return image


def noisy(image: np.ndarray, amplitude: int = 6) -> np.ndarray:
    """Sensor noise and compression wobble: small changes on every pixel."""
    noise = RNG.integers(-amplitude, amplitude + 1, size=image.shape)
    return np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def gate(forced: float = 0.0, **settings) -> MotionGate:
    return MotionGate(MotionDetector(MotionSettings(**settings)), forced_interval=forced)


def test_the_first_frame_is_analysed_and_a_still_noisy_scene_is_not() -> None:
    g = gate()
    assert g.decide(SCENE, now=0.0).reason is Reason.FORCED  # no background yet: analysed
    for t in range(1, 20):
        decision = g.decide(noisy(SCENE), now=float(t))
        assert decision.reason is Reason.STILL, decision


def test_someone_walking_in_is_motion_and_the_gate_reopens_when_they_move_on() -> None:
    g = gate()
    g.decide(SCENE, now=0.0)
    assert g.decide(noisy(SCENE), now=1.0).reason is Reason.STILL
    assert g.decide(with_block(0.2, 0.3), now=2.0).motion
    assert g.decide(with_block(0.5, 0.3), now=3.0).motion  # walking on


def test_a_change_below_the_minimum_area_is_not_motion() -> None:
    g = gate(min_area=0.05)  # 5 % of the frame
    g.decide(SCENE, now=0.0)
    small = with_block(0.5, 0.5, size=0.1)  # 0.1 x 0.056 of the frame: about 0.6 %
    decision = g.decide(small, now=1.0)
    assert decision.reason is Reason.STILL
    assert 0.0 < decision.changed < 0.05
    assert gate_sees(small, min_area=0.002)


def gate_sees(image: np.ndarray, **settings) -> bool:
    g = gate(**settings)
    g.decide(SCENE, now=0.0)
    return g.decide(image, now=1.0).motion


def test_a_difference_below_the_pixel_threshold_is_not_motion() -> None:
    faint = with_block(0.3, 0.3, size=0.3, value=0)
    faint = np.where(faint == 0, np.clip(SCENE.astype(np.int16) + 15, 0, 255), SCENE).astype(np.uint8)
    assert not gate_sees(faint, pixel_threshold=25)
    assert gate_sees(faint, pixel_threshold=10)


def test_a_slow_change_fades_into_the_background() -> None:
    g = gate()
    g.decide(SCENE, now=0.0)
    image = SCENE.astype(np.int16)
    for t in range(1, 60):  # dusk: one grey level darker per checked frame
        image = image - 1
        assert g.decide(np.clip(image, 0, 255).astype(np.uint8), now=float(t)).reason is Reason.STILL


def test_motion_only_inside_a_mask_does_not_open_the_gate_but_outside_it_does() -> None:
    tree = ((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0))  # the left half
    assert not gate_sees(with_block(0.1, 0.3), masks=(tree,))
    assert gate_sees(with_block(0.7, 0.3), masks=(tree,))
    assert gate_sees(with_block(0.1, 0.3))  # the same motion without the mask


def test_a_mask_over_the_whole_frame_never_opens_the_gate() -> None:
    everything = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
    assert not gate_sees(with_block(0.4, 0.4, size=0.5), masks=(everything,))


def test_the_forced_detection_comes_every_interval_while_nothing_moves() -> None:
    g = gate(forced=5.0)
    reasons = [g.decide(noisy(SCENE), now=t * 1.0).reason for t in range(0, 12)]
    # t=0 is the first frame (always analysed); then forced at 5 and 10 s.
    assert [t for t, r in enumerate(reasons) if r is Reason.FORCED] == [0, 5, 10]
    assert all(r is Reason.STILL for t, r in enumerate(reasons) if t not in (0, 5, 10))


@pytest.mark.slow
def test_while_nothing_is_followed_the_forced_detection_comes_every_idle_interval() -> None:
    g = MotionGate(MotionDetector(MotionSettings()), forced_interval=5.0, idle_interval=60.0)
    g.decide(SCENE, now=0.0)  # the first frame
    idle = [t for t in range(1, 130) if g.decide(noisy(SCENE), float(t), following=False).detect]
    assert idle == [60, 120]
    # Something is followed (an event open, an object seen): every forced_interval again.
    followed = [t for t in range(130, 142) if g.decide(noisy(SCENE), float(t), following=True).detect]
    assert followed == [130, 135, 140]


def test_motion_is_analysed_at_once_whatever_the_idle_interval() -> None:
    g = MotionGate(MotionDetector(MotionSettings()), forced_interval=5.0, idle_interval=3600.0)
    g.decide(SCENE, now=0.0)
    assert g.decide(noisy(SCENE), now=1.0, following=False).reason is Reason.STILL
    assert g.decide(with_block(0.2, 0.3), now=2.0, following=False).motion


@pytest.mark.parametrize(
    ("forced", "idle", "expected"),
    [(5.0, 60.0, 60.0), (5.0, 2.0, 5.0), (5.0, None, 5.0), (5.0, 0.0, 0.0), (0.0, 60.0, 0.0)],
)
def test_the_idle_interval_is_never_shorter_than_the_forced_one_and_zero_forces_nothing(
    forced: float, idle: float | None, expected: float
) -> None:
    g = MotionGate(MotionDetector(MotionSettings()), forced_interval=forced, idle_interval=idle)
    assert g.idle_interval == expected


def test_motion_restarts_the_forced_interval() -> None:
    g = gate(forced=5.0)
    g.decide(SCENE, now=0.0)
    assert g.decide(with_block(0.2, 0.2), now=4.0).motion
    # The square left again (the background barely took it in): still, and 5 s counted from 4.
    assert g.decide(noisy(SCENE), now=6.0).reason is Reason.STILL
    assert g.decide(noisy(SCENE), now=8.9).reason is Reason.STILL
    assert g.decide(noisy(SCENE), now=9.0).reason is Reason.FORCED


def test_a_reset_forgets_the_background() -> None:
    g = gate()
    g.decide(SCENE, now=0.0)
    g.reset()
    assert g.decide(SCENE, now=1.0).reason is Reason.FORCED


def base_env(**extra: str) -> dict[str, str]:
    return {"CAMERA_ID": "1", "RTSP_URL": "rtsp://cam/stream", "DJANGO_API_TOKEN": "t", **extra}


def test_the_gate_settings_come_from_the_environment() -> None:
    config = WorkerConfig.from_env(base_env(
        MOTION_THRESHOLD="30", MOTION_MIN_AREA="0.01", FORCED_DETECT_INTERVAL="3",
        MOTION_MASKS='[{"name": "tree", "points": [[0, 0], [0.3, 0], [0.3, 0.4]]}]',
    ))  # fmt: skip
    g = motion_gate(config)
    assert g is not None and g.forced_interval == 3.0
    assert g.detector.settings.pixel_threshold == 30 and g.detector.settings.min_area == 0.01
    assert g.detector.settings.masks == (((0.0, 0.0), (0.3, 0.0), (0.3, 0.4)),)
    assert g.idle_interval == 60.0  # FORCED_DETECT_IDLE_INTERVAL's default
    assert motion_gate(WorkerConfig.from_env(base_env(FORCED_DETECT_IDLE_INTERVAL="0"))).idle_interval == 0.0
    assert motion_gate(WorkerConfig.from_env(base_env(MOTION_GATE="false"))) is None


def test_a_forced_interval_not_shorter_than_the_event_grace_is_cut_to_half_the_grace() -> None:
    # The API accepts up to an hour; the worker must still start, and keep a still object's event open.
    config = WorkerConfig.from_env(base_env(FORCED_DETECT_INTERVAL="3600", EVENT_GRACE="10"))
    assert config.forced_detect_interval == 3600.0
    gate = motion_gate(config)
    assert gate is not None and gate.forced_interval == 5.0
    assert motion_gate(WorkerConfig.from_env(base_env(FORCED_DETECT_INTERVAL="0"))).forced_interval == 0.0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MOTION_MASKS", "[{", "MOTION_MASKS: not valid JSON"),
        ("MOTION_MASKS", '[{"points": [[0, 0], [2, 0], [1, 1]]}]', "mask point [2.0, 0.0] is outside"),
        ("MOTION_MASKS", '[{"points": [[0, 0], [1, 0]]}]', "MOTION_MASKS"),
        ("MOTION_THRESHOLD", "0", "MOTION_THRESHOLD"),
        ("MOTION_MIN_AREA", "2", "MOTION_MIN_AREA"),
        ("FORCED_DETECT_INTERVAL", "-1", "FORCED_DETECT_INTERVAL"),
        ("FORCED_DETECT_IDLE_INTERVAL", "-1", "FORCED_DETECT_IDLE_INTERVAL"),
    ],
)
def test_bad_gate_settings_stop_start_up_naming_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        WorkerConfig.from_env(base_env(**{name: value}))
