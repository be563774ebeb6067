"""Fig 11: untruncated boxplots of every generator lookup-table entry, CGAN with 64 vs 256 classes (App. C).

Each box is one of the 128 columns of the K x 128 table over all K classes; whiskers to min/max.
"""

from __future__ import annotations

from bcgan.figures import PANELS
from bcgan.figures.boxplots import add_common_arguments, draw_untruncated, run_untruncated

VARIANTS = PANELS["fig11_cgan_lookup"]


def draw(activities, *, dead_range: float):
    return draw_untruncated(activities, VARIANTS, dead_range=dead_range)


def add_arguments(parser) -> None:
    add_common_arguments(parser)


def run(args) -> int:
    return run_untruncated(args, VARIANTS)
