"""Fig 3: CcGAN vs BcGAN: PSD slope/intercept and estimated T of generated images vs conditioning T, image strips.

Drawing shared with Fig 4 in bcgan.figures.comparison (see there for the panels).
"""

from __future__ import annotations

from bcgan.figures import PANELS
from bcgan.figures.comparison import add_comparison_arguments, run_comparison

VARIANTS = PANELS["fig3_ccgan_bcgan"]


def add_arguments(parser) -> None:
    add_comparison_arguments(parser, VARIANTS)


def run(args) -> int:
    return run_comparison(args, VARIANTS)
