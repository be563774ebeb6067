"""Fig 4: CGAN with 64 / 256 / 1024 classes: PSD slope/intercept and estimated T vs conditioning T, image strips.

Drawing shared with Fig 3 in bcgan.figures.comparison (see there for the panels).
"""

from __future__ import annotations

from bcgan.figures import PANELS
from bcgan.figures.comparison import add_comparison_arguments, run_comparison

VARIANTS = PANELS["fig4_cgan"]


def add_arguments(parser) -> None:
    add_comparison_arguments(parser, VARIANTS)


def run(args) -> int:
    return run_comparison(args, VARIANTS)
