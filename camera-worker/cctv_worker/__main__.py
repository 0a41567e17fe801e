"""``python -m cctv_worker``: the same entry point as the ``cctv-worker`` console script."""

from cctv_worker.cli import main

raise SystemExit(main())
