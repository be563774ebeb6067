"""``bcgan figure NAME``: draw one paper figure (modules ``bcgan.figures.figN_<what>``, NAME = figN)."""

from __future__ import annotations

import bcgan.figures
from bcgan.cli import add_plugins, plugin_modules


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("figure", help="draw one figure of the paper (PDF + PNG)")
    sub = parser.add_subparsers(dest="figure", metavar="NAME", required=True)
    modules = [m for m in plugin_modules(bcgan.figures) if m.startswith("fig")]
    add_plugins(sub, bcgan.figures, {m.split("_")[0]: m for m in modules})
