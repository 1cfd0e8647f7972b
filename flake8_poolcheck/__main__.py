"""``python -m flake8_poolcheck`` runs the ``poolcheck`` command."""

import sys

from flake8_poolcheck.cli import main

sys.exit(main())
