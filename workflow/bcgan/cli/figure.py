"""``bcgan figure NAME``: draw one figure: a paper figure (modules ``bcgan.figures.figN_<what>``, NAME = figN)
or one of the workflow's own that has no other command (EXTRA: NAME = the module's name)."""

from __future__ import annotations

import bcgan.figures
from bcgan.cli import add_plugins, plugin_modules

EXTRA = ["physics", "arm_examples"]  # the physics yardstick's figure; images of several generators per label


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("figure", help="draw one figure of the paper or the physics figure (PDF + PNG)")
    sub = parser.add_subparsers(dest="figure", metavar="NAME", required=True)
    modules = [m for m in plugin_modules(bcgan.figures) if m.startswith("fig")]
    add_plugins(sub, bcgan.figures, {**{m.split("_")[0]: m for m in modules}, **{m: m for m in EXTRA}})
