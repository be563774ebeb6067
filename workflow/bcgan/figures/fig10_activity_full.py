"""Fig 10: untruncated activity of every neuron, BcGAN vs CcGAN embedding (App. C).

Whiskers to min/max (untruncated); dead neurons (range < dead_range) in red.
"""

from __future__ import annotations

from bcgan.figures.boxplots import add_common_arguments, draw_activity, read_all
from bcgan.figures.style import save_figure

VARIANTS = ("bcgan", "ccgan")


def draw(activities, *, dead_range: float):
    acts = [a for a in activities if a.variant in VARIANTS]
    acts.sort(key=lambda a: VARIANTS.index(a.variant))
    return draw_activity(acts, neurons=None, truncated=False, dead_range=dead_range, ncols=1,
                         panel_size=(7.0, 2.2))


def add_arguments(parser) -> None:
    add_common_arguments(parser)


def run(args) -> int:
    save_figure(draw(read_all(args.activity, VARIANTS), dead_range=args.dead_range), args.pdf, args.png)
    return 0
