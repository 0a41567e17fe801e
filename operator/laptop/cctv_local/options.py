"""Options of ``cctv-local`` (the one command that runs the whole product on this machine).

Each option is a flag with an environment variable as its default, so that the README's one command
works with no arguments and a user can still change the common things.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LocalOptions:
    host: str
    port: int
    data_dir: Path
    database_url: str
    camera_urls: tuple[str, ...]
    demo_cameras: int
    demo_footage: Path | None
    model_path: str
    confidence_threshold: float
    poll_interval: float


DEFAULT_FOOTAGE = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def parse_options(argv: list[str] | None = None) -> LocalOptions:
    parser = argparse.ArgumentParser(
        prog="cctv-local",
        description="Run the whole CCTV analytics product on this machine: backend, dashboard, "
        "the operator's sync driving one worker process per active camera, and a demo camera.",
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("CCTV_HOST", "127.0.0.1"),
        help="address the backend listens on (env CCTV_HOST, default 127.0.0.1)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=os.environ.get("CCTV_PORT", "8000"),
        help="backend/dashboard port (env CCTV_PORT, default 8000)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("CCTV_DATA_DIR", "data")),
        help="database, snapshots, spools and logs (env CCTV_DATA_DIR, default ./data)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="use this database, e.g. postgres://user@host/db "
        "(env DATABASE_URL, default SQLite in the data dir)",
    )
    parser.add_argument(
        "--camera",
        dest="camera_urls",
        action="append",
        default=_env_list("CCTV_CAMERA_URLS"),
        metavar="URL",
        help="add and activate a real camera by its RTSP URL; "
        "repeatable (env CCTV_CAMERA_URLS, comma-separated)",
    )
    parser.add_argument(
        "--demo-cameras",
        type=int,
        default=os.environ.get("CCTV_DEMO_CAMERAS", "1"),
        help="how many demo cameras to stream from the demo footage (env CCTV_DEMO_CAMERAS, "
        "default 1; 0 for none)",
    )
    parser.add_argument(
        "--demo-footage",
        type=Path,
        default=Path(os.environ.get("CCTV_DEMO_FOOTAGE", str(DEFAULT_FOOTAGE))),
        help="video file the demo cameras loop (env CCTV_DEMO_FOOTAGE, default "
        "OpenCV's vtest.avi pedestrians from Debian's opencv-doc)",
    )
    parser.add_argument(
        "--model",
        dest="model_path",
        default=os.environ.get("MODEL_PATH", "yolov8n.pt"),
        help="detection model for every worker (env MODEL_PATH, default yolov8n.pt; "
        "without that file and no network, a bundled person detector is used)",
    )
    parser.add_argument(
        "--confidence",
        dest="confidence_threshold",
        type=float,
        default=os.environ.get("CONFIDENCE_THRESHOLD", "0.5"),
        help="confidence threshold of new cameras (env CONFIDENCE_THRESHOLD, default 0.5)",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=os.environ.get("POLL_INTERVAL", "3"),
        help="seconds between syncs of active cameras (env POLL_INTERVAL, default 3)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        parser.error(f"--port {args.port} is not a TCP port")
    if args.demo_cameras < 0 or args.demo_cameras > 64:
        parser.error("--demo-cameras must be between 0 and 64")
    if not 0.0 <= args.confidence_threshold <= 1.0:
        parser.error("--confidence must be between 0 and 1")
    if args.poll_interval <= 0:
        parser.error("--poll-interval must be positive")
    data_dir = args.data_dir.resolve()
    return LocalOptions(
        host=args.host,
        port=args.port,
        data_dir=data_dir,
        database_url=args.database_url or f"sqlite:///{data_dir / 'db.sqlite3'}",
        camera_urls=tuple(args.camera_urls),
        demo_cameras=args.demo_cameras,
        demo_footage=args.demo_footage if args.demo_footage and args.demo_footage.exists() else None,
        model_path=args.model_path,
        confidence_threshold=args.confidence_threshold,
        poll_interval=args.poll_interval,
    )
