"""Command line: ``cctv-detector`` (also ``python -m cctv_detector``) serves the model until SIGTERM.
``cctv-detector check-config`` validates the environment and loads the model, then exits."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from cctv_detector.config import ConfigError, DetectorConfig
from cctv_detector.models import load_batch_model
from cctv_worker.detect.loader import ModelError, choose_model

log = logging.getLogger("cctv_detector")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="cctv-detector",
        description="Serve the detection model to many camera workers over KServe v2 (Triton), batched. "
        "Configured by environment variables (see camera-worker/README.md).",
    )
    parser.add_argument("command", nargs="?", default="run", choices=["run", "check-config"])
    args = parser.parse_args(argv)
    try:
        config = DetectorConfig.from_env(os.environ)
    except ConfigError as exc:
        print(f"cctv-detector: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        choice = choose_model(
            config.model_path, is_default=config.model_path_is_default, backend=config.backend
        )
        model = load_batch_model(
            choice,
            imgsz=config.inference_size,
            threads=config.inference_threads,
            max_batch=config.max_batch,
            device=config.device,
            half=config.half,
        )
    except ModelError as exc:
        print(f"cctv-detector: {exc}", file=sys.stderr)
        return 2
    log.info("model %s loaded with %s (%d classes)", choice.path, model.backend, len(model.names))
    if args.command == "check-config":
        return 0

    from cctv_detector.service import Service

    # PyTriton stops cleanly on KeyboardInterrupt; SIGTERM (Kubernetes, the local runtime) does the same.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        Service(config, model).serve()
    except KeyboardInterrupt:
        pass
    except OSError as exc:  # a port in use, no room for the workspace
        print(f"cctv-detector: cannot start: {exc}", file=sys.stderr)
        return 2
    return 0
