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
    shared_detector: bool = False
    # Keep media in a local S3 store (SeaweedFS in the data dir) instead of the filesystem.
    s3: bool = False
    # The Django project this product runs (manage.py, cctv_backend); the checkout's by default.
    backend_dir: Path = Path("backend")


DEFAULT_FOOTAGE = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
# cctv-local runs the backend from its source: in a checkout, operator/laptop/cctv_local sits three
# folders below the root that holds backend/. Installed elsewhere (a wheel), there is no such folder
# and --backend-dir (CCTV_BACKEND_DIR) must say where the backend is.
CHECKOUT_BACKEND = Path(__file__).resolve().parents[3] / "backend"


def backend_problem(path: Path) -> str | None:
    """Why ``path`` is not a backend this product can run, or None when it is."""
    if not path.is_dir():
        return f"{path} is not a folder"
    missing = [name for name in ("manage.py", "cctv_backend/settings") if not (path / name).exists()]
    if missing:
        return f"{path} is not the CCTV backend (no {' or '.join(missing)} in it)"
    return None


def default_backend_dir() -> str | None:
    """CCTV_BACKEND_DIR, else the source checkout's backend when this package runs from one."""
    if os.environ.get("CCTV_BACKEND_DIR"):
        return os.environ["CCTV_BACKEND_DIR"]
    return str(CHECKOUT_BACKEND) if backend_problem(CHECKOUT_BACKEND) is None else None


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
    parser.add_argument(
        "--shared-detector",
        action="store_true",
        default=os.environ.get("CCTV_SHARED_DETECTOR", "") not in ("", "0", "false"),
        help="run one shared, batched detector (cctv-detector on Triton, from .venv-detector) for all "
        "workers instead of a model in each (env CCTV_SHARED_DETECTOR=1; pays from about six cameras)",
    )
    parser.add_argument(
        "--s3",
        action="store_true",
        default=os.environ.get("CCTV_S3", "") not in ("", "0", "false"),
        help="keep snapshots and clips in an S3 object store (SeaweedFS, started on loopback with its data "
        "in the data dir) instead of the filesystem (env CCTV_S3=1)",
    )
    parser.add_argument(
        "--backend-dir",
        type=Path,
        default=default_backend_dir(),
        help="the backend folder of a CCTV checkout (manage.py, cctv_backend) to run (env CCTV_BACKEND_DIR, "
        "default: the backend of the checkout this command runs from)",
    )
    args = parser.parse_args(argv)
    if args.backend_dir is None:
        parser.error(
            "cannot find the backend: this cctv-local is not running from a source checkout; "
            "pass --backend-dir (or CCTV_BACKEND_DIR) with the checkout's backend folder"
        )
    backend_dir = args.backend_dir.resolve()
    problem = backend_problem(backend_dir)
    if problem:
        parser.error(f"--backend-dir: {problem}")
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
        shared_detector=args.shared_detector,
        s3=args.s3,
        backend_dir=backend_dir,
    )
