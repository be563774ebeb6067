"""Fig 5: activity of the first 10 neurons of each generator's embedding (boxplots, truncated whiskers).

One panel per variant (CcGAN, CGAN 64/256/1024, BcGAN). For a CGAN the "neurons" are the columns of
the K x 128 lookup table, each over all K classes ("the first 10 entries of the lookup table").
Whiskers to 1.5 IQR, no fliers, as in the paper; dead neurons (range < dead_range) in red.
"""

from __future__ import annotations

from bcgan.figures.boxplots import add_common_arguments, draw_activity, read_all
from bcgan.figures.style import save_figure

NEURONS = 10


def draw(activities, *, dead_range: float):
    return draw_activity(activities, neurons=NEURONS, truncated=True, dead_range=dead_range, ncols=3,
                         panel_size=(2.4, 2.1))


def add_arguments(parser) -> None:
    add_common_arguments(parser)


def run(args) -> int:
    save_figure(draw(read_all(args.activity), dead_range=args.dead_range), args.pdf, args.png)
    return 0
