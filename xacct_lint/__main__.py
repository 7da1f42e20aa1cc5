"""Run the command line interface: ``python -m xacct_lint``."""

from __future__ import annotations

import sys

from xacct_lint.cli import main

sys.exit(main())
