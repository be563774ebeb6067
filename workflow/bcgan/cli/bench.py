"""``bcgan bench NAME``: speed measurements that print one machine-readable line (never timed tests)."""

from __future__ import annotations

import importlib
import pkgutil

import bcgan.bench


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="print one line of speed numbers for a hot path")
    names = sorted(m.name for m in pkgutil.iter_modules(bcgan.bench.__path__))
    sub = parser.add_subparsers(dest="bench", metavar="NAME", required=True)
    for name in names:
        module = importlib.import_module(f"bcgan.bench.{name}")
        p = sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        module.add_arguments(p)
        p.set_defaults(func=module.run)
