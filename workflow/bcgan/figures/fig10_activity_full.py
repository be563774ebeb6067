"""Fig 10: untruncated activity of every neuron, BcGAN vs CcGAN embedding (App. C).

Whiskers to min/max (untruncated); dead neurons (range < dead_range) in red.
"""

from __future__ import annotations

from bcgan.figures import PANELS
from bcgan.figures.boxplots import add_common_arguments, draw_untruncated, run_untruncated

VARIANTS = PANELS["fig10_activity_full"]


def draw(activities, *, dead_range: float):
    return draw_untruncated(activities, VARIANTS, dead_range=dead_range)


def add_arguments(parser) -> None:
    add_common_arguments(parser)


def run(args) -> int:
    return run_untruncated(args, VARIANTS)
