"""``python -m cctv_local``: the same as ``cctv-local``."""

import sys

from cctv_local.product import main

sys.exit(main())
