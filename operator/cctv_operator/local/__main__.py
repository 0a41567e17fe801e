"""``python -m cctv_operator.local``: the same as ``cctv-local``."""

import sys

from cctv_operator.local.product import main

sys.exit(main())
