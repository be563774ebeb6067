"""``bcgan bench NAME``: speed measurements that print one machine-readable line (never timed tests)."""

from __future__ import annotations

import bcgan.bench
from bcgan.cli import add_plugins, plugin_modules


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="print one line of speed numbers for a hot path")
    sub = parser.add_subparsers(dest="bench", metavar="NAME", required=True)
    add_plugins(sub, bcgan.bench, {m: m for m in plugin_modules(bcgan.bench)})
