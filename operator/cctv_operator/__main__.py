"""`python -m cctv_operator`: the same as the `cctv-operator` console script."""

import sys

from cctv_operator.cli import main

sys.exit(main())
