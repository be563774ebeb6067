"""Fig 11: untruncated boxplots of every generator lookup-table entry, CGAN with 64 vs 256 classes (App. C).

Each box is one of the 128 columns of the K x 128 table over all K classes; whiskers to min/max.
"""

from __future__ import annotations

from bcgan.figures.boxplots import add_common_arguments, draw_activity, read_all
from bcgan.figures.style import save_figure

VARIANTS = ("cgan64", "cgan256")


def draw(activities, *, dead_range: float):
    acts = [a for a in activities if a.variant in VARIANTS]
    return draw_activity(acts, neurons=None, truncated=False, dead_range=dead_range, ncols=1,
                         panel_size=(7.0, 2.2))


def add_arguments(parser) -> None:
    add_common_arguments(parser)


def run(args) -> int:
    save_figure(draw(read_all(args.activity, VARIANTS), dead_range=args.dead_range), args.pdf, args.png)
    return 0
