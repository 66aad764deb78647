"""``python -m agents.tier1 build|probe``."""

import sys

from agents.tier1.cli import main

sys.exit(main())
