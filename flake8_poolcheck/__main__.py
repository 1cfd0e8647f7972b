"""``python -m flake8_poolcheck`` runs the ``poolcheck`` command."""

import sys

from flake8_poolcheck.cli import main

if __name__ == "__main__":  # its --jobs workers may import this module again
    sys.exit(main())
