"""``python -m bcgan`` = the ``bcgan`` command; rules use this form so they also run inside conda envs."""

import sys

from bcgan.cli import main

sys.exit(main())
