"""``bcgan table NAME``: build one table (CSV + Markdown; modules in bcgan.tables)."""

from __future__ import annotations

import bcgan.tables
from bcgan.cli import add_plugins, plugin_modules


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("table", help="build one table (CSV + Markdown)")
    sub = parser.add_subparsers(dest="table", metavar="NAME", required=True)
    add_plugins(sub, bcgan.tables, {m: m for m in plugin_modules(bcgan.tables)})
